package tests

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"unsafe"

	"golang.org/x/sys/unix"
)

// Output injection: an unprivileged process chooses its comm, the names of the files it opens
// and its arguments. Text output must show their control bytes escaped (never a raw ESC, never
// a line break inside a record), --raw must print them as they are, and --json must carry them
// exactly.

// The hostile workload is this test binary run again, told by BPFU_INJECT_WORKLOAD to name its
// thread (prctl PR_SET_NAME, which any process may do) and open files.
func init() {
	if os.Getenv("BPFU_INJECT_WORKLOAD") != "" {
		os.Exit(injectWorkload(os.Args[1:]))
	}
}

// injectWorkload names its thread args[0] and opens each of args[1:] from that thread. With
// the single argument "sleep" it says "ready", and on a line from stdin sleeps 100 times 1 ms.
func injectWorkload(args []string) int {
	if len(args) == 1 && args[0] == "sleep" {
		fmt.Println("ready")
		bufio.NewReader(os.Stdin).ReadString('\n')
		for range 100 {
			time.Sleep(time.Millisecond)
		}
		return 0
	}
	code := make(chan int)
	go func() {
		runtime.LockOSThread()
		name, err := unix.BytePtrFromString(args[0])
		if err == nil {
			err = unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(name)), 0, 0, 0)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "prctl:", err)
			code <- 1
			return
		}
		for _, p := range args[1:] {
			fd, err := unix.Open(p, unix.O_RDONLY, 0)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				code <- 1
				return
			}
			unix.Close(fd)
		}
		code <- 0
	}()
	return <-code
}

// hostileName is a comm of at most 15 bytes that clears the screen and starts a new line, then
// a unique tail: "\x1b[2J\ninj12345".
func hostileName() string {
	return "\x1b[2J\n" + workloadName("inj")
}

// escaped is s as text output shows it, for the bytes these tests use.
func escaped(s string) string {
	return strings.NewReplacer("\\", `\\`, "\x1b", `\x1b`, "\n", `\n`, "\x07", `\x07`,
		"\u009b", `\xc2\x9b`, "\xff", `\xff`).Replace(s)
}

// checkNoControl fails when text output holds an ESC, a C1 CSI, or marker split over lines.
func checkNoControl(t *testing.T, tool, out, marker string) {
	t.Helper()
	if strings.ContainsAny(out, "\x1b\u009b\x07") {
		t.Errorf("%s printed raw control characters:\n%q", tool, out)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, marker) {
			t.Errorf("%s printed a line of the attacker's: %q", tool, l)
		}
	}
}

func TestInjectionExecsnoop(t *testing.T) {
	comm := hostileName()
	prog := copyExecutable(t, "/bin/true", comm) // the kernel names the task after the file
	args := []string{"a\x1b[2J\nFORGED exec line", "csi\u009b2J\\x", "\xff"}
	text := start(t, "execsnoop")
	quoted := start(t, "execsnoop", "-q")
	raw := start(t, "execsnoop", "--raw")
	js := start(t, "execsnoop", "--json")
	cmd := exec.Command(prog, args...)
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	pid := fmt.Sprint(cmd.Process.Pid)

	wantArgs := escaped(prog + " " + strings.Join(args, " "))
	text.waitFor(wantArgs, 5*time.Second)
	out := text.stop()
	checkNoControl(t, "execsnoop", out, "FORGED")
	lines := linesWith(out, escaped(comm))
	if len(lines) != 1 || !strings.HasSuffix(lines[0], " "+wantArgs) || fields(lines[0])[1] != pid {
		t.Errorf("want one line with the comm %q, pid %s and the arguments %q escaped, got %q\n%s",
			escaped(comm), pid, wantArgs, lines, out)
	}

	wantQuoted := fmt.Sprintf(`"%s" "a\x1b[2J\nFORGED exec line" "csi\xc2\x9b2J\\x" "\xff"`, escaped(prog))
	quoted.waitFor(wantQuoted, 5*time.Second)
	out = quoted.stop()
	checkNoControl(t, "execsnoop -q", out, "FORGED")

	wantRaw := prog + " " + strings.Join(args, " ")
	raw.waitFor(wantRaw, 5*time.Second)
	out = raw.stop()
	if !strings.Contains(out, comm+" ") || !strings.Contains(out, "\nFORGED exec line csi\u009b2J\\x \xff\n") {
		t.Errorf("--raw: want the comm and arguments as they are\n%q", out)
	}

	js.waitFor(`"pid":`+pid+`,`, 5*time.Second)
	var found bool
	for _, e := range ofType(jsonLines(t, "execsnoop", js.stop()), "event") {
		if fmt.Sprint(e.num("pid")) != pid {
			continue
		}
		found = true
		got, _ := e["args"].([]any)
		if e.str("comm") != comm || len(got) != 4 || got[1] != args[0] || got[2] != args[1] {
			t.Errorf("--json: comm %q args %q, want %q and %q", e.str("comm"), got, comm, args)
		}
		exact, _ := e["args_b64"].([]any)
		if len(exact) != 4 || exact[3] != base64.StdEncoding.EncodeToString([]byte(args[2])) {
			t.Errorf("--json: args_b64 %q, want the exact bytes of %q", exact, args[2])
		}
	}
	if !found {
		t.Errorf("--json: no event of pid %s", pid)
	}
}

func TestInjectionOpensnoop(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	comm := "\x1b]0;x\x07" + workloadName("i") // sets the terminal's title
	path := filepath.Join(t.TempDir(), "\x1b[2J\nFORGED open line \u009b"+workloadName("p"))
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	text := start(t, "opensnoop")
	raw := start(t, "opensnoop", "--raw")
	js := start(t, "opensnoop", "--json")
	cmd := exec.Command(self, comm, path)
	cmd.Env = append(os.Environ(), "BPFU_INJECT_WORKLOAD=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("workload: %v\n%s", err, out)
	}
	pid := fmt.Sprint(cmd.Process.Pid)

	text.waitFor(escaped(path), 5*time.Second)
	out := text.stop()
	checkNoControl(t, "opensnoop", out, "FORGED")
	lines := linesWith(out, escaped(path))
	if len(lines) != 1 || !strings.HasSuffix(lines[0], " "+escaped(path)) ||
		!slices.Equal(fields(lines[0])[:2], []string{pid, escaped(comm)}) {
		t.Errorf("want one line with pid %s, comm %q and path %q, got %q\n%s", pid, escaped(comm), escaped(path), lines, out)
	}

	raw.waitFor(path, 5*time.Second)
	out = raw.stop()
	if !strings.Contains(out, " "+comm+" ") || !strings.Contains(out, " "+path+"\n") {
		t.Errorf("--raw: want comm %q and path %q as they are\n%q", comm, path, out)
	}

	js.waitFor(`"pid":`+pid+`,`, 5*time.Second)
	var found bool
	for _, e := range ofType(jsonLines(t, "opensnoop", js.stop()), "event") {
		if e.str("path") == path {
			found = true
			if e.str("comm") != comm || fmt.Sprint(e.num("pid")) != pid {
				t.Errorf("--json: comm %q pid %v, want %q %s", e.str("comm"), e.num("pid"), comm, pid)
			}
		}
	}
	if !found {
		t.Errorf("--json: no event with the exact path %q", path)
	}
}

// A comm in a histogram's caption (runqlat -P: "pid = N COMM") is escaped too. The workload
// is exec'd by a name that is its comm from the start, so that the comm runqlat keeps with the
// histogram (the first it sees) is the hostile one.
func TestInjectionCaption(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	comm := hostileName()
	link := filepath.Join(t.TempDir(), comm)
	if err := os.Symlink(self, link); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(link, "sleep")
	cmd.Env = append(os.Environ(), "BPFU_INJECT_WORKLOAD=1")
	w := startWorkload(t, cmd, comm)
	if l := w.line(); l != "ready" {
		t.Fatalf("workload said %q", l)
	}
	pid := fmt.Sprint(w.pid)
	text := start(t, "runqlat", "-P", "-p", pid, "1")
	raw := start(t, "runqlat", "-P", "--raw", "-p", pid, "1")
	w.stdin.Write([]byte("go\n"))
	w.cmd.Wait()

	caption := "\npid = " + pid + " "
	text.waitFor(caption, 10*time.Second)
	out := text.stop()
	checkNoControl(t, "runqlat", out, "inj")
	if !strings.Contains(out, caption+escaped(comm)+"\n") {
		t.Errorf("want the caption %q\n%s", caption+escaped(comm), out)
	}
	raw.waitFor(caption, 10*time.Second)
	if out := raw.stop(); !strings.Contains(out, caption+comm+"\n") {
		t.Errorf("--raw: want the caption %q\n%q", caption+comm, out)
	}
}
