// Package tests runs the built bpfutils binary the way a user does, through a symlink named
// after the tool, while the test makes a real workload, and checks what the tool saw.
// The binary comes from BPFUTILS_BIN or ../bpfutils (make builds it).
//
// The same tests run on the host and, through `make vmtest`, inside qemu guests booting other
// kernels (scripts/vmtest.sh), once per attach family: BPFUTILS_ATTACH=fentry|kprobe|tracepoint
// makes every tool prefer that family of hooks. The environment a test may rely on:
//   - BPFUTILS_SCRATCH: a directory on a real disk for block IO (/var/tmp by default);
//   - BPFUTILS_VM: set in a guest (to its kernel release), whose kernels support every family;
//   - in a guest, the programs are busybox's applets plus GNU coreutils (dd, sleep, true, ...):
//     call need(t, "prog") before running anything else, so the test skips instead of failing.
package tests

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func binary(t *testing.T) string {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("integration tests need root")
	}
	bin := os.Getenv("BPFUTILS_BIN")
	if bin == "" {
		bin, _ = filepath.Abs("../bpfutils")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("bpfutils binary not found at %s (run make, or set BPFUTILS_BIN)", bin)
	}
	return bin
}

// toolPath returns a symlink named tool pointing at the binary, as `bpfutils --install -s` makes.
func toolPath(t *testing.T, tool string) string {
	t.Helper()
	link := filepath.Join(t.TempDir(), tool)
	if err := os.Symlink(binary(t), link); err != nil {
		t.Fatal(err)
	}
	return link
}

// proc is a running tool.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	mu     sync.Mutex
	stdout bytes.Buffer
	stderr bytes.Buffer
	lines  chan string
	done   chan struct{}
	err    error
}

// start runs the tool and waits until it printed its first line (its header, printed once it is
// attached), so that the workload that follows is seen.
func start(t *testing.T, tool string, args ...string) *proc {
	t.Helper()
	p, hooks := launchTool(t, tool, args...)
	select {
	case <-p.lines:
	case <-p.done:
		t.Fatalf("%s %v exited before printing anything: %v\nstderr: %s", tool, args, p.err, p.Stderr())
	case <-time.After(20 * time.Second):
		t.Fatalf("%s %v printed nothing in 20s\nstderr: %s", tool, args, p.Stderr())
	}
	checkHooks(t, tool, hooks)
	return p
}

// launchTool starts tool through its symlink (launch), the hooks it attached through logged to
// the file hooks names; the test is skipped in a run forcing an attach path the tool lacks.
func launchTool(t *testing.T, tool string, args ...string) (p *proc, hooks string) {
	t.Helper()
	skipOtherAttachPath(t, tool)
	hooks = hookLog(t)
	cmd := exec.Command(toolPath(t, tool), args...)
	cmd.Env = append(os.Environ(), "BPFUTILS_HOOKLOG="+hooks)
	return launch(t, cmd), hooks
}

// launch starts cmd with its stdout read line by line into a proc (and its lines channel) and
// its stderr kept; the test's cleanup kills it if it is still running.
func launch(t *testing.T, cmd *exec.Cmd) *proc {
	t.Helper()
	p := &proc{t: t, cmd: cmd, lines: make(chan string, 1<<16), done: make(chan struct{})}
	cmd.Stderr = &lockedWriter{mu: &p.mu, buf: &p.stderr}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.stdout.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

type lockedWriter struct {
	mu  *sync.Mutex
	buf *bytes.Buffer
}

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(b)
}

func (p *proc) Stdout() string { p.mu.Lock(); defer p.mu.Unlock(); return p.stdout.String() }
func (p *proc) Stderr() string { p.mu.Lock(); defer p.mu.Unlock(); return p.stderr.String() }

// stop sends SIGINT (as Ctrl-C does) and returns stdout once the tool exited by itself.
func (p *proc) stop() string {
	p.t.Helper()
	p.cmd.Process.Signal(syscall.SIGINT)
	return p.wait(10 * time.Second)
}

// startWhereHooked starts tool with args on a kernel that has the hooks it needs (the guests:
// BPFUTILS_VM) and returns it once it printed. Elsewhere the tool must refuse in one line
// holding each of wants, exit 1 and leave nothing loaded; then it returns nil.
func startWhereHooked(t *testing.T, tool string, args []string, wants ...string) *proc {
	t.Helper()
	before := bpfProgIDs(t)
	p, hooks := launchTool(t, tool, args...)
	select {
	case <-p.lines:
		checkHooks(t, tool, hooks)
		return p
	case <-p.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s %v printed nothing in 20s\nstderr: %s", tool, args, p.Stderr())
	}
	stderr := p.Stderr()
	if os.Getenv("BPFUTILS_VM") != "" {
		t.Fatalf("%s %v failed on a kernel with its hooks: %s", tool, args, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	ok := len(lines) == 1
	for _, w := range wants {
		ok = ok && strings.Contains(stderr, w)
	}
	if !ok {
		t.Errorf("want one line on what this kernel lacks, with %q; got %q", wants, stderr)
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if left := programsLeft(t, tool, before, 0); len(left) > 0 {
		t.Errorf("left BPF programs loaded: %v", left)
	}
	t.Logf("no hooks for %s here: %s", tool, strings.TrimSpace(stderr))
	return nil
}

// stopAll stops tools that watched the same workload at one moment, so that what the workload
// does while the first one exits is not counted by the others alone; it returns their stdouts.
func stopAll(ps ...*proc) []string {
	for _, p := range ps {
		p.cmd.Process.Signal(syscall.SIGINT)
	}
	outs := make([]string, len(ps))
	for i, p := range ps {
		p.t.Helper()
		outs[i] = p.wait(10 * time.Second)
	}
	return outs
}

// wait waits for the tool to exit on its own (duration or count reached) and checks it exited 0.
func (p *proc) wait(limit time.Duration) string {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(limit):
		p.cmd.Process.Kill()
		<-p.done
		p.t.Fatalf("tool did not exit within %s\nstdout:\n%s\nstderr:\n%s", limit, p.Stdout(), p.Stderr())
	}
	if p.err != nil {
		p.t.Fatalf("tool failed: %v\nstdout:\n%s\nstderr:\n%s", p.err, p.Stdout(), p.Stderr())
	}
	return p.Stdout()
}

// waitFor waits until stdout contains want.
func (p *proc) waitFor(want string, limit time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if strings.Contains(p.Stdout(), want) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.t.Fatalf("stdout never contained %q\nstdout:\n%s\nstderr:\n%s", want, p.Stdout(), p.Stderr())
}

// runTool runs a tool to completion and returns its stdout, stderr and exit code.
func runTool(t *testing.T, tool string, args ...string) (string, string, int) {
	t.Helper()
	skipOtherAttachPath(t, tool)
	hooks := hookLog(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, toolPath(t, tool), args...)
	cmd.Env = append(os.Environ(), "BPFUTILS_HOOKLOG="+hooks)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	checkHooks(t, tool, hooks)
	return out.String(), errb.String(), code
}

// countMismatches lists how the lines a tool printed (got: how many times each was seen) differ
// from want: each line seen a wrong number of times, then each unwanted one, named as what.
func countMismatches(what string, want, got map[string]int) []string {
	var bad []string
	for k, n := range want {
		if got[k] != n {
			bad = append(bad, fmt.Sprintf("%q seen %d times, want %d (seen: %v)", k, got[k], n, got))
		}
	}
	for k := range got {
		if want[k] == 0 {
			bad = append(bad, fmt.Sprintf("unexpected %s %q", what, k))
		}
	}
	return bad
}

// badInput checks that a tool rejects args with a one-line error naming the problem, a
// non-zero exit, and no BPF program of its own left in the kernel.
func badInput(t *testing.T, tool string, wantErr string, args ...string) {
	t.Helper()
	if len(objectPrograms(tool)) == 0 {
		t.Fatalf("no BPF object named %s to check for leftovers", tool)
	}
	before := bpfProgIDs(t)
	stdout, stderr, code := runTool(t, tool, args...)
	if code == 0 {
		t.Errorf("%s %v: exit 0, want non-zero", tool, args)
	}
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.Contains(stderr, wantErr) {
		t.Errorf("%s %v: stderr %q, want one line containing %q", tool, args, stderr, wantErr)
	}
	if strings.TrimSpace(stdout) != "" {
		t.Errorf("%s %v: unexpected stdout %q", tool, args, stdout)
	}
	if left := programsLeft(t, tool, before, 0); len(left) > 0 {
		t.Errorf("%s %v left BPF programs loaded: %v", tool, args, left)
	}
}

// programsLeft lists the programs of tool's object loaded now that were not in before, looking
// again for up to grace while there are some (the kernel frees a tracing program after an RCU
// grace period, not at its last close). Other tests may be tracing at the same time: only
// programs of this tool's object count.
func programsLeft(t *testing.T, tool string, before map[uint32]bool, grace time.Duration) []string {
	t.Helper()
	for deadline := time.Now().Add(grace); ; time.Sleep(50 * time.Millisecond) {
		var left []string
		for id := range bpfProgIDs(t) {
			if name := progName(id); !before[id] && ownProgram(tool, name) {
				left = append(left, fmt.Sprintf("%d (%s)", id, name))
			}
		}
		if len(left) == 0 || !time.Now().Before(deadline) {
			return left
		}
	}
}

// bpfProgIDs lists the ids of BPF programs loaded in the kernel.
func bpfProgIDs(t *testing.T) map[uint32]bool {
	t.Helper()
	ids := map[uint32]bool{}
	var id uint32
	for {
		next, err := nextProgID(id)
		if err != nil {
			break
		}
		ids[next] = true
		id = next
	}
	return ids
}

// workloadName makes a unique comm for a workload program (at most 15 bytes, the kernel's limit).
func workloadName(prefix string) string {
	name := fmt.Sprintf("%s%d", prefix, os.Getpid()%100000)
	return name[:min(15, len(name))]
}

// copyExecutable copies a system program under a new name, so its comm is unique.
func copyExecutable(t *testing.T, src, name string) string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(dst, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return dst
}

// scratchDisk names the whole disk behind scratchDir as /proc/partitions and the tools' -d spell
// it: "vda" for a file system on vda or on vda1, the underlying disk for a device-mapper volume.
// It falls back to vda, the test machines' disk.
func scratchDisk(t *testing.T) string {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(scratchDir(t), &st); err != nil {
		t.Fatal(err)
	}
	sys, err := filepath.EvalSymlinks(fmt.Sprintf("/sys/dev/block/%d:%d", unix.Major(st.Dev), unix.Minor(st.Dev)))
	if err != nil {
		return "vda" // not a block device (tmpfs, overlay…)
	}
	for range 4 {
		if _, err := os.Stat(filepath.Join(sys, "partition")); err == nil {
			sys = filepath.Dir(sys)
		}
		slaves, _ := os.ReadDir(filepath.Join(sys, "slaves"))
		if len(slaves) == 0 {
			return filepath.Base(sys)
		}
		if sys, err = filepath.EvalSymlinks(filepath.Join(sys, "slaves", slaves[0].Name())); err != nil {
			break
		}
	}
	return "vda"
}

// directWrite writes count blocks of bs (a dd size such as "4k") with O_DIRECT to a new file
// under scratchDir, through the program dd (a uniquely named copy of /bin/dd), so each block
// is one request of bs bytes issued by that comm.
func directWrite(t *testing.T, dd, bs string, count int) (pid int) {
	t.Helper()
	target := filepath.Join(scratchDir(t), fmt.Sprintf("%s-%d-%d", filepath.Base(dd), os.Getpid(), time.Now().UnixNano()))
	defer os.Remove(target)
	cmd := exec.Command(dd, "if=/dev/zero", "of="+target, "bs="+bs, fmt.Sprint("count=", count), "oflag=direct")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("dd: %v\n%s", err, out)
	}
	return cmd.Process.Pid
}

// cgroup2Root is where cgroup v2 is mounted, or "" when it is not.
func cgroup2Root() string {
	data, _ := os.ReadFile("/proc/self/mountinfo")
	for _, l := range strings.Split(string(data), "\n") {
		if pre, post, ok := strings.Cut(l, " - "); ok && strings.HasPrefix(post, "cgroup2 ") {
			return strings.Fields(pre)[4]
		}
	}
	return ""
}

// newCgroup makes a cgroup-v2 child group for the test, removed at its end (after the
// cleanups registered later, which end the processes in it).
func newCgroup(t *testing.T, prefix string) string {
	t.Helper()
	root := cgroup2Root()
	if root == "" {
		t.Skip("no cgroup v2 mount")
	}
	dir := filepath.Join(root, workloadName(prefix))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skipf("cannot make a cgroup-v2 child: %v", err)
	}
	t.Cleanup(func() { os.Remove(dir) })
	return dir
}

func fields(line string) []string { return strings.Fields(line) }

// linesWith returns the lines of out that contain s.
func linesWith(out, s string) []string {
	var r []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, s) {
			r = append(r, l)
		}
	}
	return r
}

// ownProgram reports whether a kernel program name (truncated to 15 bytes) belongs to the
// object of tool; every tool's programs are compiled from bpf/<tool>.bpf.c.
func ownProgram(tool, name string) bool {
	for _, p := range objectPrograms(tool) {
		if len(p) > 15 {
			p = p[:15]
		}
		if p == name {
			return true
		}
	}
	return false
}

// scratchDir is where block-IO workloads write: a disk-backed directory, since /tmp is tmpfs.
func scratchDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("BPFUTILS_SCRATCH"); d != "" {
		return d
	}
	return "/var/tmp"
}

// linesEqual returns the lines of out that are exactly s.
func linesEqual(out, s string) []string {
	var r []string
	for _, l := range strings.Split(out, "\n") {
		if l == s {
			r = append(r, l)
		}
	}
	return r
}

// workload is a helper program a test drives over its stdin and stdout: it announces itself
// with lines such as "ready PID" and starts working on "go".
type workload struct {
	t     *testing.T
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
	pid   int
	comm  string
}

// startWorkload starts cmd (named comm) and ends it when the test ends.
func startWorkload(t *testing.T, cmd *exec.Cmd, comm string) *workload {
	t.Helper()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w := &workload{t: t, cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout), pid: cmd.Process.Pid, comm: comm}
	t.Cleanup(w.end)
	return w
}

// end closes the workload's input and kills it.
func (w *workload) end() {
	w.stdin.Close()
	w.cmd.Process.Kill()
	w.cmd.Wait()
}

// line reads the workload's next line.
func (w *workload) line() string {
	w.t.Helper()
	got := make(chan string, 1)
	go func() {
		s, _ := w.out.ReadString('\n')
		got <- strings.TrimSpace(s)
	}()
	select {
	case s := <-got:
		return s
	case <-time.After(30 * time.Second):
		w.t.Fatal("workload hung")
	}
	return ""
}

// cgroupOf moves the workload into a new cgroup-v2 group and returns the group's path.
func (w *workload) cgroupOf() string {
	w.t.Helper()
	dir := newCgroup(w.t, "bpfu-cg-")
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(w.pid)), 0o644); err != nil {
		w.t.Fatalf("move workload into %s: %v", dir, err)
	}
	// Cleanups run last-registered first: the workload must be gone before its group.
	w.t.Cleanup(w.end)
	return dir
}
