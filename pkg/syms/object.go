package syms

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/ianlancetaylor/demangle"

	"github.com/bpfutils/bpfutils/pkg/syms/elfsym"
)

// objKey identifies a mapped file across processes: by device and inode, so every process
// mapping the same libc shares one table even when they see it under different paths
// (containers). The vDSO has no inode; it is keyed by a hash of its bytes.
type objKey struct {
	dev, ino uint64
	vdso     uint64
}

// object is one ELF file's symbolization state. info is small and kept for as long as the
// Symbolizer lives; table is dropped under memory pressure and re-read on demand.
type object struct {
	info      elfsym.Info
	table     *elfsym.Table
	noSyms    bool // the file has no usable symbols: do not re-read it
	demangled map[int]string
	bytes     int64 // accounted against Options.MaxTableBytes
	lastUse   uint64
	vdsoImage []byte // the vDSO is read from process memory; keep it to rebuild the table
}

func readProcMaps(procRoot string, pid uint32) ([]mapping, error) {
	f, err := os.Open(fmt.Sprintf("%s/%d/maps", procRoot, pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseMaps(f)
}

// resolve finds (or creates and loads) the object behind an executable mapping; nil when
// the mapping is anonymous or its file cannot be read as ELF.
func (s *Symbolizer) resolve(pid uint32, m *mapping) *object {
	if m.path == "[vdso]" {
		return s.resolveVDSO(pid, m)
	}
	if m.ino == 0 || !strings.HasPrefix(m.path, "/") {
		return nil
	}
	key := objKey{dev: m.dev, ino: m.ino}
	if o, ok := s.objs[key]; ok {
		return o
	}
	f, err := s.openMapped(pid, m)
	if err != nil {
		s.denied(m.path, err)
		return nil
	}
	defer f.Close()
	ef, err := elf.NewFile(f)
	if err != nil {
		s.objs[key] = nil // not ELF (or unreadable): remember, do not retry
		return nil
	}
	o := &object{info: elfsym.ReadInfo(ef)}
	s.objs[key] = o
	s.setTable(o, s.buildTable(ef, o.info, pid, m.path))
	return o
}

func (s *Symbolizer) resolveVDSO(pid uint32, m *mapping) *object {
	if m.end-m.start > 1<<20 {
		return nil
	}
	img, err := readProcessMemory(fmt.Sprintf("%s/%d/mem", s.opts.ProcRoot, pid), m.start, m.end)
	if errors.Is(err, fs.ErrPermission) {
		// Another user's process memory takes ptrace's attach access, and its mem file is that
		// user's, mode 0600. A 64-bit process has the kernel's one 64-bit vDSO, the same image
		// as ours: take ours when it has the same size.
		img, err = ownVDSO()
		if err != nil || m.start < 1<<32 || uint64(len(img)) != m.end-m.start {
			s.denied(m.path, &deniedError{capability: "CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH", err: fs.ErrPermission})
			return nil
		}
	}
	if err != nil {
		return nil
	}
	h := fnv.New64a()
	h.Write(img)
	key := objKey{vdso: h.Sum64() | 1}
	if o, ok := s.objs[key]; ok {
		return o
	}
	ef, err := elf.NewFile(bytes.NewReader(img))
	if err != nil {
		s.objs[key] = nil
		return nil
	}
	o := &object{info: elfsym.ReadInfo(ef), vdsoImage: img}
	s.objs[key] = o
	s.setTable(o, s.buildTable(ef, o.info, pid, ""))
	return o
}

// readProcessMemory is a variable so that tests can deny it.
var readProcessMemory = readMemory

func readMemory(memFile string, start, end uint64) ([]byte, error) {
	f, err := os.Open(memFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img := make([]byte, end-start)
	if _, err := f.ReadAt(img, int64(start)); err != nil {
		return nil, err
	}
	return img, nil
}

// ownVDSO reads this process's vDSO.
func ownVDSO() ([]byte, error) {
	maps, err := readProcMaps("/proc", uint32(os.Getpid()))
	if err != nil {
		return nil, err
	}
	for _, m := range maps {
		if m.path == "[vdso]" {
			return readMemory("/proc/self/mem", m.start, m.end)
		}
	}
	return nil, fs.ErrNotExist
}

// table returns o's symbols, re-reading them if they were evicted.
func (s *Symbolizer) table(o *object, pid uint32, m *mapping) *elfsym.Table {
	o.lastUse = s.tick
	if o.table != nil || o.noSyms {
		return o.table
	}
	var ef *elf.File
	if o.vdsoImage != nil {
		ef, _ = elf.NewFile(bytes.NewReader(o.vdsoImage))
	} else if f, err := s.openMapped(pid, m); err == nil {
		defer f.Close()
		ef, _ = elf.NewFile(f)
	}
	if ef == nil {
		return nil // unreadable right now; another process may succeed later
	}
	path := m.path
	if o.vdsoImage != nil {
		path = ""
	}
	s.setTable(o, s.buildTable(ef, o.info, pid, path))
	return o.table
}

func (s *Symbolizer) setTable(o *object, t *elfsym.Table) {
	o.lastUse = s.tick
	if t.Len() == 0 {
		o.noSyms = true
		return
	}
	o.table = t
	o.bytes = t.Bytes()
	s.usedBytes += o.bytes
	s.loaded++
	s.evictTables(o)
}

// evictTables drops least recently used tables (never keep) until under the memory bound.
func (s *Symbolizer) evictTables(keep *object) {
	for s.usedBytes > s.opts.MaxTableBytes && s.loaded > 1 {
		var victim *object
		for _, o := range s.objs {
			if o != nil && o != keep && o.table != nil && (victim == nil || o.lastUse < victim.lastUse) {
				victim = o
			}
		}
		if victim == nil {
			return
		}
		s.usedBytes -= victim.bytes
		s.loaded--
		victim.table, victim.demangled, victim.bytes = nil, nil, 0
	}
}

// buildTable gathers f's function symbols. Order of preference: the file's own .symtab; a
// separate debug file's .symtab (by build ID, then debug link); MiniDebugInfo; then .dynsym
// is always merged in, and a stripped Go binary's .gopclntab.
func (s *Symbolizer) buildTable(f *elf.File, info elfsym.Info, pid uint32, path string) *elfsym.Table {
	var b elfsym.Builder
	if info.HasSymtab {
		elfsym.AddSymtab(&b, f)
	}
	if b.Len() == 0 && path != "" {
		if dbg, closer := s.findDebugFile(pid, path, info); dbg != nil {
			elfsym.AddSymtab(&b, dbg)
			closer.Close()
		}
	}
	full := b.Len() > 0
	if !full {
		elfsym.AddMiniDebugInfo(&b, f)
	}
	elfsym.AddDynsym(&b, f)
	if !full {
		elfsym.AddGoPCLN(&b, f)
	}
	return b.Build()
}

// openMapped opens the file behind a mapping as the process sees it: through its root
// (containers), checking the inode so a file replaced on disk since it was mapped is not
// used; failing that (deleted or replaced files), through /proc/PID/map_files.
//
// When every way fails for want of permission, the error is a *deniedError naming the
// capability that would have opened the file.
func (s *Symbolizer) openMapped(pid uint32, m *mapping) (*os.File, error) {
	proc := fmt.Sprintf("%s/%d", s.opts.ProcRoot, pid)
	deleted := strings.HasSuffix(m.path, deletedSuffix)
	var rootErr error
	if !deleted {
		f, err := openIno(proc+"/root"+m.path, m.ino)
		if err == nil {
			return f, nil
		}
		rootErr = err
	}
	f, err := os.Open(fmt.Sprintf("%s/map_files/%x-%x", proc, m.start, m.end))
	if err == nil {
		return f, nil
	}
	// The process may be gone while its file is still where it was.
	f, hostErr := openIno(m.path, m.ino)
	if hostErr == nil {
		return f, nil
	}
	if capability := missingCapability(proc, deleted, rootErr, err, hostErr); capability != "" {
		return nil, &deniedError{capability: capability, err: err}
	}
	return nil, err
}

// deniedError: a mapped file could not be opened without capability.
type deniedError struct {
	capability string
	err        error
}

func (e *deniedError) Error() string {
	return fmt.Sprintf("%v (needs %s)", e.err, e.capability)
}

func (e *deniedError) Unwrap() error { return e.err }

// missingCapability names what would have let openMapped open a file, from how each way failed
// ("" when it was not for want of permission). Another user's /proc/PID/map_files takes
// CAP_CHECKPOINT_RESTORE (CAP_SYS_ADMIN before Linux 5.9), ptrace's access and the search of a
// directory of mode 0500; /proc/PID/root ptrace's read access (the same user, CAP_SYS_PTRACE); and
// a path whoever may read it and search its directories (CAP_DAC_READ_SEARCH).
func missingCapability(proc string, deleted bool, rootErr, mapErr, hostErr error) string {
	denied := func(err error) bool { return errors.Is(err, fs.ErrPermission) }
	switch {
	case denied(hostErr):
		return "CAP_DAC_READ_SEARCH"
	case deleted && denied(mapErr):
		return "CAP_CHECKPOINT_RESTORE, CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH"
	case denied(rootErr):
		// The file is not on the host's file system (a container's): through the process's root,
		// which may itself be closed, or open with the file's directories closed.
		if _, err := os.Stat(proc + "/root/"); denied(err) {
			return "CAP_SYS_PTRACE"
		}
		return "CAP_DAC_READ_SEARCH"
	}
	return ""
}

// denied passes a permission error on to Options.Denied, once per capability.
func (s *Symbolizer) denied(path string, err error) {
	var d *deniedError
	if s.opts.Denied == nil || !errors.As(err, &d) || s.deniedCaps[d.capability] {
		return
	}
	if s.deniedCaps == nil {
		s.deniedCaps = map[string]bool{}
	}
	s.deniedCaps[d.capability] = true
	s.opts.Denied(path, d.capability)
}

func openIno(path string, ino uint64) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil || st.Ino != ino {
		f.Close()
		return nil, fmt.Errorf("%s: not the mapped file", path)
	}
	return f, nil
}

// findDebugFile looks for the separate debug file of a stripped binary: by build ID under
// each debug dir, then by .gnu_debuglink next to the binary, in its .debug/ subdirectory and
// under each debug dir. Each candidate is tried in the process's root, then on the host; a
// candidate with a different build ID is rejected.
func (s *Symbolizer) findDebugFile(pid uint32, path string, info elfsym.Info) (*elf.File, *os.File) {
	var cands []string
	if id := info.BuildIDHex(); len(id) > 2 {
		for _, d := range s.opts.DebugDirs {
			cands = append(cands, filepath.Join(d, ".build-id", id[:2], id[2:]+".debug"))
		}
	}
	if link := info.DebugLink; link != "" && !strings.Contains(link, "/") {
		dir := filepath.Dir(strings.TrimSuffix(path, deletedSuffix))
		cands = append(cands, filepath.Join(dir, link), filepath.Join(dir, ".debug", link))
		for _, d := range s.opts.DebugDirs {
			cands = append(cands, filepath.Join(d, dir, link))
		}
	}
	root := s.opts.ProcRoot + "/" + strconv.FormatUint(uint64(pid), 10) + "/root"
	for _, c := range cands {
		if c == path {
			continue
		}
		for _, p := range []string{root + c, c} {
			f, err := os.Open(p)
			if err != nil {
				continue
			}
			ef, err := elf.NewFile(f)
			if err == nil {
				di := elfsym.ReadInfo(ef)
				if di.HasSymtab && (info.BuildID == nil || di.BuildID == nil || bytes.Equal(di.BuildID, info.BuildID)) {
					return ef, f
				}
			}
			f.Close()
		}
	}
	return nil, nil
}

// demangle returns the readable form of a C++ or Rust name, cached per symbol.
func (s *Symbolizer) demangle(o *object, idx int, name string) string {
	if !strings.HasPrefix(name, "_Z") && !strings.HasPrefix(name, "_R") {
		return name
	}
	if d, ok := o.demangled[idx]; ok {
		return d
	}
	d := demangle.Filter(name)
	if o.demangled == nil {
		o.demangled = make(map[int]string)
	}
	o.demangled[idx] = d
	n := int64(len(d)) + 48
	o.bytes += n
	s.usedBytes += n
	return d
}
