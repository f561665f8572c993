package tests

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// memGroup is a memory-limited cgroup for a test: a cgroup-v2 child with memory.max where the
// memory controller can be enabled on the v2 tree, else a child of the v1 memory hierarchy with
// memory.limit_in_bytes (this host binds memory to v1, leaving its cgroup2 mount empty).
type memGroup struct {
	dir  string
	path string // as the kernel names it within the memory hierarchy: "/bpfu-oom1234"
	v1   bool
}

// newMemGroup makes a memory cgroup limited to limit bytes without swap, removed when the test
// ends (after the cleanups registered later, which end the processes in it).
func newMemGroup(t *testing.T, prefix string, limit int64) *memGroup {
	t.Helper()
	name := workloadName(prefix)
	if g := newMemGroupV2(t, name, limit); g != nil {
		return g
	}
	root := "/sys/fs/cgroup/memory"
	if _, err := os.Stat(filepath.Join(root, "memory.limit_in_bytes")); err != nil {
		t.Skip("no memory controller: neither on cgroup v2 nor a v1 memory hierarchy")
	}
	dir := filepath.Join(root, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skipf("cannot make a v1 memory cgroup: %v", err)
	}
	t.Cleanup(func() { removeGroup(t, dir) })
	if err := os.WriteFile(filepath.Join(dir, "memory.limit_in_bytes"), []byte(strconv.FormatInt(limit, 10)), 0o644); err != nil {
		t.Fatalf("limit %s: %v", dir, err)
	}
	// With swap accounting the limit of memory+swap keeps the workload off swap too.
	os.WriteFile(filepath.Join(dir, "memory.memsw.limit_in_bytes"), []byte(strconv.FormatInt(limit, 10)), 0o644)
	t.Logf("memory cgroup v1 %s limited to %d bytes (memory.limit_in_bytes)", dir, limit)
	return &memGroup{dir: dir, path: "/" + name, v1: true}
}

// newMemGroupV2 is newMemGroup on the cgroup2 mount, or nil when the memory controller cannot
// be enabled there.
func newMemGroupV2(t *testing.T, name string, limit int64) *memGroup {
	t.Helper()
	root := cgroup2Root()
	if root == "" {
		return nil
	}
	ctl, _ := os.ReadFile(filepath.Join(root, "cgroup.controllers"))
	if !strings.Contains(" "+strings.TrimSpace(string(ctl))+" ", " memory ") {
		return nil
	}
	subtree := filepath.Join(root, "cgroup.subtree_control")
	enabled, _ := os.ReadFile(subtree)
	if !strings.Contains(" "+strings.TrimSpace(string(enabled))+" ", " memory ") {
		if err := os.WriteFile(subtree, []byte("+memory"), 0o644); err != nil {
			return nil
		}
		// Registered first, so it runs after the group is gone; refused while others use it.
		t.Cleanup(func() { os.WriteFile(subtree, []byte("-memory"), 0o644) })
	}
	dir := filepath.Join(root, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil
	}
	t.Cleanup(func() { removeGroup(t, dir) })
	if err := os.WriteFile(filepath.Join(dir, "memory.max"), []byte(strconv.FormatInt(limit, 10)), 0o644); err != nil {
		t.Fatalf("limit %s: %v", dir, err)
	}
	os.WriteFile(filepath.Join(dir, "memory.swap.max"), []byte("0"), 0o644)
	t.Logf("memory cgroup v2 %s limited to %d bytes (memory.max)", dir, limit)
	return &memGroup{dir: dir, path: "/" + name}
}

// removeGroup removes a cgroup once its last process is gone (the kernel takes a moment after
// a kill).
func removeGroup(t *testing.T, dir string) {
	var err error
	for range 100 {
		if err = os.Remove(dir); err == nil || errors.Is(err, os.ErrNotExist) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Errorf("cgroup %s left behind: %v", dir, err)
}

// add moves a process into the group.
func (g *memGroup) add(t *testing.T, pid int) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(g.dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
		t.Fatalf("move %d into %s: %v", pid, g.dir, err)
	}
}

// memHog starts testdata/memhog.c under a unique comm with args after the comm, inside g,
// ready to work on begin().
func memHog(t *testing.T, g *memGroup, prefix string, args ...string) *workload {
	t.Helper()
	comm := workloadName(prefix)
	cmd := exec.Command(cProgram(t, "memhog"), append([]string{comm}, args...)...)
	w := startWorkload(t, cmd, comm)
	if line := w.line(); line != fmt.Sprintf("ready %d", w.pid) {
		t.Fatalf("memhog said %q", line)
	}
	g.add(t, w.pid)
	// The workload must be gone before its group.
	t.Cleanup(w.end)
	return w
}

// oomKill runs a hog of 256 MB in a group of 32 MB and waits for the kernel to kill it.
func oomKill(t *testing.T, prefix string) (*memGroup, *workload) {
	t.Helper()
	const limit = 32 << 20
	g := newMemGroup(t, prefix, limit)
	w := memHog(t, g, prefix, "anon", "256")
	w.stdin.Write([]byte("go\n"))
	err := w.cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("memhog in a %d-byte cgroup was not OOM-killed: %v", limit, err)
	}
	return g, w
}

// wantPages is the OOM domain's size of a 32 MB group with no swap, or 0 where swap makes it
// depend on the machine.
func wantPages(t *testing.T) uint64 {
	data, _ := os.ReadFile("/proc/meminfo")
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "SwapTotal:" && f[1] != "0" {
			return 0
		}
	}
	return uint64(32<<20) / uint64(os.Getpagesize())
}

func TestOomkill(t *testing.T) {
	p := start(t, "oomkill", "--memcg")
	g, w := oomKill(t, "bpfu-oom")
	want := fmt.Sprintf(`Triggered by PID %d ("%s"), OOM kill of PID %d ("%s"), `, w.pid, w.comm, w.pid, w.comm)
	p.waitFor(want, 20*time.Second)
	out := p.stop()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if lines[0] != "Tracing OOM kills... Ctrl-C to stop." {
		t.Errorf("bad banner %q", lines[0])
	}
	kills := linesWith(out, want)
	if len(kills) != 1 {
		t.Fatalf("want one kill of %s (%d), got %d\n%s", w.comm, w.pid, len(kills), out)
	}
	// 15:04:05 Triggered by PID 123 ("c"), OOM kill of PID 123 ("c"), 8192 pages, memcg /g, loadavg: 0.1 0.2 0.3 1/2 3
	k := kills[0]
	rest, ok := strings.CutPrefix(k[9:], want)
	if _, err := time.Parse("15:04:05", k[:8]); err != nil || k[8] != ' ' || !ok {
		t.Fatalf("bad kill line %q", k)
	}
	pages, rest, _ := strings.Cut(rest, " pages, memcg ")
	memcg, load, found := strings.Cut(rest, ", loadavg: ")
	if n, err := strconv.ParseUint(pages, 10, 64); err != nil || n == 0 || (wantPages(t) != 0 && n != wantPages(t)) {
		t.Errorf("kill line %q: pages %q, want %d", k, pages, wantPages(t))
	}
	if memcg != g.path {
		t.Errorf("kill line %q: memcg %q, want %q", k, memcg, g.path)
	}
	if !found || len(strings.Fields(load)) != 5 {
		t.Errorf("kill line %q: no /proc/loadavg at its end", k)
	}

	// Without --memcg the line is libbpf-tools' own.
	plain := start(t, "oomkill")
	_, w = oomKill(t, "bpfu-oomp")
	want = fmt.Sprintf(`OOM kill of PID %d ("%s"), `, w.pid, w.comm)
	plain.waitFor(want, 20*time.Second)
	out = plain.stop()
	for _, k := range linesWith(out, want) {
		if strings.Contains(k, "memcg") || !strings.Contains(k, " pages, loadavg: ") {
			t.Errorf("plain kill line %q", k)
		}
	}
}

func TestOomkillJSON(t *testing.T) {
	p := start(t, "oomkill", "--json")
	g, w := oomKill(t, "bpfu-oomj")
	p.waitFor(fmt.Sprintf(`"victim_pid":%d`, w.pid), 20*time.Second)
	lines := jsonLines(t, "oomkill", p.stop())
	if starts := ofType(lines, "start"); len(starts) != 1 || starts[0].str("message") != "Tracing OOM kills... Ctrl-C to stop." {
		t.Errorf("want one start line with the banner, got %v", starts)
	}
	var seen int
	for _, e := range ofType(lines, "event") {
		if int(e.num("victim_pid")) != w.pid {
			continue
		}
		seen++
		if e.str("victim_comm") != w.comm || int(e.num("trigger_pid")) != w.pid || e.str("trigger_comm") != w.comm ||
			e.str("memcg") != g.path || len(strings.Fields(e.str("loadavg"))) != 5 {
			t.Errorf("bad event %v (hog %s %d in %s)", e, w.comm, w.pid, g.path)
		}
		if n := uint64(e.num("pages")); n == 0 || (wantPages(t) != 0 && n != wantPages(t)) {
			t.Errorf("event %v: pages %d, want %d", e, n, wantPages(t))
		}
		if _, ok := e["pages_estimated"].(bool); !ok {
			t.Errorf("event %v without pages_estimated", e)
		}
	}
	if seen != 1 {
		t.Errorf("want one kill of %d, got %d", w.pid, seen)
	}
}

func TestOomkillBadInput(t *testing.T) {
	badInput(t, "oomkill", "unrecognized positional argument", "5")
	badInput(t, "oomkill", "flag provided but not defined", "--bogus")
	badInput(t, "oomkill", "takes no value", "--memcg=3")
}
