package tracer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfutils/bpfutils/pkg/minbtf"
)

// pointTraceFS points TraceFS and the debugfs location at directories of the test's.
func pointTraceFS(t *testing.T, tracefs, debugfs string) {
	t.Helper()
	oldTrace, oldDebug := TraceFS, debugfsTraceFS
	TraceFS, debugfsTraceFS = tracefs, debugfs
	t.Cleanup(func() { TraceFS, debugfsTraceFS = oldTrace, oldDebug })
}

func needKernelBTF(t *testing.T) {
	t.Helper()
	if _, err := minbtf.Kernel(); err != nil {
		t.Skipf("no kernel BTF: %v", err)
	}
}

// Where tracefs cannot be read, raw_tp and tp_btf hooks learn from the kernel's BTF whether their
// tracepoint exists; a classic tracepoint, whose id only tracefs gives, names what is missing
// instead of claiming that the kernel lacks it.
func TestTracepointsWithoutTraceFS(t *testing.T) {
	needKernelBTF(t)
	dir := t.TempDir() // no events/: nothing mounted here
	pointTraceFS(t, dir, filepath.Join(dir, "debug"))
	for _, kind := range []Kind{RawTP, TPBTF} {
		if reason := tracepointAvailability(kind, "sched", "sched_switch"); reason != "" {
			t.Errorf("%s sched:sched_switch: %q, want it found in the kernel's BTF", kind, reason)
		}
		want := "kernel has no tracepoint sched:no_such_tracepoint (per its BTF)"
		if reason := tracepointAvailability(kind, "sched", "no_such_tracepoint"); reason != want {
			t.Errorf("%s sched:no_such_tracepoint: %q, want %q", kind, reason, want)
		}
	}
	want := "tracepoint syscalls:sys_enter_execve: tracefs is not mounted at " + dir
	if reason := tracepointAvailability(Tracepoint, "syscalls", "sys_enter_execve"); reason != want {
		t.Errorf("classic tracepoint: %q, want %q", reason, want)
	}
	if !TracepointExists("sched", "sched_switch") {
		t.Error("TracepointExists(sched:sched_switch) without tracefs: false")
	}
}

// A readable tracefs is the authority: what it does not list does not exist, whatever the hook.
func TestTracepointMissingFromTraceFS(t *testing.T) {
	fakeTraceFS(t, "sched:sched_switch")
	for _, kind := range []Kind{Tracepoint, RawTP, TPBTF} {
		if reason := tracepointAvailability(kind, "sched", "sched_switch"); reason != "" {
			t.Errorf("%s sched:sched_switch: %q", kind, reason)
		}
		// The kernel's BTF has sched_wakeup; this tracefs does not.
		if reason := tracepointAvailability(kind, "sched", "sched_wakeup"); reason != "kernel has no tracepoint sched:sched_wakeup" {
			t.Errorf("%s sched:sched_wakeup: %q", kind, reason)
		}
	}
}

// Each capability that is missing is named.
func TestCheckCapabilities(t *testing.T) {
	const bpf, perfmon, sysadmin = 1 << capBPF, 1 << capPerfmon, 1 << capSysAdmin
	for _, c := range []struct {
		eff  uint64
		want string // "" for no error
	}{
		{bpf | perfmon, ""},
		{sysadmin, ""},
		{bpf, "missing CAP_PERFMON"},
		{perfmon, "missing CAP_BPF"},
		{0, "must run as root, or with CAP_BPF and CAP_PERFMON"},
	} {
		err := checkCapabilities(c.eff)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%#x: %v", c.eff, err)
		case c.want != "" && (err == nil || !strings.HasPrefix(err.Error(), c.want)):
			t.Errorf("%#x: %v, want %q", c.eff, err, c.want)
		}
	}
}

func mountedAt(t *testing.T, dir string) bool {
	t.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Type) == unix.TRACEFS_MAGIC
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("mounting needs root")
	}
	if _, err := os.Stat(minbtf.KernelBTFPath); err != nil {
		t.Skip("Preflight needs the kernel's BTF")
	}
}

// Preflight mounts tracefs where none is mounted, and Unmount takes it away once the last of the
// tools that asked for it is done: a tool leaves the system as it found it.
func TestPreflightMountsAndUnmountTakesAway(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	tracefs, debugfs := filepath.Join(dir, "tracing"), filepath.Join(dir, "debug")
	for _, d := range []string{tracefs, debugfs} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	pointTraceFS(t, tracefs, debugfs)
	t.Cleanup(func() { unix.Unmount(tracefs, unix.MNT_DETACH) })

	if err := Preflight(); err != nil {
		t.Fatal(err)
	}
	if !mountedAt(t, tracefs) {
		t.Fatal("Preflight did not mount tracefs")
	}
	if TraceFS != tracefs || traceFSUnreadable() != "" {
		t.Fatalf("TraceFS %s, unreadable: %q", TraceFS, traceFSUnreadable())
	}
	// A second tool of the same process, started while the first runs.
	if err := Preflight(); err != nil {
		t.Fatal(err)
	}
	if err := Unmount(); err != nil {
		t.Fatal(err)
	}
	if !mountedAt(t, tracefs) {
		t.Fatal("unmounted while a tool still runs")
	}
	if err := Unmount(); err != nil {
		t.Fatal(err)
	}
	if mountedAt(t, tracefs) {
		t.Fatal("tracefs left mounted")
	}
}

// A tracefs that was there before stays after.
func TestUnmountLeavesOthersMounts(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	if err := unix.Mount("tracefs", dir, "tracefs", 0, ""); err != nil {
		t.Skipf("cannot mount tracefs: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	pointTraceFS(t, dir, filepath.Join(dir, "no-debugfs"))
	if err := Preflight(); err != nil {
		t.Fatal(err)
	}
	if err := Unmount(); err != nil {
		t.Fatal(err)
	}
	if !mountedAt(t, dir) {
		t.Fatal("Unmount took away a tracefs it did not mount")
	}
}

// Where tracefs cannot be mounted, Preflight still succeeds (raw_tp and tp_btf do without), and
// the hooks that need tracefs say why they cannot have it.
func TestPreflightCannotMount(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	missing := filepath.Join(dir, "no-such-dir")
	pointTraceFS(t, missing, filepath.Join(dir, "no-debugfs"))
	if err := Preflight(); err != nil {
		t.Fatal(err)
	}
	defer Unmount()
	want := "tracepoint syscalls:sys_enter_execve: no tracefs is mounted (" + missing + ") and mounting one failed: no such file or directory"
	if reason := tracepointAvailability(Tracepoint, "syscalls", "sys_enter_execve"); reason != want {
		t.Errorf("classic tracepoint: %q, want %q", reason, want)
	}
	if reason := tracepointAvailability(RawTP, "sched", "sched_switch"); reason != "" {
		t.Errorf("raw_tp sched:sched_switch: %q", reason)
	}
}
