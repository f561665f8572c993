package elfsym

import (
	"bytes"
	"debug/elf"
	"debug/gosym"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ulikunitz/xz"
)

// Load is one PT_LOAD program header: file bytes [Off, Off+Filesz) appear at virtual
// addresses [Vaddr, Vaddr+Filesz) relative to the load bias.
type Load struct {
	Off, Vaddr, Filesz, Memsz uint64
}

// Info is what symbolization needs from an ELF file besides its symbols; it is small and kept
// for as long as the file is mapped somewhere.
type Info struct {
	Type         elf.Type
	Loads        []Load
	BuildID      []byte
	DebugLink    string // .gnu_debuglink file name, "" if none
	DebugLinkCRC uint32
	HasSymtab    bool // a .symtab section is present (not stripped)
}

// ReadInfo extracts load segments, build ID and debug link.
func ReadInfo(f *elf.File) Info {
	in := Info{Type: f.Type}
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_LOAD:
			in.Loads = append(in.Loads, Load{Off: p.Off, Vaddr: p.Vaddr, Filesz: p.Filesz, Memsz: p.Memsz})
		case elf.PT_NOTE:
			if in.BuildID == nil {
				if data, err := io.ReadAll(io.LimitReader(p.Open(), 1<<16)); err == nil {
					in.BuildID = buildIDFromNotes(data, f.ByteOrder)
				}
			}
		}
	}
	if in.BuildID == nil {
		if s := f.Section(".note.gnu.build-id"); s != nil {
			if data, err := s.Data(); err == nil {
				in.BuildID = buildIDFromNotes(data, f.ByteOrder)
			}
		}
	}
	if s := f.Section(".gnu_debuglink"); s != nil {
		if data, err := s.Data(); err == nil {
			if i := bytes.IndexByte(data, 0); i > 0 {
				in.DebugLink = string(data[:i])
				if c := (i + 4) &^ 3; c+4 <= len(data) {
					in.DebugLinkCRC = f.ByteOrder.Uint32(data[c:])
				}
			}
		}
	}
	if s := f.Section(".symtab"); s != nil && s.Type == elf.SHT_SYMTAB && s.Size > 0 {
		in.HasSymtab = true
	}
	return in
}

// BuildIDHex is the build ID as lowercase hex, "" if the file has none.
func (in *Info) BuildIDHex() string { return hex.EncodeToString(in.BuildID) }

// FileToVaddr maps an offset in the file to the link-time virtual address the symbol tables
// use, through the PT_LOAD segment holding that offset. This is what makes PIE executables,
// non-PIE executables and shared libraries all work the same way: addr - mapping start +
// mapping file offset gives the file offset whatever the load bias.
func (in *Info) FileToVaddr(off uint64) (uint64, bool) {
	for _, l := range in.Loads {
		if off >= l.Off && off-l.Off < l.Filesz {
			return l.Vaddr + (off - l.Off), true
		}
	}
	return 0, false
}

func buildIDFromNotes(data []byte, bo interface{ Uint32([]byte) uint32 }) []byte {
	for len(data) >= 12 {
		namesz, descsz, typ := bo.Uint32(data), bo.Uint32(data[4:]), bo.Uint32(data[8:])
		data = data[12:]
		nameEnd := (uint64(namesz) + 3) &^ 3
		descEnd := nameEnd + (uint64(descsz)+3)&^3
		if descEnd > uint64(len(data)) {
			return nil
		}
		if typ == ntGNUBuildID && namesz == 4 && string(data[:4]) == "GNU\x00" && descsz > 0 {
			return bytes.Clone(data[nameEnd : nameEnd+uint64(descsz)])
		}
		data = data[descEnd:]
	}
	return nil
}

// AddSymtab adds the function symbols of .symtab and returns how many it added.
func AddSymtab(b *Builder, f *elf.File) int {
	syms, err := f.Symbols()
	if err != nil {
		return 0
	}
	return addFuncs(b, f, syms)
}

// AddDynsym adds the function symbols of .dynsym and returns how many it added.
func AddDynsym(b *Builder, f *elf.File) int {
	syms, err := f.DynamicSymbols()
	if err != nil {
		return 0
	}
	return addFuncs(b, f, syms)
}

func addFuncs(b *Builder, f *elf.File, syms []elf.Symbol) int {
	n := 0
	for _, s := range syms {
		if s.Value == 0 || s.Name == "" || s.Name[0] == '$' ||
			s.Section == elf.SHN_UNDEF || s.Section >= elf.SHN_LORESERVE {
			continue
		}
		rank := 0
		switch elf.ST_BIND(s.Info) {
		case elf.STB_GLOBAL:
			rank += RankGlobal
		case elf.STB_WEAK:
			rank += RankWeak
		}
		switch elf.ST_TYPE(s.Info) {
		case elf.STT_FUNC, elf.STT_GNU_IFUNC:
			rank += RankFunc
		case elf.STT_NOTYPE:
			// Assembly entry points are often untyped; local untyped ones are mostly
			// labels that would split a function in two.
			if elf.ST_BIND(s.Info) == elf.STB_LOCAL || int(s.Section) >= len(f.Sections) ||
				f.Sections[s.Section].Flags&elf.SHF_EXECINSTR == 0 {
				continue
			}
		default:
			continue
		}
		// Versioned dynamic symbols keep their plain name.
		name := s.Name
		if i := strings.IndexByte(name, '@'); i > 0 {
			name = name[:i]
		}
		b.Add(Sym{Name: name, Start: s.Value, Size: s.Size, Rank: rank})
		n++
	}
	return n
}

// maxMiniDebugInfo bounds the decompressed size of .gnu_debugdata.
const maxMiniDebugInfo = 256 << 20

// AddMiniDebugInfo adds the .symtab of the xz-compressed ELF file in .gnu_debugdata
// (Fedora's and others' MiniDebugInfo, which holds the local function symbols that .dynsym
// lacks). It returns how many symbols it added; 0, nil when the section is absent.
func AddMiniDebugInfo(b *Builder, f *elf.File) (int, error) {
	s := f.Section(".gnu_debugdata")
	if s == nil {
		return 0, nil
	}
	data, err := s.Data()
	if err != nil {
		return 0, fmt.Errorf(".gnu_debugdata: %w", err)
	}
	inner, err := DecompressMiniDebugInfo(data)
	if err != nil {
		return 0, err
	}
	ef, err := elf.NewFile(bytes.NewReader(inner))
	if err != nil {
		return 0, fmt.Errorf(".gnu_debugdata: %w", err)
	}
	return AddSymtab(b, ef), nil
}

// DecompressMiniDebugInfo inflates the contents of a .gnu_debugdata section.
func DecompressMiniDebugInfo(data []byte) ([]byte, error) {
	r, err := xz.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf(".gnu_debugdata: %w", err)
	}
	inner, err := io.ReadAll(io.LimitReader(r, maxMiniDebugInfo+1))
	if err != nil {
		return nil, fmt.Errorf(".gnu_debugdata: %w", err)
	}
	if len(inner) > maxMiniDebugInfo {
		return nil, errors.New(".gnu_debugdata: too large")
	}
	return inner, nil
}

// AddGoPCLN adds the functions described by a Go binary's .gopclntab, which survives
// `go build -ldflags=-s`. It returns 0 for non-Go files.
func AddGoPCLN(b *Builder, f *elf.File) (n int, err error) {
	s := f.Section(".gopclntab")
	if s == nil {
		return 0, nil
	}
	data, err := s.Data()
	if err != nil {
		return 0, fmt.Errorf(".gopclntab: %w", err)
	}
	text := goTextStart(f, s.Addr, data)
	// debug/gosym panics on some malformed tables; a bad file must not take the tool down.
	defer func() {
		if r := recover(); r != nil {
			n, err = 0, fmt.Errorf(".gopclntab: %v", r)
		}
	}()
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(data, text))
	if err != nil {
		return 0, fmt.Errorf(".gopclntab: %w", err)
	}
	for i := range tab.Funcs {
		fn := &tab.Funcs[i]
		if fn.Entry == 0 || fn.End <= fn.Entry {
			continue
		}
		b.Add(Sym{Name: fn.Name, Start: fn.Entry, Size: fn.End - fn.Entry, Rank: RankFunc | RankGlobal})
		n++
	}
	return n, nil
}

// goTextStart returns runtime.text, the base of the function addresses in a Go 1.18+
// .gopclntab. It is the start of .text only when Go linked the binary itself: with external
// linking (cgo) the C runtime's code comes first. The address is the text field of the
// module data (the runtime's firstmoduledata: in .go.module since Go 1.26, before that
// somewhere in .noptrdata), the record whose first word points at .gopclntab.
func goTextStart(f *elf.File, pclnAddr uint64, pcln []byte) uint64 {
	var text uint64
	if t := f.Section(".text"); t != nil {
		text = t.Addr
	}
	if len(pcln) < 8 || f.Class != elf.ELFCLASS64 {
		return text
	}
	// Older tables hold absolute addresses and ignore the base.
	if magic := f.ByteOrder.Uint32(pcln); magic != 0xfffffff0 && magic != 0xfffffff1 {
		return text
	}
	// Module data: pcHeader, six slices (funcnametab, cutab, filetab, pctab, pclntable,
	// ftab), findfunctab, minpc, maxpc, text: word 22 (Go 1.16 onwards).
	const textWord, minpcWord = 22, 20
	for _, name := range []string{".go.module", ".noptrdata", ".data.rel.ro", ".data"} {
		sec := f.Section(name)
		if sec == nil || sec.Type != elf.SHT_PROGBITS {
			continue
		}
		data, err := sec.Data()
		if err != nil {
			continue
		}
		for off := 0; off+8*(textWord+1) <= len(data); off += 8 {
			if f.ByteOrder.Uint64(data[off:]) != pclnAddr {
				continue
			}
			md := data[off:]
			start, minpc := f.ByteOrder.Uint64(md[8*textWord:]), f.ByteOrder.Uint64(md[8*minpcWord:])
			if start != 0 && minpc >= start && inText(f, start) {
				return start
			}
		}
		if name == ".go.module" {
			break // the module data is there or the words are relocated at load time
		}
	}
	return text
}

func inText(f *elf.File, addr uint64) bool {
	t := f.Section(".text")
	return t != nil && addr >= t.Addr && addr < t.Addr+t.Size
}

// ntGNUBuildID is NT_GNU_BUILD_ID (debug/elf does not name it).
const ntGNUBuildID = 3
