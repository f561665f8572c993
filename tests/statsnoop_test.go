package tests

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The stat workload is this test binary run again under a name of the test's choosing, told by
// BPFU_STAT_WORKLOAD to make stat calls instead of testing.
func init() {
	if os.Getenv("BPFU_STAT_WORKLOAD") != "" {
		os.Exit(statWorkload(os.Args[1:]))
	}
}

// statWorkload takes [-wait] dir present missing: from dir, it stats present by its relative
// name, missing by its absolute one, fstats present and statfs()es dir. With -wait it prints its
// pid and waits for a line on stdin first.
func statWorkload(args []string) int {
	if len(args) > 0 && args[0] == "-wait" {
		fmt.Println(os.Getpid())
		bufio.NewReader(os.Stdin).ReadString('\n')
		args = args[1:]
	}
	if len(args) != 3 {
		return 2
	}
	dir, present, missing := args[0], args[1], args[2]
	if err := os.Chdir(dir); err != nil {
		return 1
	}
	var st unix.Stat_t
	if err := unix.Stat(present, &st); err != nil {
		return 1
	}
	if err := unix.Stat(missing, &st); err != unix.ENOENT {
		return 1
	}
	fd, err := unix.Open(present, unix.O_RDONLY, 0)
	if err != nil {
		return 1
	}
	unix.Fstat(fd, &st)
	unix.Close(fd)
	var sfs unix.Statfs_t
	unix.Statfs(dir, &sfs)
	return 0
}

// statSetup makes the workload's directory with one file in it, and names a missing file.
func statSetup(t *testing.T) (prog, name, dir, present, missing string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	name = workloadName("bpfu-stat")
	bin := t.TempDir()
	prog = filepath.Join(bin, name)
	if err := os.Symlink(self, prog); err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	present = "present-file"
	if err := os.WriteFile(filepath.Join(dir, present), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return prog, name, dir, present, filepath.Join(dir, "missing-file")
}

func statCmd(prog string, args ...string) *exec.Cmd {
	cmd := exec.Command(prog, args...)
	cmd.Env = append(os.Environ(), "BPFU_STAT_WORKLOAD=1")
	return cmd
}

// statRow is a row of statsnoop -s (PID COMM RET ERR SYSCALL PATH) whose path is path.
func statRows(out, pid, path string) [][]string {
	var rows [][]string
	for _, l := range strings.Split(out, "\n") {
		f := fields(l)
		if len(f) == 6 && f[0] == pid && f[5] == path {
			rows = append(rows, f)
		}
	}
	return rows
}

func TestStatsnoop(t *testing.T) {
	prog, name, dir, present, missing := statSetup(t)
	p := start(t, "statsnoop", "-s")
	if h := strings.Split(p.Stdout(), "\n")[0]; h != "PID     COMM                 RET  ERR  SYSCALL    PATH" {
		t.Fatalf("header %q", h)
	}
	cmd := statCmd(prog, dir, present, missing)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("workload: %v\n%s", err, out)
	}
	pid := strconv.Itoa(cmd.Process.Pid)
	out := p.stop()
	full := filepath.Join(dir, present)
	// The stat of a relative name is shown from the directory it was resolved from.
	for _, want := range []struct {
		path, ret, err string
		calls          []string
	}{
		{full, "0", "0", []string{"newfstatat", "statx", "newstat"}},
		{missing, "-1", "2", []string{"newfstatat", "statx", "newstat"}},
		{full, "0", "0", []string{"newfstat", "newfstatat"}}, // fstat: the file itself
		{dir, "0", "0", []string{"statfs"}},
	} {
		rows := statRows(out, pid, want.path)
		ok := false
		for _, f := range rows {
			if f[1] == name && f[2] == want.ret && f[3] == want.err && statCallIn(want.calls, f[4]) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("no %v row for %s (ret %s, err %s) of pid %s %s\n%s", want.calls, want.path, want.ret, want.err, pid, name, out)
		}
	}
}

func statCallIn(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestStatsnoopFailedPid: -p keeps only the workload, -x only its failed call, -t adds seconds.
func TestStatsnoopFailedPid(t *testing.T) {
	prog, name, dir, present, missing := statSetup(t)
	w := startWorkload(t, statCmd(prog, "-wait", dir, present, missing), name)
	pid := w.line()
	p := start(t, "statsnoop", "-x", "-t", "-p", pid)
	if h := strings.Split(p.Stdout(), "\n")[0]; h != "TIME(s)        PID     COMM                 RET  ERR  PATH" {
		t.Fatalf("header %q", h)
	}
	w.stdin.Write([]byte("go\n"))
	if err := w.cmd.Wait(); err != nil {
		t.Fatalf("workload: %v", err)
	}
	p.waitFor(missing, 10*time.Second)
	out := p.stop()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")[1:]
	if len(lines) != 1 {
		t.Fatalf("want the one failed stat of pid %s, got\n%s", pid, out)
	}
	f := fields(lines[0])
	if len(f) != 6 || f[1] != pid || f[2] != name || f[3] != "-1" || f[4] != "2" || f[5] != missing {
		t.Fatalf("bad row %q", f)
	}
	if s, err := strconv.ParseFloat(f[0], 64); err != nil || s != 0 || len(f[0]) != len("0.000000000") {
		t.Errorf("first event's time %q, want 0.000000000", f[0])
	}
}

func TestStatsnoopJSON(t *testing.T) {
	prog, name, dir, present, missing := statSetup(t)
	p := start(t, "statsnoop", "--json")
	cmd := statCmd(prog, dir, present, missing)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("workload: %v\n%s", err, out)
	}
	out := p.stop()
	seen := map[string]bool{}
	for _, e := range ofType(jsonLines(t, "statsnoop", out), "event") {
		if int(e.num("pid")) != cmd.Process.Pid {
			continue
		}
		if e.str("comm") != name || e.num("tid") == 0 || e.str("syscall") == "" {
			t.Errorf("event %v", e)
		}
		switch e.str("path") {
		case filepath.Join(dir, present):
			seen["present"] = seen["present"] || e.num("ret") == 0 && e.num("err") == 0
		case missing:
			seen["missing"] = e.num("ret") == -1 && e.num("err") == 2
		case dir:
			seen["statfs"] = e.str("syscall") == "statfs"
		}
	}
	for _, k := range []string{"present", "missing", "statfs"} {
		if !seen[k] {
			t.Errorf("no right event for the %s stat of pid %d\n%s", k, cmd.Process.Pid, out)
		}
	}
}

func TestStatsnoopBadInput(t *testing.T) {
	badInput(t, "statsnoop", "invalid PID", "-p", "nope")
	badInput(t, "statsnoop", "unrecognized", "extra")
}
