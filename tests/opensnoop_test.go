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

// The open workload is this test binary run again under a name of the test's choosing (its
// comm), told by BPFU_OPEN_WORKLOAD to open files instead of testing.
func init() {
	if os.Getenv("BPFU_OPEN_WORKLOAD") != "" {
		os.Exit(openWorkload(os.Args[1:]))
	}
}

// openWorkload takes [-C dir] [-wait] and then groups of "count flags(octal) path": each path
// is opened count times on one thread, and closed again. With -wait it prints "pid tid" and
// opens nothing until a line arrives on stdin, so a tracer can be started for its ids first.
// The opens run on a thread of their own, not the main one, so that its tid is not the pid.
func openWorkload(args []string) int {
	code := make(chan int)
	go func() {
		runtime.LockOSThread()
		code <- openOnThisThread(args)
	}()
	return <-code
}

func openOnThisThread(args []string) int {
	if len(args) >= 2 && args[0] == "-C" {
		if err := os.Chdir(args[1]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		args = args[2:]
	}
	if len(args) >= 1 && args[0] == "-wait" {
		fmt.Printf("%d %d\n", os.Getpid(), unix.Gettid())
		bufio.NewReader(os.Stdin).ReadString('\n')
		args = args[1:]
	}
	for ; len(args) >= 3; args = args[3:] {
		count, _ := strconv.Atoi(args[0])
		flags, _ := strconv.ParseInt(args[1], 8, 32)
		for i := 0; i < count; i++ {
			if fd, err := unix.Open(args[2], int(flags), 0o640); err == nil {
				unix.Close(fd)
			}
		}
	}
	return 0
}

// openProg returns a command name unique to this test run that runs openWorkload.
func openProg(t *testing.T, prefix string) (path, name string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	name = workloadName(prefix)
	// The kernel names a task after the path it was exec'd by, so a symlink is enough.
	path = filepath.Join(t.TempDir(), name)
	if err := os.Symlink(self, path); err != nil {
		t.Fatal(err)
	}
	return path, name
}

func openCmd(prog string, args ...string) *exec.Cmd {
	cmd := exec.Command(prog, args...)
	cmd.Env = append(os.Environ(), "BPFU_OPEN_WORKLOAD=1")
	return cmd
}

func runOpens(t *testing.T, prog string, args ...string) int {
	t.Helper()
	cmd := openCmd(prog, args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("workload %v: %v\n%s", args, err, out)
	}
	return cmd.Process.Pid
}

// waitingOpens starts a workload with -wait; release lets it open.
func waitingOpens(t *testing.T, prog string, args ...string) (pid, tid string, release func()) {
	t.Helper()
	cmd := openCmd(prog, append([]string{"-wait"}, args...)...)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	f := fields(line)
	if err != nil || len(f) != 2 {
		t.Fatalf("workload said %q: %v", line, err)
	}
	return f[0], f[1], func() {
		in.Write([]byte("go\n"))
		if err := cmd.Wait(); err != nil {
			t.Fatalf("workload: %v", err)
		}
	}
}

// uniquePath is a file name no other test touches.
func uniquePath(t *testing.T, what string) string {
	return fmt.Sprintf("/tmp/bpfu-open-%d-%s", os.Getpid(), what)
}

func createFile(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(path) })
}

// rowsFor returns the rows whose last field is path.
func rowsFor(out, path string) [][]string {
	var rows [][]string
	for _, l := range strings.Split(out, "\n") {
		if f := fields(l); len(f) > 0 && f[len(f)-1] == path {
			rows = append(rows, f)
		}
	}
	return rows
}

func TestOpensnoop(t *testing.T) {
	prog, name := openProg(t, "bpfu-open")
	path := uniquePath(t, "plain")
	createFile(t, path)
	const n = 500
	p := start(t, "opensnoop", "-n", name)
	if h := strings.Split(p.Stdout(), "\n")[0]; h != "PID    COMM              FD ERR PATH" {
		t.Fatalf("header %q", h)
	}
	pid := runOpens(t, prog, strconv.Itoa(n), "0", path)
	out := p.stop()
	rows := rowsFor(out, path)
	for _, f := range rows {
		// PID COMM FD ERR PATH
		fd, _ := strconv.Atoi(f[2])
		if f[0] != strconv.Itoa(pid) || f[1] != name || fd < 0 || f[3] != "0" {
			t.Fatalf("bad row %q", f)
		}
	}
	if len(rows) != n {
		t.Errorf("saw %d opens of %s, made %d\n%s", len(rows), path, n, out)
	}
	if other := strings.Count(out, "\n") - 1 - strings.Count(out, " "+name+" "); other != 0 {
		t.Errorf("-n %s let %d rows of other commands through\n%s", name, other, out)
	}
}

func TestOpensnoopFailed(t *testing.T) {
	prog, name := openProg(t, "bpfu-openx")
	missing := uniquePath(t, "missing")
	present := uniquePath(t, "present")
	createFile(t, present)
	p := start(t, "opensnoop", "-x", "-U", "-T")
	if h := strings.Split(p.Stdout(), "\n")[0]; h != "TIME     UID     PID    COMM              FD ERR PATH" {
		t.Fatalf("header %q", h)
	}
	pid := runOpens(t, prog, "20", "0", missing, "20", "0", present)
	out := p.stop()
	rows := rowsFor(out, missing)
	for _, f := range rows {
		// TIME UID PID COMM FD ERR PATH
		if _, err := time.Parse("15:04:05", f[0]); err != nil || f[1] != "0" || f[2] != strconv.Itoa(pid) ||
			f[3] != name || f[4] != "-1" || f[5] != "2" {
			t.Fatalf("bad row %q", f)
		}
	}
	if len(rows) != 20 {
		t.Errorf("saw %d failed opens of %s, made 20\n%s", len(rows), missing, out)
	}
	if ok := rowsFor(out, present); len(ok) != 0 {
		t.Errorf("-x showed %d successful opens", len(ok))
	}
}

func TestOpensnoopPidTid(t *testing.T) {
	prog, _ := openProg(t, "bpfu-openp")
	mine := uniquePath(t, "mine")
	other := uniquePath(t, "other")
	createFile(t, mine)
	createFile(t, other)
	for _, flag := range []string{"-p", "-t"} {
		pid, tid, release := waitingOpens(t, prog, "10", "0", mine)
		id := pid
		if flag == "-t" {
			if id = tid; tid == pid {
				t.Fatalf("the workload's opens run on its main thread: -t would not differ from -p")
			}
		}
		p := start(t, "opensnoop", flag, id)
		release()
		runOpens(t, prog, "10", "0", other) // another process, same name
		// The main thread's own opens (the Go runtime's) would pass -p but not -t; both
		// must show the workload's thread.
		out := p.stop()
		if rows := rowsFor(out, mine); len(rows) != 10 || rows[0][0] != pid {
			t.Errorf("%s %s: want 10 rows of pid %s for %s, got %q\n%s", flag, id, pid, mine, rows, out)
		}
		if rows := rowsFor(out, other); len(rows) != 0 {
			t.Errorf("%s %s let another process through: %q", flag, id, rows)
		}
	}
}

func TestOpensnoopExtendedAndFlagFilter(t *testing.T) {
	prog, name := openProg(t, "bpfu-opene")
	path := uniquePath(t, "ext")
	createFile(t, path)
	wr := strconv.FormatInt(unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC, 8)
	p := start(t, "opensnoop", "-e", "-n", name)
	if h := strings.Split(p.Stdout(), "\n")[0]; h != "PID    COMM              FD ERR FLAGS    MODE  PATH" {
		t.Fatalf("header %q", h)
	}
	runOpens(t, prog, "3", "0", path, "2", wr, path)
	out := p.stop()
	want := []string{
		"00000000 n/a  " + path, "00000000 n/a  " + path, "00000000 n/a  " + path,
		"00001101 0640 " + path, "00001101 0640 " + path,
	}
	rows := linesWith(out, path)
	if len(rows) != len(want) {
		t.Fatalf("want %d rows for %s, got\n%s", len(want), path, out)
	}
	for i, l := range rows {
		if !strings.HasSuffix(l, " "+want[i]) {
			t.Errorf("row %q, want it to end in %q", l, want[i])
		}
	}

	p = start(t, "opensnoop", "-f", "O_WRONLY", "-n", name)
	runOpens(t, prog, "3", "0", path, "2", wr, path)
	if rows := rowsFor(p.stop(), path); len(rows) != 2 {
		t.Errorf("-f O_WRONLY: want the 2 write opens, got %q", rows)
	}
}

func TestOpensnoopFullPath(t *testing.T) {
	prog, name := openProg(t, "bpfu-openf")
	dir := filepath.Join(t.TempDir(), "sub dir")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	createFile(t, filepath.Join(dir, "rel"))
	p := start(t, "opensnoop", "-F", "-n", name)
	runOpens(t, prog, "-C", dir, "4", "0", "rel", "1", "0", "../sub dir/missing")
	out := p.stop()
	if rows := linesWith(out, " "+dir+"/rel"); len(rows) != 4 {
		t.Errorf("want 4 rows ending in %s/rel, got\n%s", dir, out)
	}
	if rows := linesWith(out, " "+dir+"/../sub dir/missing"); len(rows) != 1 || fields(rows[0])[3] != "2" {
		t.Errorf("want the failed relative open with its full path, got\n%s", out)
	}

	// Without -F the name is shown as passed.
	p = start(t, "opensnoop", "-n", name)
	runOpens(t, prog, "-C", dir, "1", "0", "rel")
	if rows := rowsFor(p.stop(), "rel"); len(rows) != 1 {
		t.Errorf("want one row with the relative name, got %q", rows)
	}
}

// -d is the duration; a positional argument, which libbpf-tools took and silently ignored, is
// refused with a pointer to -d.
func TestOpensnoopDuration(t *testing.T) {
	badInput(t, "opensnoop", "unrecognized positional argument: 10 (a duration is -d 10)", "10")
	begin := time.Now()
	out, stderr, code := runTool(t, "opensnoop", "-d", "1")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.HasPrefix(out, "PID    COMM") {
		t.Errorf("output %q", out)
	}
	if d := time.Since(begin); d > 15*time.Second {
		t.Errorf("-d 1 took %s", d)
	}
}

func TestOpensnoopBadInput(t *testing.T) {
	badInput(t, "opensnoop", "invalid PID", "-p", "abc")
	badInput(t, "opensnoop", "invalid TID", "-t", "0")
	badInput(t, "opensnoop", "invalid UID", "-u", "nobody")
	badInput(t, "opensnoop", "invalid duration", "-d", "0")
	badInput(t, "opensnoop", "invalid duration", "-d", "soon")
	badInput(t, "opensnoop", "flag provided but not defined", "--bogus")
	badInput(t, "opensnoop", "invalid flag", "-f", "O_BOGUS")
	badInput(t, "opensnoop", "unrecognized positional argument", "a", "b")
}

// -c prints, under each row, the two calling functions the BPF side took from the user stack,
// indented to the PATH column. The workload opens from open_here() <- open_loop() <- main();
// the innermost frame (the syscall wrapper's) is skipped, as libbpf-tools skips it.
func TestOpensnoopCallers(t *testing.T) {
	path := uniquePath(t, "callers")
	createFile(t, path)
	l := startStackLoad(t, workloadName("ocall"), "open", "5", path)
	p := start(t, "opensnoop", "-c", "-T", "-U", "-n", l.comm)
	if h := strings.Split(p.Stdout(), "\n")[0]; h != "TIME     UID     PID    COMM              FD ERR PATH/CALLER" {
		t.Fatalf("header %q", h)
	}
	l.work()
	out := p.stop()

	lines := strings.Split(out, "\n")
	indent := strings.Repeat(" ", len("TIME     UID     PID    COMM              FD ERR "))
	rows := 0
	for i, line := range lines {
		if !strings.HasSuffix(line, " "+path) {
			continue
		}
		rows++
		if i+2 >= len(lines) || lines[i+1] != indent+"open_loop" || lines[i+2] != indent+"main" {
			t.Fatalf("row %d: want %q and %q under it\n%s", rows, indent+"open_loop", indent+"main", out)
		}
	}
	if rows != 5 {
		t.Errorf("want 5 rows for %s, got %d\n%s", path, rows, out)
	}
}

// TestOpensnoopJSON: a workload of TestOpensnoop's and TestOpensnoopExtendedAndFlagFilter's kinds
// read from --json -e: every open with the workload's pid and the thread that made it, its fd
// or errno, flags and mode, and the path.
func TestOpensnoopJSON(t *testing.T) {
	prog, name := openProg(t, "bpfu-openj")
	path := uniquePath(t, "json")
	missing := uniquePath(t, "json-missing")
	createFile(t, path)
	const reads, writes, fails = 500, 3, 5
	wr := unix.O_WRONLY | unix.O_CREAT | unix.O_TRUNC
	pid, tid, release := waitingOpens(t, prog, strconv.Itoa(reads), "0", path,
		strconv.Itoa(writes), strconv.FormatInt(int64(wr), 8), path, strconv.Itoa(fails), "0", missing)
	p := start(t, "opensnoop", "--json", "-e", "-n", name)
	release()
	lines := jsonLines(t, "opensnoop", p.stop())
	if len(lines) == 0 || lines[0].str("type") != "start" {
		t.Fatalf("first line is not the start line: %v", lines)
	}
	var gotReads, gotWrites, gotFails int
	for _, e := range ofType(lines, "event") {
		if e.str("comm") != name {
			t.Errorf("-n %s let another command through: %v", name, e)
		}
		if e.str("path") != path && e.str("path") != missing {
			continue
		}
		if strconv.Itoa(int(e.num("pid"))) != pid || strconv.Itoa(int(e.num("tid"))) != tid || e.num("uid") != 0 {
			t.Errorf("want pid %s, tid %s, uid 0: %v", pid, tid, e)
		}
		switch {
		case e.str("path") == missing:
			gotFails++
			if e.num("fd") != -1 || e.num("err") != float64(unix.ENOENT) || e.num("flags") != 0 || e["mode"] != nil {
				t.Errorf("failed open reads %v", e)
			}
		case e.num("flags") == 0:
			gotReads++
			if e.num("fd") < 0 || e["err"] != 0.0 || e["mode"] != nil {
				t.Errorf("read open reads %v", e)
			}
		default:
			gotWrites++
			// As TestOpensnoopExtendedAndFlagFilter's text: 00001101 0640.
			if e.num("fd") < 0 || e["err"] != 0.0 || e.num("flags") != 0o1101 || e.num("mode") != 0o640 {
				t.Errorf("write open reads %v", e)
			}
		}
	}
	if gotReads != reads || gotWrites != writes || gotFails != fails {
		t.Errorf("saw %d reads, %d writes, %d failed opens; made %d, %d, %d", gotReads, gotWrites, gotFails, reads, writes, fails)
	}
}

// TestOpensnoopCallersJSON: -c in JSON is a "callers" array of the names TestOpensnoopCallers
// shows under each row.
func TestOpensnoopCallersJSON(t *testing.T) {
	path := uniquePath(t, "callers-json")
	createFile(t, path)
	l := startStackLoad(t, workloadName("ocallj"), "open", "5", path)
	p := start(t, "opensnoop", "--json", "-c", "-n", l.comm)
	l.work()
	rows := 0
	for _, e := range ofType(jsonLines(t, "opensnoop", p.stop()), "event") {
		if e.str("path") != path {
			continue
		}
		rows++
		if got := fmt.Sprint(e["callers"]); got != "[open_loop main]" {
			t.Errorf("callers %s, want [open_loop main]", got)
		}
	}
	if rows != 5 {
		t.Errorf("want 5 events for %s, got %d", path, rows)
	}
}
