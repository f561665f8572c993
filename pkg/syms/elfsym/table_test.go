package elfsym

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"testing"
)

func TestTableLookup(t *testing.T) {
	var b Builder
	for _, s := range []Sym{
		{Name: "big", Start: 0x1000, Size: 0x100, Rank: RankFunc | RankGlobal},
		{Name: "nested", Start: 0x1040, Size: 0x10, Rank: RankFunc},
		{Name: "__write", Start: 0x2000, Size: 0x20, Rank: RankFunc | RankGlobal},
		{Name: "write", Start: 0x2000, Size: 0x20, Rank: RankFunc | RankWeak},
		{Name: "label", Start: 0x2000, Size: 0, Rank: RankGlobal},
		{Name: "asm_entry", Start: 0x3000, Size: 0, Rank: RankGlobal},
		{Name: "after", Start: 0x3100, Size: 0x8, Rank: RankFunc},
		{Name: "", Start: 0x4000, Size: 0x8},
	} {
		b.Add(s)
	}
	tab := b.Build()
	if tab.Len() != 5 {
		t.Errorf("Len() = %d, want 5 (aliases merged, empty names dropped)", tab.Len())
	}
	tests := []struct {
		addr uint64
		name string
		off  uint64
	}{
		{0xfff, "", 0},
		{0x1000, "big", 0},
		{0x103f, "big", 0x3f},
		{0x1040, "nested", 0},
		{0x104f, "nested", 0xf},
		{0x1050, "big", 0x50}, // past the nested one, still inside big
		{0x10ff, "big", 0xff},
		{0x1100, "", 0}, // gap after a sized symbol: unknown, not big+0x100
		{0x2010, "write", 0x10},
		{0x30ff, "asm_entry", 0xff}, // unsized: up to the next symbol
		{0x3107, "after", 7},
		{0x3108, "", 0},
		{0x4000, "", 0},
	}
	for _, tt := range tests {
		_, name, start, ok := tab.Lookup(tt.addr)
		if tt.name == "" {
			if ok {
				t.Errorf("Lookup(%#x) = %s, want unknown", tt.addr, name)
			}
			continue
		}
		if !ok || name != tt.name || tt.addr-start != tt.off {
			t.Errorf("Lookup(%#x) = %q+%#x %v, want %s+%#x", tt.addr, name, tt.addr-start, ok, tt.name, tt.off)
		}
	}
	var empty *Table
	if _, _, _, ok := empty.Lookup(1); ok || empty.Len() != 0 {
		t.Error("nil table")
	}
}

func TestFloor(t *testing.T) {
	addrs := []uint64{0x10, 0x20, 0x20, 0x30}
	for addr, want := range map[uint64]int{0: -1, 0xf: -1, 0x10: 0, 0x1f: 0, 0x20: 2, 0x2f: 2, 0x30: 3, 1 << 63: 3} {
		if got := Floor(addrs, addr); got != want {
			t.Errorf("Floor(%#x) = %d, want %d", addr, got, want)
		}
	}
	if got := Floor(nil, 5); got != -1 {
		t.Errorf("Floor(nil) = %d, want -1", got)
	}
}

func TestFileToVaddr(t *testing.T) {
	// A typical PIE: read-only headers, text at offset 0x1000, data at a page-misaligned
	// offset whose vaddr is one page further.
	in := Info{Loads: []Load{
		{Off: 0, Vaddr: 0, Filesz: 0x6a8},
		{Off: 0x1000, Vaddr: 0x1000, Filesz: 0x2000},
		{Off: 0x3db8, Vaddr: 0x4db8, Filesz: 0x258},
	}}
	for off, want := range map[uint64]uint64{0x10: 0x10, 0x1234: 0x1234, 0x3dc0: 0x4dc0} {
		if got, ok := in.FileToVaddr(off); !ok || got != want {
			t.Errorf("FileToVaddr(%#x) = %#x %v, want %#x", off, got, ok, want)
		}
	}
	if _, ok := in.FileToVaddr(0x6a8); ok {
		t.Error("offset between segments mapped")
	}
}

func note(name string, typ uint32, desc []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, []uint32{uint32(len(name) + 1), uint32(len(desc)), typ})
	b.WriteString(name + "\x00")
	for b.Len()%4 != 0 {
		b.WriteByte(0)
	}
	b.Write(desc)
	for b.Len()%4 != 0 {
		b.WriteByte(0)
	}
	return b.Bytes()
}

func TestBuildIDFromNotes(t *testing.T) {
	id := []byte{0xde, 0xad, 0xbe, 0xef, 0x01}
	data := append(note("GNU", 1, []byte{1, 2, 3, 4}), note("GNU", ntGNUBuildID, id)...)
	if got := buildIDFromNotes(data, binary.LittleEndian); !bytes.Equal(got, id) {
		t.Errorf("build ID = %x, want %x", got, id)
	}
	if got := buildIDFromNotes(note("Go", 4, []byte("abcd")), binary.LittleEndian); got != nil {
		t.Errorf("build ID from a Go note = %x", got)
	}
	if got := buildIDFromNotes(data[:len(data)-3], binary.LittleEndian); got != nil {
		t.Errorf("truncated note: %x", got)
	}
}

func TestDecompressMiniDebugInfoRejectsGarbage(t *testing.T) {
	if _, err := DecompressMiniDebugInfo([]byte("not xz")); err == nil {
		t.Error("no error for non-xz data")
	}
}

// The test binary itself: a Go executable with .symtab and .gopclntab that must agree.
func TestGoSymtabAndPCLNAgree(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var bs, bp Builder
	if AddSymtab(&bs, f) == 0 {
		t.Skip("test binary has no .symtab")
	}
	if n, err := AddGoPCLN(&bp, f); n == 0 || err != nil {
		t.Fatalf("AddGoPCLN: %d, %v", n, err)
	}
	st, pt := bs.Build(), bp.Build()
	checked := 0
	for i := 0; i < pt.Len(); i += 97 {
		s := pt.Symbol(i)
		_, name, start, ok := st.Lookup(s.Start + s.Size/2)
		if !ok || name != s.Name || start != s.Start {
			t.Errorf("%s at %#x: .symtab says %q at %#x", s.Name, s.Start, name, start)
		}
		checked++
	}
	if checked < 10 {
		t.Errorf("only %d functions checked", checked)
	}
}

func FuzzReadELF(f *testing.F) {
	if exe, err := os.Executable(); err == nil {
		if data, err := os.ReadFile(exe); err == nil && len(data) > 4096 {
			f.Add(data[:4096])
		}
	}
	f.Add([]byte("\x7fELF\x02\x01\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ef, err := elf.NewFile(bytes.NewReader(data))
		if err != nil {
			return
		}
		in := ReadInfo(ef)
		in.FileToVaddr(0x1000)
		var b Builder
		AddSymtab(&b, ef)
		AddDynsym(&b, ef)
		AddMiniDebugInfo(&b, ef)
		AddGoPCLN(&b, ef)
		b.Build().Lookup(0x1000)
	})
}
