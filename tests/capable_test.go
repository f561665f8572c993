package tests

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The capability workload is this test binary run again under a name of the test's choosing,
// told by BPFU_CAP_WORKLOAD to become nobody and try to give away a file it owns: the kernel
// checks CAP_CHOWN, which nobody lacks.
func init() {
	if os.Getenv("BPFU_CAP_WORKLOAD") != "" {
		os.Exit(capWorkload(os.Args[1]))
	}
}

// capWorkload prints its pid, waits for a line on stdin, drops to uid and gid 65534, chowns
// file to root (which must fail with EPERM) and prints the thread id that did it; then it
// lives on until its stdin closes, so that its user stacks can be symbolized.
func capWorkload(file string) int {
	runtime.LockOSThread()
	fmt.Println(os.Getpid())
	in := bufio.NewReader(os.Stdin)
	in.ReadString('\n')
	defer in.ReadString('\n')
	// Go applies set*id() to every thread of the process.
	if unix.Setgroups(nil) != nil || unix.Setresgid(65534, 65534, 65534) != nil || unix.Setresuid(65534, 65534, 65534) != nil {
		return 1
	}
	if err := unix.Chown(file, 0, 0); err != unix.EPERM {
		fmt.Println("chown:", err)
		return 1
	}
	fmt.Println(unix.Gettid())
	return 0
}

type capRun struct {
	w              *workload
	name, pid, tid string
}

// startCapWorkload starts the workload with a file owned by nobody to give away.
func startCapWorkload(t *testing.T) *capRun {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	name := workloadName("bpfu-cap")
	prog := filepath.Join(t.TempDir(), name)
	if err := os.Symlink(self, prog); err != nil {
		t.Fatal(err)
	}
	file := fmt.Sprintf("/tmp/bpfu-cap-%d-%d", os.Getpid(), time.Now().UnixNano())
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(file) })
	if err := os.Chown(file, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(prog, file)
	cmd.Env = append(os.Environ(), "BPFU_CAP_WORKLOAD=1")
	c := &capRun{w: startWorkload(t, cmd, name), name: name}
	c.pid = c.w.line()
	return c
}

func (c *capRun) run(t *testing.T) {
	t.Helper()
	c.w.stdin.Write([]byte("go\n"))
	c.tid = c.w.line()
	if _, err := strconv.Atoi(c.tid); err != nil {
		t.Fatalf("workload said %q", c.tid)
	}
}

// capViaTracepoint tells from the tool's -v report whether it took the tracepoint, which does not
// know the audit flag and insetid.
func capViaTracepoint(p *proc) bool {
	return strings.Contains(p.Stderr(), "via tracepoint capability:cap_capable")
}

// waitForChown waits until the tool printed the workload's failed CAP_CHOWN check (pid and
// CAP_CHOWN on one line) and returns the output.
func (c *capRun) waitForChown(t *testing.T, p *proc, marker func(l string) bool) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, l := range strings.Split(p.Stdout(), "\n") {
			if marker(l) {
				return p.stop()
			}
		}
	}
	t.Fatalf("no failed CAP_CHOWN check of pid %s\nstdout:\n%s\nstderr:\n%s", c.pid, p.Stdout(), p.Stderr())
	return ""
}

func TestCapable(t *testing.T) {
	c := startCapWorkload(t)
	p := start(t, "capable", "-x", "-v", "-p", c.pid)
	if h := strings.Split(p.Stdout(), "\n")[0]; h != "TIME     UID   PID     TID     COMM             CAP     NAME                 AUDIT   VERDICT INSETID" {
		t.Fatalf("header %q", h)
	}
	c.run(t)
	isChown := func(l string) bool { f := fields(l); return len(f) == 10 && f[6] == "CAP_CHOWN" }
	out := c.waitForChown(t, p, isChown)
	audit, insetid := "1", "0"
	if capViaTracepoint(p) {
		audit, insetid = "-1", "-1"
	}
	var rows []string
	for _, l := range strings.Split(out, "\n")[1:] {
		f := fields(l)
		if len(f) != 10 {
			continue
		}
		// TIME UID PID TID COMM CAP NAME AUDIT VERDICT INSETID, VERDICT and INSETID padded to 7
		if f[2] != c.pid || f[4] != c.name {
			t.Errorf("-p %s let through %q", c.pid, l)
		}
		if isChown(l) {
			rows = append(rows, l)
			if _, err := time.Parse("15:04:05", f[0]); err != nil || f[1] != "65534" || f[3] != c.tid || f[5] != "0" ||
				f[7] != audit || f[8] != "deny" || f[9] != insetid || len(l) != 8+1+5+1+7+1+7+1+16+1+7+1+20+1+7+1+7+1+7 {
				t.Errorf("bad row %q: want uid 65534, tid %s, cap 0, audit %s, deny, insetid %s", l, c.tid, audit, insetid)
			}
		}
	}
	if len(rows) != 1 {
		t.Errorf("want one CAP_CHOWN check, got %d\n%s", len(rows), out)
	}
}

func TestCapableStacks(t *testing.T) {
	c := startCapWorkload(t)
	p := start(t, "capable", "-K", "-U", "-p", c.pid)
	if h := strings.Split(p.Stdout(), "\n")[0]; h != "TIME     UID   PID     COMM             CAP     NAME                 AUDIT   VERDICT" {
		t.Fatalf("header %q", h)
	}
	c.run(t)
	out := c.waitForChown(t, p, func(l string) bool { return strings.Contains(l, " CAP_CHOWN ") })
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if !strings.Contains(l, " CAP_CHOWN ") {
			continue
		}
		// kernel frames, user frames, then "    -                comm (pid)"
		var frames []string
		for _, f := range lines[i+1:] {
			if strings.HasPrefix(f, "    -  ") {
				if f != fmt.Sprintf("    %-16s %s (%s)", "-", c.name, c.pid) {
					t.Errorf("task line %q", f)
				}
				break
			}
			frames = append(frames, strings.TrimSpace(f))
		}
		joined := strings.Join(frames, " ")
		if !strings.Contains(joined, "chown") || !strings.Contains(joined, "entry_SYSCALL") {
			t.Errorf("CAP_CHOWN stack %q lacks the kernel's chown path\n%s", frames, out)
		}
		if !strings.Contains(joined, "unix.") {
			t.Errorf("CAP_CHOWN stack %q lacks the Go workload's frames\n%s", frames, out)
		}
		return
	}
	t.Fatalf("no CAP_CHOWN line\n%s", out)
}

func TestCapableJSON(t *testing.T) {
	c := startCapWorkload(t)
	p := start(t, "capable", "--json", "-v", "-K", "-p", c.pid)
	c.run(t)
	out := c.waitForChown(t, p, func(l string) bool { return strings.Contains(l, `"name":"CAP_CHOWN"`) })
	var chown []jsonLine
	for _, e := range ofType(jsonLines(t, "capable", out), "event") {
		if strconv.Itoa(int(e.num("pid"))) != c.pid || e.str("comm") != c.name {
			t.Errorf("-p %s let through %v", c.pid, e)
		}
		if e.str("name") == "CAP_CHOWN" {
			chown = append(chown, e)
		}
	}
	if len(chown) != 1 {
		t.Fatalf("want one CAP_CHOWN event, got %d\n%s", len(chown), out)
	}
	e := chown[0]
	wantAudit := any(true)
	if capViaTracepoint(p) {
		wantAudit = nil
	}
	if e.num("uid") != 65534 || strconv.Itoa(int(e.num("tid"))) != c.tid || e.num("cap") != 0 || e.str("verdict") != "deny" ||
		e["audit"] != wantAudit {
		t.Errorf("event %v: want uid 65534, tid %s, cap 0, deny, audit %v", e, c.tid, wantAudit)
	}
	if k, _ := e["kernel"].([]any); len(k) == 0 {
		t.Errorf("event without its kernel stack: %v", e)
	}
}

// TestCapableUnique: with -u pid, the workload reports CAP_SETGID once, although setgroups()
// and setresgid() check it, on every thread of the process (Go applies set*id() to each; six
// checks here without -u).
func TestCapableUnique(t *testing.T) {
	c := startCapWorkload(t)
	p := start(t, "capable", "-u", "pid", "-p", c.pid)
	c.run(t)
	out := c.waitForChown(t, p, func(l string) bool { return strings.Contains(l, " CAP_CHOWN ") })
	if n := len(linesWith(out, " CAP_SETGID ")); n != 1 {
		t.Errorf("-u pid: %d CAP_SETGID lines, want 1\n%s", n, out)
	}
}

// TestCapableCgroup: -c keeps the checks of the processes in one cgroup-v2 group.
func TestCapableCgroup(t *testing.T) {
	c := startCapWorkload(t)
	dir := c.w.cgroupOf()
	p := start(t, "capable", "-c", dir)
	c.run(t)
	out := c.waitForChown(t, p, func(l string) bool { return strings.Contains(l, " CAP_CHOWN ") })
	for _, l := range strings.Split(out, "\n")[1:] {
		if f := fields(l); len(f) == 8 && f[2] != c.pid {
			t.Errorf("-c %s let through %q", dir, l)
		}
	}
}

func TestCapableBadInput(t *testing.T) {
	badInput(t, "capable", "unique type", "-u", "thread")
	badInput(t, "capable", "invalid PID", "-p", "0")
	badInput(t, "capable", "unrecognized", "extra")
	badInput(t, "capable", "cgroup", "-c", "/nonexistent-cgroup")
}
