package tests

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// exitWorkload is testdata/exitcodes.c under a unique name.
func exitWorkload(t *testing.T, prefix string) (prog, name string) {
	t.Helper()
	name = workloadName(prefix)
	return copyExecutable(t, cProgram(t, "exitcodes"), name), name
}

// exitOutcome is how a task ended, as exitsnoop's EXIT_CODE column says it.
type exitOutcome struct {
	pid, ppid int
	status    string
}

// runExitWorkload runs the workload to its end (exiting with code) and returns how each of its
// children ended, keyed by pid, and its own pid.
func runExitWorkload(t *testing.T, prog string, code int) (children map[int]exitOutcome, pid int) {
	t.Helper()
	cmd := exec.Command(prog, strconv.Itoa(code))
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != code {
		t.Fatalf("workload: %v, want exit code %d\n%s", err, code, out)
	}
	pid = cmd.Process.Pid
	children = map[int]exitOutcome{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var child, n int
		var how string
		if _, err := fmt.Sscanf(l, "child %d %s %d", &child, &how, &n); err != nil {
			continue
		}
		children[child] = exitOutcome{pid: child, ppid: pid, status: exitStatus(how, n)}
	}
	if len(children) != 6 {
		t.Fatalf("workload reported %d children, want 6:\n%s", len(children), out)
	}
	return children, pid
}

// exitStatus is the EXIT_CODE column for an exit code or a terminating signal.
func exitStatus(how string, n int) string {
	names := map[int]string{9: "Killed", 10: "User defined signal 1", 15: "Terminated"}
	switch {
	case how == "signal":
		return fmt.Sprintf("signal %d (%s)", n, names[n])
	case n == 0:
		return "0"
	}
	return fmt.Sprintf("code %d", n)
}

// exitLines parses exitsnoop's text lines of comm: PCOMM PID PPID TID AGE(s) EXIT_CODE.
func exitLines(t *testing.T, out, comm string) map[int]exitOutcome {
	t.Helper()
	got := map[int]exitOutcome{}
	for _, l := range linesWith(out, comm) {
		f := fields(l)
		if len(f) < 6 || f[0] != comm {
			t.Errorf("bad line %q", l)
			continue
		}
		pid, _ := strconv.Atoi(f[1])
		ppid, _ := strconv.Atoi(f[2])
		tid, _ := strconv.Atoi(f[3])
		if age, err := strconv.ParseFloat(f[4], 64); err != nil || age < 0 || age > 60 {
			t.Errorf("age %q in %q", f[4], l)
		}
		// Not -T: one line per process, by its main thread.
		if tid != pid {
			t.Errorf("thread line without -T: %q", l)
		}
		got[pid] = exitOutcome{pid: pid, ppid: ppid, status: strings.Join(f[5:], " ")}
	}
	return got
}

func TestExitsnoop(t *testing.T) {
	prog, name := exitWorkload(t, "bpfu-exit")
	p := start(t, "exitsnoop")
	if h := strings.Split(p.Stdout(), "\n")[0]; h != "PCOMM            PID     PPID    TID     AGE(s)  EXIT_CODE" {
		t.Fatalf("header %q", h)
	}
	children, pid := runExitWorkload(t, prog, 5)
	p.waitFor(fmt.Sprintf("%-16s %-7d %-7d", name, pid, os.Getpid()), 10*time.Second)
	got := exitLines(t, p.stop(), name)
	want := children
	want[pid] = exitOutcome{pid: pid, ppid: os.Getpid(), status: "code 5"}
	if len(got) != len(want) {
		t.Errorf("saw %d exits of %s, want %d: %v", len(got), name, len(want), got)
	}
	for pid, w := range want {
		if got[pid] != w {
			t.Errorf("pid %d: got %+v, want %+v", pid, got[pid], w)
		}
	}
}

// TestExitsnoopFailed: -x leaves out the exits with status 0, and -t adds the time.
func TestExitsnoopFailed(t *testing.T) {
	prog, name := exitWorkload(t, "bpfu-exitx")
	p := start(t, "exitsnoop", "-x", "-t")
	if h := strings.Split(p.Stdout(), "\n")[0]; h != "TIME(s)  PCOMM            PID     PPID    TID     AGE(s)  EXIT_CODE" {
		t.Fatalf("header %q", h)
	}
	children, pid := runExitWorkload(t, prog, 9)
	p.waitFor(fmt.Sprintf("%-16s %-7d", name, pid), 10*time.Second)
	out := p.stop()
	var lines []string
	for _, l := range linesWith(out, name) {
		if _, err := time.Parse("15:04:05", l[:8]); err != nil || l[8] != ' ' {
			t.Errorf("no time in %q", l)
		}
		lines = append(lines, l[9:])
	}
	got := exitLines(t, strings.Join(lines, "\n"), name)
	for child, w := range children {
		if _, seen := got[child]; seen == (w.status == "0") {
			t.Errorf("-x: child %d (%s) seen %v", child, w.status, seen)
		}
	}
	if got[pid].status != "code 9" {
		t.Errorf("workload's own exit: %+v", got[pid])
	}
}

// TestExitsnoopThreadsOfPid: -T -p PID shows the exits of that process's threads, and nothing of
// its children.
func TestExitsnoopThreadsOfPid(t *testing.T) {
	prog, name := exitWorkload(t, "bpfu-exitT")
	w := startWorkload(t, exec.Command(prog, "7", "-w"), name)
	if l := w.line(); l != fmt.Sprintf("ready %d", w.pid) {
		t.Fatalf("workload said %q", l)
	}
	p := start(t, "exitsnoop", "-T", "-p", strconv.Itoa(w.pid))
	fmt.Fprintln(w.stdin, "go")
	var tid int
	if _, err := fmt.Sscanf(w.line(), "thread %d", &tid); err != nil {
		t.Fatal(err)
	}
	p.waitFor(fmt.Sprintf("%-16s %-7d %-7d %-7d", name, w.pid, os.Getpid(), w.pid), 10*time.Second)
	out := p.stop()
	want := []string{
		fmt.Sprintf("%-16s %-7d %-7d %-7d 0", name, w.pid, os.Getpid(), tid),
		fmt.Sprintf("%-16s %-7d %-7d %-7d code 7", name, w.pid, os.Getpid(), w.pid),
	}
	lines := linesWith(out, name)
	if len(lines) != len(want) {
		t.Fatalf("want the thread's and the process's exit only, got:\n%s", out)
	}
	for i, l := range lines {
		// AGE(s) sits between TID and EXIT_CODE.
		f := fields(l)
		if got := fmt.Sprintf("%-16s %-7s %-7s %-7s %s", f[0], f[1], f[2], f[3], strings.Join(f[5:], " ")); got != want[i] {
			t.Errorf("line %d: %q, want %q", i, got, want[i])
		}
	}
}

// TestExitsnoopJSON: the workload of TestExitsnoop read from --json.
func TestExitsnoopJSON(t *testing.T) {
	prog, name := exitWorkload(t, "bpfu-exitj")
	p := start(t, "exitsnoop", "--json")
	children, pid := runExitWorkload(t, prog, 4)
	p.waitFor(fmt.Sprintf(`"pid":%d,`, pid), 10*time.Second)
	lines := jsonLines(t, "exitsnoop", p.stop())
	type outcome struct {
		ppid, code, sig int
	}
	want := map[int]outcome{pid: {os.Getpid(), 4, 0}}
	for child, c := range children {
		var o outcome
		o.ppid = pid
		if sig, ok := strings.CutPrefix(c.status, "signal "); ok {
			fmt.Sscanf(sig, "%d", &o.sig)
		} else if code, ok := strings.CutPrefix(c.status, "code "); ok {
			o.code, _ = strconv.Atoi(code)
		}
		want[child] = o
	}
	got := map[int]outcome{}
	for _, e := range ofType(lines, "event") {
		if e.str("comm") != name {
			continue
		}
		if e["core_dumped"] != false || e.num("tid") != e.num("pid") {
			t.Errorf("event %v", e)
		}
		if age, ok := e["age_s"].(float64); !ok || age < 0 {
			t.Errorf("age_s in %v", e)
		}
		got[int(e.num("pid"))] = outcome{int(e.num("ppid")), int(e.num("exit_code")), int(e.num("signal"))}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

func TestExitsnoopBadInput(t *testing.T) {
	badInput(t, "exitsnoop", "invalid PID", "-p", "abc")
	badInput(t, "exitsnoop", "invalid PID", "-p", "0")
	badInput(t, "exitsnoop", "cgroup", "-c", "/nonexistent/cgroup")
	badInput(t, "exitsnoop", "flag provided but not defined", "--bogus")
	badInput(t, "exitsnoop", "unrecognized positional argument", "5")
}

// TestExitsnoopCgroup: -c shows the exits of the cgroup's processes only: the workload, moved
// there, and the children it forks in it.
func TestExitsnoopCgroup(t *testing.T) {
	prog, name := exitWorkload(t, "bpfu-exitc")
	w := startWorkload(t, exec.Command(prog, "6", "-w"), name)
	if l := w.line(); l != fmt.Sprintf("ready %d", w.pid) {
		t.Fatalf("workload said %q", l)
	}
	dir := w.cgroupOf()
	p := start(t, "exitsnoop", "-c", dir)
	fmt.Fprintln(w.stdin, "go")
	w.line() // its thread
	children := map[int]bool{}
	for range 6 {
		var child int
		if _, err := fmt.Sscanf(w.line(), "child %d", &child); err != nil {
			t.Fatal(err)
		}
		children[child] = true
	}
	p.waitFor(fmt.Sprintf("%-16s %-7d", name, w.pid), 10*time.Second)
	out := p.stop()
	lines := strings.Split(strings.TrimSpace(out), "\n")[1:]
	if len(lines) != 7 {
		t.Errorf("want the workload's and its 6 children's exits only, got:\n%s", out)
	}
	for _, l := range lines {
		f := fields(l)
		pid, _ := strconv.Atoi(f[1])
		if f[0] != name || !children[pid] && pid != w.pid {
			t.Errorf("exit from outside the cgroup: %q", l)
		}
	}
}
