package tests

import (
	"errors"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// hardwareCacheCounters tells whether this machine can sample cache misses (the 6.18 test VM
// has no PMU: perf_event_open answers ENOENT).
func hardwareCacheCounters(t *testing.T) bool {
	t.Helper()
	attr := unix.PerfEventAttr{Type: unix.PERF_TYPE_HARDWARE, Config: unix.PERF_COUNT_HW_CACHE_MISSES,
		Size: uint32(unsafe.Sizeof(unix.PerfEventAttr{})), Sample: 100}
	fd, err := unix.PerfEventOpen(&attr, -1, 0, -1, unix.PERF_FLAG_FD_CLOEXEC)
	if err == nil {
		unix.Close(fd)
		return true
	}
	if !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.EOPNOTSUPP) {
		t.Fatalf("perf_event_open cache-misses: %v", err)
	}
	return false
}

// TestLlcstatNoCounters: without a PMU, one line says so, exit 1, nothing left loaded.
func TestLlcstatNoCounters(t *testing.T) {
	if hardwareCacheCounters(t) {
		t.Skip("this machine has hardware cache counters")
	}
	_, stderr, code := runTool(t, "llcstat", "1")
	want := "llcstat: no hardware cache counters on this machine (perf_event_open hardware cache-misses on CPU 0: no such file or directory)\n"
	if code != 1 || stderr != want {
		t.Errorf("exit %d, stderr %q; want 1, %q", code, stderr, want)
	}
	// --json says it the same way, and prints no start line for a run that never started.
	stdout, stderr, code := runTool(t, "llcstat", "--json", "1")
	if code != 1 || stderr != want || stdout != "" {
		t.Errorf("--json: exit %d, stdout %q, stderr %q; want 1, nothing, %q", code, stdout, stderr, want)
	}
	badInput(t, "llcstat", "no hardware cache counters on this machine", "-t", "1")
}

// TestLlcstat: a memory-hungry workload shows up under its own name (machines with a PMU).
func TestLlcstat(t *testing.T) {
	if !hardwareCacheCounters(t) {
		t.Skip("no hardware cache counters here (the 6.18 test VM has no PMU)")
	}
	name := workloadName("bpfu-llc")
	prog := copyExecutable(t, "/bin/dd", name)
	p := start(t, "llcstat", "-t", "-c", "1000", "2")
	if line := strings.Split(p.Stdout(), "\n")[0]; line != "Running for 2 seconds or Hit Ctrl-C to end." {
		t.Fatalf("first line %q", line)
	}
	cmd := exec.Command(prog, "if=/dev/zero", "of=/dev/null", "bs=64M", "count=40")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	out := p.wait(10e9)
	if !strings.Contains(out, "\nPID      TID      NAME             CPU     REFERENCE         MISS    HIT%\n") {
		t.Fatalf("no -t header in\n%s", out)
	}
	row := regexp.MustCompile(`(?m)^(\d+) +(\d+) +` + regexp.QuoteMeta(name) + ` +\d+ +(\d+) +(\d+) +\d+\.\d\d%$`)
	m := row.FindStringSubmatch(out)
	if m == nil || m[3] == "0" {
		t.Errorf("no references for %s\n%s", name, out)
	}
	if !regexp.MustCompile(`\nTotal References: \d+ Total Misses: \d+ Hit Rate: \d+\.\d\d%\n$`).MatchString(out) {
		t.Errorf("no totals line at the end\n%s", out)
	}
}

// TestLlcstatJSON: TestLlcstat's workload read from --json table lines (machines with a PMU; the
// rows' JSON layout is held by tools/llcstat's golden test everywhere).
func TestLlcstatJSON(t *testing.T) {
	if !hardwareCacheCounters(t) {
		t.Skip("no hardware cache counters here (the 6.18 test VM has no PMU)")
	}
	name := workloadName("bpfu-llcj")
	prog := copyExecutable(t, "/bin/dd", name)
	p := start(t, "llcstat", "--json", "-t", "-c", "1000", "2")
	cmd := exec.Command(prog, "if=/dev/zero", "of=/dev/null", "bs=64M", "count=40")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	lines := jsonLines(t, "llcstat", p.wait(10e9))
	var refs float64
	for _, r := range ofType(lines, "table") {
		if r.str("comm") != name {
			continue
		}
		if int(r.num("pid")) != cmd.Process.Pid || r["tid"] == nil || r["cpu"] == nil || r["misses"] == nil {
			t.Errorf("row of the workload (pid %d): %v", cmd.Process.Pid, r)
		}
		if hit := r.num("hit_percent"); hit < 0 || hit > 100 {
			t.Errorf("hit_percent %v", hit)
		}
		refs += r.num("references")
	}
	if refs == 0 {
		t.Errorf("no references for %s in\n%v", name, lines)
	}
}

func TestLlcstatBadInput(t *testing.T) {
	badInput(t, "llcstat", "invalid sample period: 0", "-c", "0")
	badInput(t, "llcstat", "invalid sample period: many", "--sample_period", "many")
	badInput(t, "llcstat", `invalid duration "x"`, "x")
	badInput(t, "llcstat", "unrecognized positional argument: 2", "1", "2")
	badInput(t, "llcstat", "flag provided but not defined", "--bogus")
}
