package tests

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Faults: what the tools do when the system works against them (a reader that stops, a buffer
// that fills, a corrupt kernel BTF, a kill in the middle of loading, an output that cannot be
// written). Each loss must be reported once, with its count; each failure must be one line and
// a non-zero exit, with nothing left loaded in the kernel.

var lostLineRE = regexp.MustCompile(`(?i)^lost (\d+) events!?$`)

// lostOnStderr adds up the tool's "Lost N events!" lines; any other line on stderr fails the
// test.
func lostOnStderr(t *testing.T, stderr string) (total int, lines int) {
	t.Helper()
	for _, l := range strings.Split(strings.TrimRight(stderr, "\n"), "\n") {
		if l == "" {
			continue
		}
		m := lostLineRE.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("unexpected line on stderr: %q", l)
			continue
		}
		n, _ := strconv.Atoi(m[1])
		total += n
		lines++
	}
	return total, lines
}

// waitRows waits until the rows of path in the tool's output stop growing (nothing new for
// quiet), and returns how many there are.
func waitRows(p *proc, path string, quiet, limit time.Duration) int {
	last, since := -1, time.Now()
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		n := len(rowsFor(p.Stdout(), path))
		if n != last {
			last, since = n, time.Now()
		} else if time.Since(since) >= quiet {
			break
		}
	}
	return last
}

// The fault workload is this test binary run again, told by BPFU_FAULT_OPENS to open files on
// request: it prints its pid, then for each line "count path" on stdin opens path count times
// (on a thread of its own) and answers "done". One process for the whole test, so that the tool
// can filter it by pid in BPF: nothing else running on the machine adds to the losses.
func init() {
	if os.Getenv("BPFU_FAULT_OPENS") != "" {
		os.Exit(faultOpens())
	}
}

func faultOpens() int {
	code := make(chan int)
	go func() {
		runtime.LockOSThread()
		fmt.Println(os.Getpid())
		in := bufio.NewScanner(os.Stdin)
		for in.Scan() {
			var count int
			var path string
			if _, err := fmt.Sscan(in.Text(), &count, &path); err != nil {
				fmt.Fprintln(os.Stderr, err)
				code <- 1
				return
			}
			for i := 0; i < count; i++ {
				if fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0); err == nil {
					unix.Close(fd)
				}
			}
			fmt.Println("done")
		}
		code <- 0
	}()
	return <-code
}

// opener is a running fault workload.
type opener struct{ *workload }

// startOpener starts the fault workload bound to one CPU (the first this test may use), so that
// all its opens, and the records they make, land on that CPU.
func startOpener(t *testing.T) *opener {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var w *workload
	onOneCPU(t, func() {
		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(), "BPFU_FAULT_OPENS=1")
		w = startWorkload(t, cmd, filepath.Base(self))
	})
	if pid := w.line(); pid != strconv.Itoa(w.pid) {
		t.Fatalf("fault workload said %q, want its pid %d", pid, w.pid)
	}
	return &opener{w}
}

// opens opens path n times and returns once done.
func (o *opener) opens(n int, path string) {
	o.t.Helper()
	fmt.Fprintf(o.stdin, "%d %s\n", n, path)
	if got := o.line(); got != "done" {
		o.t.Fatalf("fault workload said %q", got)
	}
}

// stalledStorm stops the tool (SIGSTOP, as a reader that cannot keep up for seconds), makes
// stalled opens of path, resumes it, then makes after more: the kernel tells of the records it
// dropped on a CPU (PERF_RECORD_LOST) only once a later one fits there, and the tail makes sure
// one does (the workload stays on one CPU).
func stalledStorm(t *testing.T, p *proc, o *opener, path string, stalled, after int) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	o.opens(stalled, path)
	p.cmd.Process.Signal(syscall.SIGCONT)
	// Let the reader drain what the buffers hold before the tail comes.
	waitRows(p, path, 500*time.Millisecond, 20*time.Second)
	o.opens(after, path)
}

// stormOnHost skips storm and kill-loop tests in the qemu guests: they check the tools' own
// accounting, which no kernel changes, and at TCG's speed a 300,000-open storm takes minutes.
func stormOnHost(t *testing.T) {
	t.Helper()
	if os.Getenv("BPFUTILS_VM") != "" {
		t.Skip("storm test: host only (TCG is ten times slower)")
	}
}

// TestPerfBufferLostCountedOnce: on the perf-buffer path, an event the buffer had no room for
// is reported lost once. Both the BPF side (bpf_perf_event_output failed) and the kernel
// (PERF_RECORD_LOST) see each such event; counting both reported up to twice the loss.
func TestPerfBufferLostCountedOnce(t *testing.T) {
	stormOnHost(t)
	t.Setenv("BPFUTILS_PERFBUF", "1")
	path := uniquePath(t, "perflost")
	createFile(t, path)
	o := startOpener(t)
	p := start(t, "opensnoop", "-p", strconv.Itoa(o.pid))
	// 200,000 opens make ~60 MB of records against 256 KiB of perf buffer per CPU.
	const stalled, after = 200000, 2000
	stalledStorm(t, p, o, path, stalled, after)
	waitRows(p, path, time.Second, 30*time.Second)
	out := p.stop()
	seen := len(rowsFor(out, path))
	lost, _ := lostOnStderr(t, p.Stderr())
	t.Logf("generated %d, seen %d, reported lost %d", stalled+after, seen, lost)
	if lost == 0 {
		t.Fatalf("no loss reported while the reader was stopped for %d opens (seen %d)", stalled, seen)
	}
	if seen < after {
		t.Errorf("seen %d, fewer than the %d opens made after the reader resumed", seen, after)
	}
	if seen+lost != stalled+after {
		t.Errorf("seen %d + lost %d = %d, generated %d: each event must be seen or counted lost, once",
			seen, lost, seen+lost, stalled+after)
	}
}

// The exec wrapper is this test binary run again to set up what a tool cannot be started with
// from os/exec, then exec the tool (its arguments): BPFU_BTF_OVER=file bind-mounts file over the
// kernel's BTF, in a mount namespace the wrapper was started in (Unshareflags, which also makes
// the mounts it inherited private: nothing else sees the bind); BPFU_FSIZE=n limits the size of
// the files the tool writes (RLIMIT_FSIZE), so that its output fails after n bytes. It exits 99
// when it could not.
func init() {
	over, fsize := os.Getenv("BPFU_BTF_OVER"), os.Getenv("BPFU_FSIZE")
	if over == "" && fsize == "" {
		return
	}
	fail := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, format+"\n", args...)
		os.Exit(99)
	}
	if over != "" {
		if err := unix.Mount(over, btfPath, "", unix.MS_BIND, ""); err != nil {
			fail("bind %s over %s: %v", over, btfPath, err)
		}
	}
	if fsize != "" {
		n, err := strconv.ParseUint(fsize, 10, 64)
		if err != nil {
			fail("BPFU_FSIZE=%q: %v", fsize, err)
		}
		if err := unix.Setrlimit(unix.RLIMIT_FSIZE, &unix.Rlimit{Cur: n, Max: n}); err != nil {
			fail("limit file size to %d: %v", n, err)
		}
	}
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "BPFU_BTF_OVER=") && !strings.HasPrefix(e, "BPFU_FSIZE=") {
			env = append(env, e)
		}
	}
	err := unix.Exec(os.Args[1], os.Args[1:], env)
	fail("exec %s: %v", os.Args[1], err)
}

const btfPath = "/sys/kernel/btf/vmlinux"

// wrapped returns the command that runs tool through the exec wrapper with its settings (wrap:
// "BPFU_BTF_OVER=file", "BPFU_FSIZE=n"; none: the tool itself), on the default hooks (BPFUTILS_ATTACH unset: the
// faults tested do not depend on the family).
func wrapped(t *testing.T, ctx context.Context, wrap []string, tool string, args ...string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, self, append([]string{toolPath(t, tool)}, args...)...)
	if len(wrap) == 0 {
		cmd = exec.CommandContext(ctx, toolPath(t, tool), args...)
	}
	for _, w := range wrap {
		if strings.HasPrefix(w, "BPFU_BTF_OVER=") {
			cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
		}
	}
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "BPFUTILS_ATTACH=") {
			cmd.Env = append(cmd.Env, e)
		}
	}
	cmd.Env = append(cmd.Env, wrap...)
	return cmd
}

// exitCode is the exit status of a command that ran (or the test fails), 99 failing the test:
// the wrapper could not set the tool up.
func exitCode(t *testing.T, err error, stderr string) int {
	t.Helper()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if code == 99 {
		t.Fatalf("the exec wrapper failed: %s", stderr)
	}
	return code
}

// runUnderBTF runs tool with the kernel's BTF replaced by the file btf, and returns its stderr and
// exit code (stdout must stay empty).
func runUnderBTF(t *testing.T, btf, tool string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := wrapped(t, ctx, []string{"BPFU_BTF_OVER=" + btf}, tool, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	code := exitCode(t, cmd.Run(), stderr.String())
	if stdout.Len() != 0 {
		t.Errorf("%s %v under a broken BTF printed on stdout: %q", tool, args, stdout.String())
	}
	return stderr.String(), code
}

// TestCorruptKernelBTF: with the kernel's BTF empty, cut short or garbage, a tool says so in one
// line naming the file and what is wrong with it (not libbpf's three lines and an errno), exits
// non-zero and leaves nothing loaded; with -v, libbpf's own lines follow too.
func TestCorruptKernelBTF(t *testing.T) {
	binary(t)
	real, err := os.ReadFile(btfPath)
	if err != nil {
		t.Skipf("no kernel BTF to break: %v", err)
	}
	dir := t.TempDir()
	garbage := make([]byte, 100000)
	rand.New(rand.NewSource(1)).Read(garbage)
	files := map[string][]byte{
		"empty":     nil,
		"truncated": real[:1000],
		"garbage":   garbage,
	}
	const want = "kernel BTF at " + btfPath + " is empty or corrupt: "
	// A tracepoint tool, a raw_tp one, one whose programs attach by BTF id where they can,
	// and a perf-event one.
	tools := [][]string{{"opensnoop", "-d", "1"}, {"biolatency", "1", "1"}, {"runqlat", "1", "1"}, {"profile", "1"}}
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o444); err != nil {
			t.Fatal(err)
		}
		for _, tc := range tools {
			tool, args := tc[0], tc[1:]
			before := bpfProgIDs(t)
			stderr, code := runUnderBTF(t, path, tool, args...)
			lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
			if code == 0 {
				t.Errorf("%s under a %s BTF: exit 0", tool, name)
			}
			if len(lines) != 1 || !strings.HasPrefix(lines[0], tool+": "+want) {
				t.Errorf("%s under a %s BTF said %q, want one line %q...", tool, name, stderr, tool+": "+want)
			}
			if left := programsLeft(t, tool, before, 2*time.Second); len(left) > 0 {
				t.Errorf("%s under a %s BTF left programs loaded: %v", tool, name, left)
			}
		}
	}
	// -v keeps what libbpf said, and still ends with the one line.
	stderr, code := runUnderBTF(t, filepath.Join(dir, "truncated"), "opensnoop", "-v", "-d", "1")
	if code == 0 || !strings.Contains(stderr, "libbpf: ") || !strings.Contains(stderr, want+"BTF sections out of bounds") {
		t.Errorf("opensnoop -v under a truncated BTF: exit %d, stderr %q", code, stderr)
	}
}

// oneLineFailure checks that a tool failed: non-zero exit, and one line on stderr, which names
// the tool and contains want.
func oneLineFailure(t *testing.T, what string, code int, stderr, tool, want string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if code == 0 {
		t.Errorf("%s: exit 0, want non-zero", what)
	}
	if len(lines) != 1 || !strings.HasPrefix(lines[0], tool+": ") || !strings.Contains(lines[0], want) {
		t.Errorf("%s: stderr %q, want one line %q... containing %q", what, stderr, tool+": ", want)
	}
}

// TestOutputFull: when standard output cannot be written (/dev/full: every write fails with
// ENOSPC), a tool stops, says so in one line naming the error, and exits non-zero; whether it
// traced nothing (the header is all there was to write) or events.
func TestOutputFull(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	defer full.Close()
	path := uniquePath(t, "full")
	createFile(t, path)
	o := startOpener(t)
	for _, tc := range []struct {
		what string
		args []string
		work bool
	}{
		{"opensnoop -p 1 -d 1 (nothing traced)", []string{"-p", "1", "-d", "1"}, false},
		{"opensnoop --json -p 1 -d 1 (nothing traced)", []string{"--json", "-p", "1", "-d", "1"}, false},
		{"opensnoop on opens", []string{"-p", strconv.Itoa(o.pid), "-d", "3"}, true},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := wrapped(t, ctx, nil, "opensnoop", tc.args...)
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = full, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if tc.work {
			time.Sleep(500 * time.Millisecond)
			o.opens(1000, path)
		}
		code := exitCode(t, cmd.Wait(), stderr.String())
		cancel()
		oneLineFailure(t, tc.what, code, stderr.String(), "opensnoop", "no space left on device")
	}
}

// TestOutputFailsMidway: output that fails after it began (the file it goes to may not grow past
// a limit: RLIMIT_FSIZE, EFBIG): an event tool whose header was written and whose events cannot
// be, and a histogram tool whose banner was written and whose report cannot be, stop at the
// first failed write with one line naming it, exit non-zero, and leave nothing loaded.
func TestOutputFailsMidway(t *testing.T) {
	path := uniquePath(t, "midway")
	createFile(t, path)
	o := startOpener(t)
	dir := t.TempDir()

	// opensnoop's header (35 bytes) fits, the first batch of events does not; it must stop then,
	// not trace on until -d ends.
	before := bpfProgIDs(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := os.Create(filepath.Join(dir, "opensnoop.out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := wrapped(t, ctx, []string{"BPFU_FSIZE=100"}, "opensnoop", "-p", strconv.Itoa(o.pid), "-d", "20")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = out, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// Wait for the header: the tool is tracing.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if st, _ := out.Stat(); st != nil && st.Size() > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("opensnoop wrote no header in 20s; stderr %q", stderr.String())
		}
	}
	o.opens(1000, path)
	select {
	case err = <-exited:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-exited
		t.Fatalf("opensnoop still running 10s after its output failed; stderr %q", stderr.String())
	}
	oneLineFailure(t, "opensnoop with output failing after the header", exitCode(t, err, stderr.String()), stderr.String(),
		"opensnoop", "file too large")
	if left := programsLeft(t, "opensnoop", before, 2*time.Second); len(left) > 0 {
		t.Errorf("opensnoop left programs loaded: %v", left)
	}

	// runqlat's banner fits, its histogram (the scheduler always gives it some) does not.
	banner := "Tracing run queue latency... Hit Ctrl-C to end.\n"
	out2, err := os.Create(filepath.Join(dir, "runqlat.out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out2.Close()
	cmd = wrapped(t, ctx, []string{fmt.Sprintf("BPFU_FSIZE=%d", len(banner)+10)}, "runqlat", "1", "1")
	stderr.Reset()
	cmd.Stdout, cmd.Stderr = out2, &stderr
	code := exitCode(t, cmd.Run(), stderr.String())
	oneLineFailure(t, "runqlat with output failing after the banner", code, stderr.String(), "runqlat", "file too large")
	if data, _ := os.ReadFile(out2.Name()); !strings.HasPrefix(string(data), banner) {
		t.Errorf("runqlat wrote %q, want its banner %q first", data, banner)
	}
}

// TestReaderStopsAndResumes: the tool stops reading (SIGSTOP, as a reader starved of CPU) in the
// middle of a storm of opens, for long enough that the ring buffer fills, then resumes. Every
// open is then either printed or counted in a "Lost N events!" line (and, with --json, in a
// "lost" line with that count): filtered by pid in BPF, nothing else adds to the losses.
func TestReaderStopsAndResumes(t *testing.T) {
	stormOnHost(t)
	for _, json := range []bool{false, true} {
		t.Run(fmt.Sprintf("json=%v", json), func(t *testing.T) {
			path := uniquePath(t, fmt.Sprintf("stopped-%v", json))
			createFile(t, path)
			o := startOpener(t)
			args := []string{"-p", strconv.Itoa(o.pid)}
			if json {
				args = append(args, "--json")
			}
			p := start(t, "opensnoop", args...)
			const storm = 300000
			done := make(chan struct{})
			go func() {
				defer close(done)
				o.opens(storm, path)
			}()
			time.Sleep(100 * time.Millisecond)
			if err := p.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
				t.Fatal(err)
			}
			time.Sleep(3 * time.Second)
			p.cmd.Process.Signal(syscall.SIGCONT)
			<-done
			out := p.stop()
			lost, lostLines := lostOnStderr(t, p.Stderr())
			seen := 0
			if json {
				lines := jsonLines(t, "opensnoop", out)
				for _, l := range ofType(lines, "event") {
					if l.str("path") == path {
						seen++
					}
				}
				jsonLost := 0
				for _, l := range ofType(lines, "lost") {
					jsonLost += int(l.num("count"))
				}
				if jsonLost != lost || len(ofType(lines, "lost")) != lostLines {
					t.Errorf("JSON lost lines count %d in %d lines, stderr %d in %d lines",
						jsonLost, len(ofType(lines, "lost")), lost, lostLines)
				}
			} else {
				seen = len(rowsFor(out, path))
			}
			t.Logf("generated %d, seen %d, reported lost %d in %d lines", storm, seen, lost, lostLines)
			if lost == 0 {
				t.Fatalf("the reader stopped for 3 s in a storm of %d opens and lost nothing (seen %d)", storm, seen)
			}
			if seen+lost != storm {
				t.Errorf("seen %d + lost %d = %d, generated %d", seen, lost, seen+lost, storm)
			}
		})
	}
}

// TestKilledWhileLoading: a tool killed (SIGKILL: nothing of its own runs) at any moment of its
// start, while loading, attaching, or just after, leaves no program in the kernel: everything it
// holds hangs on its file descriptors.
func TestKilledWhileLoading(t *testing.T) {
	stormOnHost(t)
	binary(t)
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	// A tracepoint tool with a ring buffer, a raw_tp one, a perf-event one, one on the perf-buffer
	// path.
	cases := []struct {
		tool string
		args []string
		env  string
	}{
		{"opensnoop", nil, ""}, {"biosnoop", nil, ""}, {"profile", nil, ""}, {"execsnoop", nil, "BPFUTILS_PERFBUF=1"},
	}
	command := func(c int) *exec.Cmd {
		cmd := wrapped(t, context.Background(), nil, cases[c].tool, cases[c].args...)
		if cases[c].env != "" {
			cmd.Env = append(cmd.Env, cases[c].env)
		}
		return cmd
	}
	// How long a start takes (until the first line), so that kills land all over it.
	startup := map[string]time.Duration{}
	for c := range cases {
		cmd := command(c)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
			t.Fatalf("%s printed nothing: %v", cases[c].tool, err)
		}
		startup[cases[c].tool] = time.Since(t0)
		cmd.Process.Kill()
		cmd.Wait()
	}
	before := bpfProgIDs(t)
	early, late := 0, 0
	for i := 0; i < 24; i++ {
		c := i % len(cases)
		cmd := command(c)
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.Int63n(int64(startup[cases[c].tool] * 3 / 2))))
		cmd.Process.Kill()
		cmd.Wait()
		if stdout.Len() == 0 {
			early++
		} else {
			late++
		}
	}
	t.Logf("startup %v; %d kills before the first line, %d after", startup, early, late)
	for _, c := range cases {
		if left := programsLeft(t, c.tool, before, 3*time.Second); len(left) > 0 {
			t.Errorf("%s killed while starting left programs loaded: %v", c.tool, left)
		}
	}
	if early == 0 {
		t.Errorf("no kill landed before a tool was tracing: the test did not test loading")
	}
}
