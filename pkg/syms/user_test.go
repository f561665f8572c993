package syms

import (
	"bufio"
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Test binaries are built once per `go test` run into buildDir, from testdata/ sources, with
// the host's gcc, g++, binutils, xz and go.
var buildDir string

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "syms-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

func debugRoot() string { return filepath.Join(buildDir, "debugroot") }

// sh runs a command in dir, returning its stdout.
func sh(dir string, args ...string) (string, error) {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = dir
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return out.String(), nil
}

func shAll(dir string, cmds ...[]string) error {
	for _, c := range cmds {
		if _, err := sh(dir, c...); err != nil {
			return err
		}
	}
	return nil
}

func testdata(name string) string {
	p, _ := filepath.Abs(filepath.Join("testdata", name))
	return p
}

// builders make one test binary each in their own directory and return its path.
var builders = map[string]func(dir string) (string, error){
	"pie": func(dir string) (string, error) {
		return "pie", shAll(dir, []string{"gcc", "-O0", "-fPIE", "-pie", "-o", "pie", testdata("prog.c")})
	},
	"nopie": func(dir string) (string, error) {
		return "nopie", shAll(dir, []string{"gcc", "-O0", "-fno-pie", "-no-pie", "-o", "nopie", testdata("prog.c")})
	},
	// Stripped, with its symbols in prog.debug next to it, found through .gnu_debuglink.
	"debuglink": func(dir string) (string, error) {
		return "prog", shAll(dir,
			[]string{"gcc", "-g", "-O0", "-Wl,--build-id=none", "-o", "prog", testdata("prog.c")},
			[]string{"objcopy", "--only-keep-debug", "prog", "prog.debug"},
			[]string{"strip", "--strip-all", "prog"},
			[]string{"objcopy", "--add-gnu-debuglink=prog.debug", "prog"})
	},
	// Stripped, with its symbols under debugRoot()/.build-id/, and no debug link.
	"buildid": func(dir string) (string, error) {
		if err := shAll(dir,
			[]string{"gcc", "-g", "-O0", "-Wl,--build-id=sha1", "-o", "prog", testdata("prog.c")},
		); err != nil {
			return "", err
		}
		out, err := sh(dir, "readelf", "-n", "prog")
		if err != nil {
			return "", err
		}
		m := regexp.MustCompile(`Build ID: ([0-9a-f]+)`).FindStringSubmatch(out)
		if m == nil {
			return "", fmt.Errorf("no build ID in readelf -n output:\n%s", out)
		}
		dbg := filepath.Join(debugRoot(), ".build-id", m[1][:2], m[1][2:]+".debug")
		if err := os.MkdirAll(filepath.Dir(dbg), 0o755); err != nil {
			return "", err
		}
		return "prog", shAll(dir,
			[]string{"objcopy", "--only-keep-debug", "prog", dbg},
			[]string{"strip", "--strip-all", "prog"})
	},
	// Stripped, with an xz-compressed ELF holding the function symbols in .gnu_debugdata
	// (the recipe distributions use for MiniDebugInfo).
	"minidebuginfo": func(dir string) (string, error) {
		if _, err := exec.LookPath("xz"); err != nil {
			return "", fmt.Errorf("skip: xz not installed (xz-utils)")
		}
		if err := os.WriteFile(filepath.Join(dir, "keep"), []byte("target_alpha\nlocal_gamma\n"), 0o644); err != nil {
			return "", err
		}
		return "prog", shAll(dir,
			[]string{"gcc", "-g", "-O0", "-o", "prog", testdata("prog.c")},
			[]string{"objcopy", "--only-keep-debug", "prog", "prog.dbg"},
			[]string{"objcopy", "-S", "--remove-section", ".gdb_index", "--remove-section", ".comment",
				"--keep-symbols=keep", "prog.dbg", "mini"},
			[]string{"strip", "--strip-all", "-R", ".comment", "prog"},
			[]string{"xz", "-z", "mini"},
			[]string{"objcopy", "--add-section", ".gnu_debugdata=mini.xz", "prog"})
	},
	// PIE executable linked against a shared library that has a local function.
	"shared": func(dir string) (string, error) {
		return "prog", shAll(dir,
			[]string{"gcc", "-O0", "-shared", "-fPIC", "-o", "libsymtest.so", testdata("lib.c")},
			[]string{"gcc", "-O0", "-DWITH_LIB", "-o", "prog", testdata("prog.c"), "-L.", "-lsymtest",
				"-Wl,-rpath,$ORIGIN"})
	},
	// The same with the library stripped: only its .dynsym is left.
	"sharedstripped": func(dir string) (string, error) {
		return "prog", shAll(dir,
			[]string{"gcc", "-O0", "-shared", "-fPIC", "-o", "libsymtest.so", testdata("lib.c")},
			[]string{"strip", "--strip-all", "libsymtest.so"},
			[]string{"gcc", "-O0", "-DWITH_LIB", "-o", "prog", testdata("prog.c"), "-L.", "-lsymtest",
				"-Wl,-rpath,$ORIGIN"})
	},
	"cxx": func(dir string) (string, error) {
		return "prog", shAll(dir, []string{"g++", "-O0", "-o", "prog", testdata("prog.cc")})
	},
	"go": func(dir string) (string, error) {
		return "prog", shAll(dir, []string{"go", "build", "-o", filepath.Join(dir, "prog"), testdata("goprog/main.go")})
	},
	// Stripped Go binary: no .symtab, only .gopclntab.
	"gostripped": func(dir string) (string, error) {
		return "prog", shAll(dir, []string{"go", "build", "-ldflags=-s -w", "-o", filepath.Join(dir, "prog"),
			testdata("goprog/main.go")})
	},
	// Externally linked (as cgo programs are): the C runtime's code precedes runtime.text,
	// the base of .gopclntab's addresses.
	"gostripped-external": func(dir string) (string, error) {
		return "prog", shAll(dir, []string{"go", "build", "-ldflags=-s -w -linkmode=external", "-o",
			filepath.Join(dir, "prog"), testdata("goprog/main.go")})
	},
	"gostripped-pie": func(dir string) (string, error) {
		return "prog", shAll(dir, []string{"go", "build", "-buildmode=pie", "-ldflags=-s -w", "-o",
			filepath.Join(dir, "prog"), testdata("goprog/main.go")})
	},
}

type built struct {
	once sync.Once
	path string
	err  error
}

var builtMu sync.Mutex
var builtBins = map[string]*built{}

// binary returns the path of a test binary, building it on first use; it skips the test when
// the toolchain is missing.
func binary(t testing.TB, name string) string {
	t.Helper()
	builtMu.Lock()
	b := builtBins[name]
	if b == nil {
		b = &built{}
		builtBins[name] = b
	}
	builtMu.Unlock()
	b.once.Do(func() {
		dir := filepath.Join(buildDir, name)
		if b.err = os.MkdirAll(dir, 0o755); b.err != nil {
			return
		}
		var rel string
		rel, b.err = builders[name](dir)
		b.path = filepath.Join(dir, rel)
	})
	if b.err != nil {
		if strings.Contains(b.err.Error(), "skip:") || strings.Contains(b.err.Error(), "executable file not found") {
			t.Skipf("cannot build %s: %v", name, b.err)
		}
		t.Fatalf("building %s: %v", name, b.err)
	}
	return b.path
}

type fn struct {
	name string
	addr uint64
}

type proc struct {
	pid   uint32
	funcs []fn
	stdin io.WriteCloser
	done  chan struct{} // closed when the process has exited and been reaped
}

// stop ends the process and reaps it.
func (p *proc) stop(t testing.TB) {
	p.stdin.Close()
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		t.Fatalf("pid %d did not exit", p.pid)
	}
}

// start runs a test binary and reads the "name address" lines it prints until "ready". The
// process exits when the test ends (its stdin is closed).
func start(t testing.TB, path string) *proc {
	t.Helper()
	return startCmd(t, exec.Command(path))
}

func startCmd(t testing.TB, cmd *exec.Cmd) *proc {
	t.Helper()
	path := cmd.Path
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{pid: uint32(cmd.Process.Pid), stdin: stdin, done: make(chan struct{})}
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-p.done
		}
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		if line == "ready" {
			return p
		}
		i := strings.LastIndexByte(line, ' ')
		addr, err := strconv.ParseUint(strings.TrimPrefix(line[i+1:], "0x"), 16, 64)
		if i < 0 || err != nil {
			t.Fatalf("%s printed %q", path, line)
		}
		p.funcs = append(p.funcs, fn{line[:i], addr})
	}
	t.Fatalf("%s exited before printing ready: %v", path, sc.Err())
	return nil
}

func (p *proc) addr(t testing.TB, name string) uint64 {
	for _, f := range p.funcs {
		if f.name == name {
			return f.addr
		}
	}
	t.Fatalf("program did not print %s", name)
	return 0
}

func newTestSymbolizer() *Symbolizer {
	return NewWithOptions(Options{DebugDirs: []string{debugRoot()}})
}

// expect checks that addr and addr+2 resolve to name in the file path.
func expect(t *testing.T, s *Symbolizer, p *proc, name, path string) {
	t.Helper()
	addr := p.addr(t, name)
	for _, off := range []uint64{0, 2} {
		got := s.User(p.pid, addr+off)
		if !got.Known || got.Name != name || got.Offset != off {
			t.Errorf("User(%d, %#x) = %q+%#x known=%v (path %q), want %s+%#x",
				p.pid, addr+off, got.Name, got.Offset, got.Known, got.Path, name, off)
		}
		if path != "" && got.Path != path {
			t.Errorf("User(%d, %#x).Path = %q, want %q", p.pid, addr+off, got.Path, path)
		}
	}
}

func TestUserExecutables(t *testing.T) {
	for _, v := range []string{"pie", "nopie", "debuglink", "buildid", "minidebuginfo"} {
		t.Run(v, func(t *testing.T) {
			path := binary(t, v)
			p := start(t, path)
			s := newTestSymbolizer()
			// local_gamma is static: stripped variants only know it from their debug data.
			expect(t, s, p, "target_alpha", path)
			expect(t, s, p, "local_gamma", path)
			if v == "minidebuginfo" {
				f, err := elf.Open(path)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if f.Section(".symtab") != nil || f.Section(".gnu_debugdata") == nil {
					t.Fatalf("%s: want no .symtab and a .gnu_debugdata", path)
				}
			}
		})
	}
}

func TestUserSharedLibrary(t *testing.T) {
	path := binary(t, "shared")
	lib := filepath.Join(filepath.Dir(path), "libsymtest.so")
	p := start(t, path)
	s := newTestSymbolizer()
	expect(t, s, p, "target_alpha", path)
	expect(t, s, p, "lib_delta", lib)
	expect(t, s, p, "lib_epsilon", lib)

	// ObjAddr is the address nm shows.
	out, err := sh("", "nm", lib)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^([0-9a-f]+) T lib_delta$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("nm %s: no lib_delta", lib)
	}
	want, _ := strconv.ParseUint(m[1], 16, 64)
	if got := s.User(p.pid, p.addr(t, "lib_delta")); got.ObjAddr != want {
		t.Errorf("lib_delta ObjAddr = %#x, want %#x (nm)", got.ObjAddr, want)
	}
	v := s.User(p.pid, p.addr(t, "lib_delta")+1).Verbose()
	if wantV := fmt.Sprintf("0x%016x lib_delta+0x1 (%s+0x%x)", p.addr(t, "lib_delta")+1, lib, want+1); v != wantV {
		t.Errorf("Verbose() = %q, want %q", v, wantV)
	}
}

func TestUserStrippedLibraryUsesDynsym(t *testing.T) {
	path := binary(t, "sharedstripped")
	lib := filepath.Join(filepath.Dir(path), "libsymtest.so")
	p := start(t, path)
	s := newTestSymbolizer()
	expect(t, s, p, "lib_delta", lib)
	// lib_epsilon is local and the library has no .symtab: it must come out unknown, not as
	// its neighbour plus an offset.
	if got := s.User(p.pid, p.addr(t, "lib_epsilon")); got.Known {
		t.Errorf("lib_epsilon resolved to %s+%#x in a stripped library", got.Name, got.Offset)
	} else if got.String() != "[unknown]" || got.Path != lib {
		t.Errorf("unknown frame: String()=%q Path=%q", got.String(), got.Path)
	}
}

func TestUserCxxDemangled(t *testing.T) {
	path := binary(t, "cxx")
	p := start(t, path)
	s := newTestSymbolizer()
	for _, f := range p.funcs {
		expect(t, s, p, f.name, path)
	}
	raw := NewWithOptions(Options{NoDemangle: true})
	if got := raw.User(p.pid, p.addr(t, "outer::Widget::tick(long)")); got.Name != "_ZN5outer6Widget4tickEl" {
		t.Errorf("NoDemangle: got %q", got.Name)
	}
}

func TestUserGo(t *testing.T) {
	for _, v := range []string{"go", "gostripped", "gostripped-external", "gostripped-pie"} {
		t.Run(v, func(t *testing.T) {
			path := binary(t, v)
			if v != "go" {
				f, err := elf.Open(path)
				if err != nil {
					t.Fatal(err)
				}
				hasSymtab := f.Section(".symtab") != nil
				f.Close()
				if hasSymtab {
					t.Fatalf("%s still has a .symtab", path)
				}
			}
			p := start(t, path)
			s := newTestSymbolizer()
			expect(t, s, p, "main.alpha", path)
			expect(t, s, p, "main.(*widget).spin", path)
		})
	}
}

// A binary deleted or replaced after it started is read through /proc/PID/map_files.
func TestUserDeletedAndReplaced(t *testing.T) {
	src := binary(t, "pie")
	dir := t.TempDir()
	for _, how := range []string{"deleted", "replaced"} {
		t.Run(how, func(t *testing.T) {
			path := filepath.Join(dir, how)
			data, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data, 0o755); err != nil {
				t.Fatal(err)
			}
			p := start(t, path)
			if how == "deleted" {
				os.Remove(path)
			} else {
				other, err := os.ReadFile(binary(t, "nopie"))
				if err != nil {
					t.Fatal(err)
				}
				os.WriteFile(path+".new", other, 0o755)
				if err := os.Rename(path+".new", path); err != nil {
					t.Fatal(err)
				}
			}
			s := newTestSymbolizer()
			// Both unlink the mapped inode's name; maps says so.
			want := path + deletedSuffix
			expect(t, s, p, "target_alpha", want)
			expect(t, s, p, "local_gamma", want)

			// A path that names another inode than the mapped one (replaced in place,
			// or a container's root showing something else) is not trusted.
			ms, err := readProcMaps("/proc", p.pid)
			if err != nil || len(ms) == 0 {
				t.Fatalf("maps: %v", err)
			}
			m := ms[0]
			m.path = src
			f, err := s.openMapped(p.pid, &m)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if !strings.Contains(f.Name(), "/map_files/") {
				t.Errorf("opened %s for a mapping of another inode", f.Name())
			}
		})
	}
}

// The vDSO is read from process memory; check a function it exports against an independent
// reading of the same bytes.
func TestUserVDSO(t *testing.T) {
	pid := uint32(os.Getpid())
	ms, err := readProcMaps("/proc", pid)
	if err != nil {
		t.Fatal(err)
	}
	var m *mapping
	for i := range ms {
		if ms[i].path == "[vdso]" {
			m = &ms[i]
		}
	}
	if m == nil {
		t.Skip("no [vdso] mapping")
	}
	f, err := os.Open("/proc/self/mem")
	if err != nil {
		t.Fatal(err)
	}
	img := make([]byte, m.end-m.start)
	_, err = f.ReadAt(img, int64(m.start))
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	ef, err := elf.NewFile(bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := ef.DynamicSymbols()
	if err != nil {
		t.Fatal(err)
	}
	var base uint64
	for _, p := range ef.Progs {
		if p.Type == elf.PT_LOAD {
			base = p.Vaddr - p.Off
			break
		}
	}
	found := 0
	s := New()
	for _, d := range dyn {
		if elf.ST_TYPE(d.Info) != elf.STT_FUNC || d.Size < 2 {
			continue
		}
		addr := m.start + d.Value - base + 1
		got := s.User(pid, addr)
		// Aliases (clock_gettime / __vdso_clock_gettime) share an address: either name.
		if !got.Known || got.Offset != 1 || !strings.HasSuffix(d.Name, strings.TrimPrefix(got.Name, "__vdso_")) {
			t.Errorf("vdso %s+1 at %#x: got %q+%#x known=%v", d.Name, addr, got.Name, got.Offset, got.Known)
		}
		if got.Path != "[vdso]" {
			t.Errorf("vdso Path = %q", got.Path)
		}
		found++
	}
	if found == 0 {
		t.Fatal("no functions in the vDSO's .dynsym")
	}
}

// Without access to another process's memory, its vDSO is named from ours, the same image.
func TestUserVDSODenied(t *testing.T) {
	readProcessMemory = func(string, uint64, uint64) ([]byte, error) { return nil, fs.ErrPermission }
	defer func() { readProcessMemory = readMemory }()
	pid := uint32(os.Getpid())
	ms, err := readProcMaps("/proc", pid)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.path != "[vdso]" {
			continue
		}
		img, err := ownVDSO()
		if err != nil {
			t.Fatal(err)
		}
		ef, err := elf.NewFile(bytes.NewReader(img))
		if err != nil {
			t.Fatal(err)
		}
		dyn, _ := ef.DynamicSymbols()
		for _, d := range dyn {
			if elf.ST_TYPE(d.Info) != elf.STT_FUNC || d.Size < 2 {
				continue
			}
			var base uint64
			for _, p := range ef.Progs {
				if p.Type == elf.PT_LOAD {
					base = p.Vaddr - p.Off
					break
				}
			}
			var denied []string
			s := NewWithOptions(Options{Denied: func(path, capability string) { denied = append(denied, path) }})
			if got := s.User(pid, m.start+d.Value-base+1); !got.Known || got.Offset != 1 {
				t.Errorf("vdso %s+1 from our own image: %+v", d.Name, got)
			}
			if denied != nil {
				t.Errorf("denied: %v", denied)
			}
			return
		}
	}
	t.Skip("no [vdso] mapping with functions")
}

// Tables dropped for memory are re-read when needed, with the same answers.
func TestUserEviction(t *testing.T) {
	a, b := binary(t, "pie"), binary(t, "nopie")
	pa, pb := start(t, a), start(t, b)
	s := NewWithOptions(Options{DebugDirs: []string{debugRoot()}, MaxTableBytes: 1})
	for i := 0; i < 3; i++ {
		expect(t, s, pa, "local_gamma", a)
		expect(t, s, pb, "local_gamma", b)
	}
	s.mu.Lock()
	loaded := s.loaded
	s.mu.Unlock()
	if loaded != 1 {
		t.Errorf("%d tables held with MaxTableBytes=1, want 1", loaded)
	}
}

func TestUserUnknownAndGone(t *testing.T) {
	path := binary(t, "pie")
	p := start(t, path)
	s := New()
	if got := s.User(p.pid, 0x10); got.Known || got.Path != "" || got.String() != "[unknown]" {
		t.Errorf("address outside every mapping: %+v", got)
	}
	expect(t, s, p, "target_alpha", path)
	// Cached maps and tables keep answering after the process exits...
	p.stop(t)
	expect(t, s, p, "target_alpha", path)
	// ...until forgotten.
	s.ForgetPid(p.pid)
	if got := s.User(p.pid, p.addr(t, "target_alpha")); got.Known {
		t.Errorf("after exit and ForgetPid: %+v", got)
	}
	if s.ProcErr(p.pid) == nil {
		t.Errorf("ProcErr of an exited process is nil")
	}
}

func TestUserStack(t *testing.T) {
	path := binary(t, "shared")
	p := start(t, path)
	s := newTestSymbolizer()
	ips := []uint64{p.addr(t, "lib_delta") + 4, p.addr(t, "target_alpha") + 8, 0x10, 0, p.addr(t, "local_gamma")}
	var got []string
	for _, f := range s.UserStack(p.pid, ips) {
		got = append(got, f.String())
	}
	want := []string{"lib_delta", "target_alpha", "[unknown]"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("UserStack = %q, want %q", got, want)
	}
}

func TestConcurrentUse(t *testing.T) {
	path := binary(t, "shared")
	p := start(t, path)
	s := NewWithOptions(Options{DebugDirs: []string{debugRoot()}, MaxTableBytes: 1})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if got := s.User(p.pid, p.addr(t, "lib_delta")); got.Name != "lib_delta" {
					t.Errorf("concurrent User: %+v", got)
					return
				}
				if i%10 == 0 {
					s.ForgetPid(p.pid)
				}
				s.Kernel(0xffffffff81000000)
			}
		}()
	}
	wg.Wait()
}

// A process in its own mount namespace, run from a tmpfs mounted only there (a container's
// view): maps names a path that does not exist on the host, so the binary and its debug file
// must be read through /proc/PID/root.
func TestUserOtherMountNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount")
	}
	src := binary(t, "debuglink")
	mnt := t.TempDir()
	cmd := exec.Command("sh", "-c", fmt.Sprintf("mount -t tmpfs tmpfs %[1]s && cp %[2]s %[2]s.debug %[1]s/ && exec %[1]s/prog", mnt, src))
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	p := startCmd(t, cmd)
	path := filepath.Join(mnt, "prog")
	if _, err := os.Stat(path); err == nil {
		t.Fatalf("%s visible on the host: the test does not test namespaces", path)
	}
	s := newTestSymbolizer()
	expect(t, s, p, "target_alpha", path)
	expect(t, s, p, "local_gamma", path) // only in prog.debug, also inside the namespace
	ms, err := readProcMaps("/proc", p.pid)
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.openMapped(p.pid, &ms[findMapping(ms, p.addr(t, "target_alpha"))])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if want := fmt.Sprintf("/proc/%d/root%s", p.pid, path); f.Name() != want {
		t.Errorf("opened %s, want %s", f.Name(), want)
	}
}
