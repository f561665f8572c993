package tests

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startGcLoop runs testdata/GcLoop.java through java's source launcher: it collects garbage
// with System.gc() each time it is told to.
func startGcLoop(t *testing.T) *workload {
	t.Helper()
	need(t, "java")
	w := startWorkload(t, exec.Command("java", "-Xmx64m", "testdata/GcLoop.java"), "java")
	if l := w.line(); l != fmt.Sprintf("ready %d", w.pid) {
		t.Fatalf("GcLoop said %q", l)
	}
	return w
}

// collect makes the JVM collect garbage n times, each waited for.
func collect(w *workload, n int) {
	w.t.Helper()
	for range n {
		io.WriteString(w.stdin, "go\n")
		if l := w.line(); l != "done" {
			w.t.Fatalf("GcLoop said %q", l)
		}
	}
}

func TestJavagc(t *testing.T) {
	w := startGcLoop(t)
	p := start(t, "javagc", "-p", strconv.Itoa(w.pid), "-t", "0")
	lines := strings.Split(p.Stdout(), "\n")
	if lines[0] != "Tracing javagc time... Hit Ctrl-C to end." {
		t.Fatalf("banner %q", lines[0])
	}
	p.waitFor("GC TIME", 5*time.Second)
	if got := strings.Split(p.Stdout(), "\n")[1]; got != fmt.Sprintf("%-8s %-7s %-7s %-7s", "TIME", "CPU", "PID", "GC TIME") {
		t.Fatalf("header %q", got)
	}
	collect(w, 3)
	pid := fmt.Sprintf(" %-7d ", w.pid)
	p.waitLines(pid, 3, 20*time.Second)
	out := p.stop()
	for _, l := range linesWith(out, pid) {
		f := fields(l)
		cpu, err1 := strconv.Atoi(f[1])
		us, err2 := strconv.ParseUint(f[3], 10, 64)
		if len(f) != 4 || err1 != nil || err2 != nil || cpu >= runtime.NumCPU() || f[2] != strconv.Itoa(w.pid) || us > 60e6 {
			t.Errorf("bad line %q", l)
		}
	}
}

// TestJavagcJSON: the pauses from --json, and the threshold: a second javagc on the same JVM
// with -t of a minute sees none of them.
func TestJavagcJSON(t *testing.T) {
	w := startGcLoop(t)
	p := start(t, "javagc", "--json", "-p", strconv.Itoa(w.pid), "-t", "0")
	long := start(t, "javagc", "--json", "-p", strconv.Itoa(w.pid), "-t", "60000000")
	collect(w, 3)
	p.waitLines(`"type":"event"`, 3, 20*time.Second)
	out := p.stop()
	events := ofType(jsonLines(t, "javagc", out), "event")
	if len(events) < 3 {
		t.Errorf("want a pause per System.gc() (3), got %d\n%s", len(events), out)
	}
	var total float64
	for _, e := range events {
		if int(e.num("pid")) != w.pid || int(e.num("cpu")) >= runtime.NumCPU() {
			t.Errorf("event %v: want pid %d", e, w.pid)
		}
		total += e.num("gc_time_us")
	}
	if total <= 0 {
		t.Errorf("pauses sum up to %v us\n%s", total, out)
	}
	if got := ofType(jsonLines(t, "javagc", long.stop()), "event"); len(got) != 0 {
		t.Errorf("-t 60000000 reported %d pauses: %v", len(got), got)
	}
}

func TestJavagcBadInput(t *testing.T) {
	badInput(t, "javagc", "not specify pid, see --pid.")
	badInput(t, "javagc", "invalid time: abc", "-p", "1", "-t", "abc")
	badInput(t, "javagc", "Not found libjvm.so.", "-p", strconv.Itoa(os.Getpid()))
	badInput(t, "javagc", "flag provided but not defined", "--bogus")
}
