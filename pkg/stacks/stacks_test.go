package stacks

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/syms"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s:\n--- got\n%s--- want\n%s", name, path, got, want)
	}
}

func ksym(name string, addr, off uint64) syms.Symbol {
	return syms.Symbol{Addr: addr, Name: name, Offset: off, Known: name != ""}
}

func usym(name string, addr, off uint64, path string, objAddr uint64) syms.Symbol {
	return syms.Symbol{Addr: addr, Name: name, Offset: off, Known: name != "", Path: path, ObjAddr: objAddr}
}

// entries covers every shape a stack tool prints: both stacks, a kernel thread (no user
// stack), a user-mode sample (no kernel stack), lost stacks, unknown frames.
var entries = []Entry{
	{
		Comm: "burner", PID: 4242, Value: 97,
		Kernel: Stack{State: Present, Frames: []syms.Symbol{
			ksym("__schedule", 0xffffffff81300123, 0x123),
			ksym("schedule", 0xffffffff81300845, 0x45),
			ksym("", 0xffffffffc0001234, 0),
		}},
		User: Stack{State: Present, Frames: []syms.Symbol{
			usym("burn_here", 0x55555555513d, 0x14, "/tmp/stackload", 0x113d),
			usym("spin_loop", 0x5555555551a0, 0x20, "/tmp/stackload", 0x11a0),
			usym("", 0x7ffff7dd0000, 0, "/usr/lib/libc.so.6", 0x27000),
			usym("", 0xdeadbeef, 0, "", 0),
		}},
	},
	{
		Comm: "kworker/0:1", PID: 17, Value: 3,
		Kernel: Stack{State: Present, Frames: []syms.Symbol{
			ksym("worker_thread", 0xffffffff810a0010, 0x10),
			ksym("kthread", 0xffffffff810b0020, 0x20),
		}},
	},
	{
		Comm: "burner", PID: 4242, Value: 2,
		User: Stack{State: Present, Frames: []syms.Symbol{
			usym("main", 0x555555555200, 0x8, "/tmp/stackload", 0x1200),
		}},
	},
	{
		Comm: "lossy", PID: 9, Value: 1,
		Kernel: Stack{State: Missed},
		User:   Stack{State: Missed},
	},
}

func renderStyle(s Style) (stdout, stderr string) {
	var out, errb bytes.Buffer
	if s.MissedTo != nil {
		s.MissedTo = &errb
	}
	for i := range entries {
		s.Write(&out, &entries[i])
	}
	return out.String(), errb.String()
}

func TestStyles(t *testing.T) {
	offcpu := Style{UnknownKernel: "unknown", Numbered: true, MissedTo: os.Stderr}
	offcpuVerbose := offcpu
	offcpuVerbose.Verbose = true
	offcpuOffsets := offcpu
	offcpuOffsets.Offsets = true
	offcpuOffsetsVerbose := offcpuVerbose
	offcpuOffsetsVerbose.Offsets = true
	cases := []struct {
		name  string
		style Style
	}{
		{"profile", Style{}},
		{"profile-d", Style{Delimited: true}},
		{"profile-v", Style{Verbose: true}},
		{"profile-f", Style{Folded: true}},
		{"profile-f-d-a", Style{Folded: true, Delimited: true, Annotate: true}},
		{"offcputime", offcpu},
		{"offcputime-v", offcpuVerbose},
		// Python offcputime's -s: name+0xOFF for known frames, unknown ones as they were.
		{"offcputime-s", offcpuOffsets},
		// -v shows offsets already, with addresses: it wins.
		{"offcputime-v", offcpuOffsetsVerbose},
		// -s has no place in folded output (Python refuses -f -s): frames stay names.
		{"profile-f", Style{Folded: true, Offsets: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errOut := renderStyle(c.style)
			if errOut != "" {
				out += "--- stderr\n" + errOut
			}
			golden(t, c.name, out)
		})
	}
}

// Folded lines are what flamegraph.pl and inferno read: ";"-separated frames, a space, the
// count.
func TestFoldedIsFlameGraphInput(t *testing.T) {
	out, _ := renderStyle(Style{Folded: true, Delimited: true, Annotate: true})
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		i := strings.LastIndexByte(l, ' ')
		frames, count := l[:max(i, 0)], l[i+1:]
		if i <= 0 || count == "" || strings.Trim(count, "0123456789") != "" {
			t.Errorf("not folded: %q", l)
		}
		if strings.Contains(frames, ";;") || strings.HasSuffix(frames, ";") {
			t.Errorf("empty frame in %q", l)
		}
	}
}

type fakeMap map[int32][]uint64

func (m fakeMap) lookup(id int32) ([]uint64, bool) {
	ips, ok := m[id]
	return ips, ok
}

//go:noinline
func here() int { return os.Getpid() + 1 }

// A tracepoint program's kernel stack starts with the tracer's frames; the Reader drops them
// unless told to keep them, and ids map to states as libbpf-tools read them.
func TestReader(t *testing.T) {
	s := syms.NewWithOptions(syms.Options{Kallsyms: "testdata/kallsyms"})
	fn := uint64(reflect.ValueOf(here).Pointer())
	m := fakeMap{
		1: {0xffffffff81100010, 0xffffffff81200010, 0xffffffff81200110, 0xffffffff81200210,
			0xffffffff81300010, 0xffffffff81300810, 0xffffffff81300910, 0, 0},
		2: {fn, 0, 0},
	}
	r := NewReaderFunc(m.lookup, s)
	k, u := r.Stacks(1, 2, uint32(os.Getpid()))
	names := func(st Stack) []string {
		var n []string
		for _, f := range st.Frames {
			n = append(n, f.String())
		}
		return n
	}
	if want := []string{"__schedule", "schedule", "do_nanosleep"}; k.State != Present || !slices.Equal(names(k), want) {
		t.Errorf("kernel stack %v %v, want %v", k.State, names(k), want)
	}
	wantFn := runtime.FuncForPC(uintptr(fn)).Name()
	t.Logf("%x %v", fn, u.Frames[0].Verbose())
	if u.State != Present || !slices.Equal(names(u), []string{wantFn}) {
		t.Errorf("user stack %v %v, want [%s]", u.State, names(u), wantFn)
	}

	r.KeepTracerFrames = true
	if k := r.Kernel(1); len(k.Frames) != 7 || k.Frames[0].Name != "bpf_prog_6deef7357e7b4530_switch_btf" {
		t.Errorf("kept %v", names(k))
	}
	if n, coll := r.Missed(); n != 0 || coll {
		t.Errorf("missed %d %v before any loss", n, coll)
	}

	for _, c := range []struct {
		id   int32
		want State
	}{{NoStack, Absent}, {-14 /* EFAULT */, Absent}, {3 /* not in the map */, Missed}, {-12 /* ENOMEM */, Missed}} {
		if got := r.Kernel(c.id).State; got != c.want {
			t.Errorf("id %d: state %v, want %v", c.id, got, c.want)
		}
	}
	if n, coll := r.Missed(); n != 2 || coll {
		t.Errorf("missed %d, collision %v; want 2, false", n, coll)
	}
	if r.User(-17 /* EEXIST */, 1).State != Missed {
		t.Error("a collision is a missed stack")
	}
	if n, coll := r.Missed(); n != 3 || !coll {
		t.Errorf("missed %d, collision %v; want 3, true", n, coll)
	}
}

func TestSort(t *testing.T) {
	es := []Entry{{Comm: "b", Value: 5}, {Comm: "a", Value: 7}, {Comm: "c", Value: 5, PID: 2}, {Comm: "c", Value: 5, PID: 1}}
	key := func() (s []string) {
		for _, e := range es {
			s = append(s, e.Comm+string(rune('0'+e.PID)))
		}
		return s
	}
	Sort(es, true)
	if want := []string{"a0", "b0", "c1", "c2"}; !slices.Equal(key(), want) {
		t.Errorf("descending: %v, want %v", key(), want)
	}
	Sort(es, false)
	if want := []string{"b0", "c1", "c2", "a0"}; !slices.Equal(key(), want) {
		t.Errorf("ascending: %v, want %v", key(), want)
	}
}

func TestParseStorage(t *testing.T) {
	cases := []struct {
		size, depth string
		limit       int
		want        Storage
		err         string
	}{
		{"", "", 127, Storage{1024, 127}, ""},
		{"", "", 64, Storage{1024, 64}, ""},
		{"16384", "20", 127, Storage{16384, 20}, ""},
		{"0", "", 127, Storage{}, `invalid stack storage size "0"`},
		{"x", "", 127, Storage{}, `invalid stack storage size "x"`},
		{"", "128", 127, Storage{}, `invalid perf max stack depth "128": must be from 1 to 127`},
		{"", "-1", 127, Storage{}, `invalid perf max stack depth "-1"`},
	}
	for _, c := range cases {
		got, err := parseStorage(c.size, c.depth, c.limit)
		if c.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), c.err) {
				t.Errorf("parseStorage(%q, %q): %v, want %q", c.size, c.depth, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("parseStorage(%q, %q) = %v, %v; want %v", c.size, c.depth, got, err, c.want)
		}
	}
}

func TestMerge(t *testing.T) {
	at := func(addr uint64) syms.Symbol { return ksym("burn_here", addr, addr-0x1000) }
	es := []Entry{
		{Comm: "a", PID: 1, Value: 5, User: Stack{State: Present, Frames: []syms.Symbol{at(0x1004)}}},
		{Comm: "a", PID: 1, Value: 7, User: Stack{State: Present, Frames: []syms.Symbol{at(0x1010)}}},
		{Comm: "a", PID: 2, Value: 1, User: Stack{State: Present, Frames: []syms.Symbol{at(0x1010)}}},
		{Comm: "a", PID: 1, Value: 2, User: Stack{State: Missed}},
		{Comm: "a", PID: 1, Value: 3, Kernel: Stack{State: Present, Frames: []syms.Symbol{at(0x1010)}}},
	}
	got := Merge(es)
	var vals []uint64
	for _, e := range got {
		vals = append(vals, e.Value)
	}
	if !slices.Equal(vals, []uint64{12, 1, 2, 3}) {
		t.Errorf("merged values %v, want [12 1 2 3]", vals)
	}
}

func TestParseBlockTimes(t *testing.T) {
	for _, tc := range []struct {
		min, max       string
		minUs, maxUs   uint64
		wantErrContain string
	}{
		{"", "", 1, math.MaxUint64, ""},
		{"1000", "", 1000, math.MaxUint64, ""},
		{"", "500", 1, 500, ""},
		{"10", "10", 0, 0, "should be smaller"},
		{"x", "", 0, 0, "Invalid min block time (in us): x"},
		{"", "-1", 0, 0, "Invalid max block time (in us): -1"},
	} {
		minUs, maxUs, err := parseBlockTimes(tc.min, tc.max)
		if tc.wantErrContain != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErrContain) {
				t.Errorf("-m %q -M %q: error %v, want %q", tc.min, tc.max, err, tc.wantErrContain)
			}
			continue
		}
		if err != nil || minUs != tc.minUs || maxUs != tc.maxUs {
			t.Errorf("-m %q -M %q = %d, %d, %v; want %d, %d", tc.min, tc.max, minUs, maxUs, err, tc.minUs, tc.maxUs)
		}
	}
}
