package tests

import (
	"debug/elf"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// funclat is tests/testdata/funclat.c: timed() and nested() called on request, each sleeping.
type funclat struct {
	*workload
	bin string
}

func startFunclat(t *testing.T, comm string) *funclat {
	t.Helper()
	bin := cProgram(t, "funclat")
	w := startWorkload(t, exec.Command(bin, comm), comm)
	if l := w.line(); l != fmt.Sprintf("ready %d", w.pid) {
		t.Fatalf("funclat said %q", l)
	}
	return &funclat{workload: w, bin: bin}
}

// do sends one request ("timed 20 3000", "nested 3 1000") and waits until it is done.
func (f *funclat) do(request string) {
	f.t.Helper()
	io.WriteString(f.stdin, request+"\n")
	if l := f.line(); l != "done" {
		f.t.Fatalf("funclat said %q to %q", l, request)
	}
}

// libc names the file holding funclat's usleep: libc as "c", or funclat itself when it is
// linked statically (the guests' prebuilt one).
func (f *funclat) libc() string {
	file, err := elf.Open(f.bin)
	if err != nil {
		f.t.Fatal(err)
	}
	defer file.Close()
	for _, p := range file.Progs {
		if p.Type == elf.PT_INTERP {
			return "c"
		}
	}
	return f.bin
}

// funclatHist is the one histogram of a funclatency report (or the sum of all reports).
func funclatHist(t *testing.T, out, unit string) histogram {
	t.Helper()
	var sum histogram
	sum.Rows = map[uint64]uint64{}
	for _, h := range parseHists(t, out) {
		if h.Label != unit {
			t.Errorf("histogram labelled %q, want %q\n%s", h.Label, unit, out)
		}
		for _, b := range h.Buckets {
			sum.Rows[b.Low] += b.Count
			sum.Total += b.Count
		}
	}
	return sum
}

// countsFrom says how many of h's counts are in buckets from low on.
func countsFrom(h histogram, low uint64) uint64 {
	var n uint64
	for l, c := range h.Rows {
		if l >= low {
			n += c
		}
	}
	return n
}

// TestFunclatency times a function of the workload's own executable with -p: 20 calls of at
// least 3 ms, each in a bucket from 2048 usec on.
func TestFunclatency(t *testing.T) {
	f := startFunclat(t, workloadName("bpfu-fl"))
	target := f.bin + ":timed"
	p := start(t, "funclatency", "-u", "-p", strconv.Itoa(f.pid), target)
	f.do("timed 20 3000")
	out := p.stop()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if want := fmt.Sprintf("Tracing %s.  Hit Ctrl-C to exit", target); lines[0] != want {
		t.Errorf("first line %q, want %q", lines[0], want)
	}
	if want := "Exiting trace of " + target; lines[len(lines)-1] != want {
		t.Errorf("last line %q, want %q", lines[len(lines)-1], want)
	}
	h := funclatHist(t, out, "usec")
	if h.Total != 20 || countsFrom(h, 2048) != 20 || countsFrom(h, 1<<20) != 0 {
		t.Errorf("want 20 calls between 2048 usec and 1 s, got %v\n%s", h.Rows, out)
	}
}

// TestFunclatencyNested: recursive calls are each timed from their own entry, the outermost
// (four sleeps of 1 ms) at 4 ms or more.
func TestFunclatencyNested(t *testing.T) {
	f := startFunclat(t, workloadName("bpfu-fln"))
	p := start(t, "funclatency", "-p", strconv.Itoa(f.pid), ":nested")
	f.do("nested 3 1000")
	out := p.stop()
	h := funclatHist(t, out, "nsec")
	if h.Total != 4 || countsFrom(h, 1<<19) != 4 || countsFrom(h, 1<<22) < 1 {
		t.Errorf("want 4 nested calls from 1 ms, one from 4 ms, got %v\n%s", h.Rows, out)
	}
}

// TestFunclatencyLibc times the C library's usleep in one process, in milliseconds.
func TestFunclatencyLibc(t *testing.T) {
	f := startFunclat(t, workloadName("bpfu-flc"))
	p := start(t, "funclatency", "-m", "-p", strconv.Itoa(f.pid), f.libc()+":usleep")
	f.do("timed 10 3000")
	out := p.stop()
	h := funclatHist(t, out, "msec")
	if h.Total != 10 || countsFrom(h, 2) != 10 || countsFrom(h, 1024) != 0 {
		t.Errorf("want 10 calls between 2 ms and 1 s, got %v\n%s", h.Rows, out)
	}
}

func TestFunclatencyJSON(t *testing.T) {
	f := startFunclat(t, workloadName("bpfu-flj"))
	target := f.bin + ":timed"
	p := start(t, "funclatency", "--json", "-u", "-p", strconv.Itoa(f.pid), target)
	f.do("timed 20 3000")
	out := p.stop()
	var total float64
	for _, l := range ofType(jsonLines(t, "funclatency", out), "histogram") {
		if l.str("unit") != "usecs" || l.label("function") != target {
			t.Errorf("histogram %v: want unit usecs, function %s", l, target)
		}
		total += l.bucketTotal()
		for _, b := range l["buckets"].([]any) {
			m := b.(map[string]any)
			if m["count"].(float64) > 0 && m["low"].(float64) < 2048 {
				t.Errorf("calls of at least 3 ms counted under %v usecs", m)
			}
		}
	}
	if total != 20 {
		t.Errorf("want 20 calls, got %v\n%s", total, out)
	}
	if strings.Contains(out, "Exiting trace") {
		t.Errorf("text in JSON output\n%s", out)
	}
}

// TestFunclatencyInterval: -i 1 -d 2 is two reports, then the tool exits by itself.
func TestFunclatencyInterval(t *testing.T) {
	f := startFunclat(t, workloadName("bpfu-fli"))
	p := start(t, "funclatency", "-T", "-i", "1", "-d", "2", "-p", strconv.Itoa(f.pid), f.bin+":timed")
	f.do("timed 5 3000")
	out := p.wait(30 * time.Second)
	var stamps int
	for _, l := range strings.Split(out, "\n") {
		if len(l) == 8 && l[2] == ':' && l[5] == ':' {
			stamps++
		}
	}
	if stamps != 2 {
		t.Errorf("want 2 reports, got %d\n%s", stamps, out)
	}
	if h := funclatHist(t, out, "nsec"); h.Total != 5 {
		t.Errorf("want 5 calls over the reports, got %v\n%s", h.Rows, out)
	}
	if n := len(linesWith(out, "Exiting trace of ")); n != 1 {
		t.Errorf("want one closing line, got %d\n%s", n, out)
	}
}

// TestFunclatencyCgroup: -c counts the calls of the workload in the cgroup, not those of the
// same program outside it.
func TestFunclatencyCgroup(t *testing.T) {
	in := startFunclat(t, workloadName("bpfu-flg"))
	out := startFunclat(t, workloadName("bpfu-flo"))
	dir := in.cgroupOf()
	p := start(t, "funclatency", "-c", dir, in.bin+":timed")
	in.do("timed 3 1000")
	out.do("timed 4 1000")
	text := p.stop()
	if h := funclatHist(t, text, "nsec"); h.Total != 3 {
		t.Errorf("want the 3 calls in the cgroup, got %v\n%s", h.Rows, text)
	}
}

// TestFunclatencyKernel times the kernel's hrtimer_nanosleep, which each usleep of the
// workload calls once, in the workload (-p) only, through fentry and through kprobes (-k).
// Where the kernel allows neither (the host), the tool must say so in one line.
func TestFunclatencyKernel(t *testing.T) {
	for _, extra := range [][]string{nil, {"-k"}} {
		t.Run(strings.Join(append([]string{"default"}, extra...), " "), func(t *testing.T) {
			f := startFunclat(t, workloadName("bpfu-flk"))
			args := append(append([]string{"-u", "-p", strconv.Itoa(f.pid)}, extra...), "hrtimer_nanosleep")
			p := startWhereHooked(t, "funclatency", args, "cannot trace returns of hrtimer_nanosleep", "fentry", "kprobe")
			if p == nil {
				return
			}
			f.do("timed 5 3000")
			out := p.stop()
			h := funclatHist(t, out, "usec")
			if h.Total != 5 || countsFrom(h, 2048) != 5 || countsFrom(h, 1<<20) != 0 {
				t.Errorf("want 5 calls between 2048 usec and 1 s, got %v\n%s", h.Rows, out)
			}
		})
	}
}

func TestFunclatencyBadInput(t *testing.T) {
	bin := cProgram(t, "funclat")
	badInput(t, "funclatency", "only set one of -m or -u", "-m", "-u", "vfs_read")
	badInput(t, "funclatency", "Need a function to trace", "-u")
	badInput(t, "funclatency", "no kernel function no_such_function_xyz", "no_such_function_xyz")
	badInput(t, "funclatency", "needs", ":timed")
	badInput(t, "funclatency", `cannot find "no_such_library_xyz"`, "no_such_library_xyz:read")
	badInput(t, "funclatency", "could not find no_such_function_xyz in "+bin, bin+":no_such_function_xyz")
	badInput(t, "funclatency", "invalid PID", "-p", "abc", "vfs_read")
}
