package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// numaRows checks numamove's text (header, then a line a second) and adds up its columns.
func numaRows(t *testing.T, out string) (rows int, migrations, ms uint64) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if lines[0] != "TIME          NUMA_migrations NUMA_migrations_ms" {
		t.Fatalf("bad header\n%s", out)
	}
	for _, l := range lines[1:] {
		f := fields(l)
		if len(f) != 3 {
			t.Fatalf("bad row %q\n%s", l, out)
		}
		n, err1 := strconv.ParseUint(f[1], 10, 64)
		d, err2 := strconv.ParseUint(f[2], 10, 64)
		_, err3 := time.Parse("15:04:05", f[0])
		if err1 != nil || err2 != nil || err3 != nil || l != fmt.Sprintf("%-10s %18s %18s", f[0], f[1], f[2]) {
			t.Fatalf("bad row %q\n%s", l, out)
		}
		rows++
		migrations += n
		ms += d
	}
	return rows, migrations, ms
}

// TestNumamoveIdle: the header and a row a second, on any machine.
func TestNumamoveIdle(t *testing.T) {
	p := start(t, "numamove")
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(p.Stdout(), "\n") < 3 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if rows, _, _ := numaRows(t, p.stop()); rows < 2 {
		t.Errorf("want a row a second, got %d", rows)
	}
}

// setSysctl writes value to a kernel knob for the test and restores the old value afterwards.
func setSysctl(t *testing.T, path, value string) bool {
	t.Helper()
	old, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
		return false
	}
	t.Cleanup(func() { os.WriteFile(path, old, 0o644) })
	return true
}

// TestNumamove: pages placed on node 1 and then used from a CPU of node 0 are migrated by NUMA
// balancing; numamove counts them, in text and in JSON. It needs two NUMA nodes, which only
// the qemu guests have (-numa node,nodeid=0 -numa node,nodeid=1).
func TestNumamove(t *testing.T) {
	if _, err := os.Stat("/sys/devices/system/node/node1"); err != nil {
		t.Skip("needs NUMA nodes 0 and 1 (node1 absent): runs in the qemu guests, which have two")
	}
	binary(t)
	if !setSysctl(t, "/proc/sys/kernel/numa_balancing", "1") {
		t.Skip("kernel without NUMA balancing (/proc/sys/kernel/numa_balancing)")
	}
	// Scan soon and often where debugfs offers the knobs: the guest's CPUs are slow.
	knobs := "/sys/kernel/debug/sched/numa_balancing"
	setSysctl(t, filepath.Join(knobs, "scan_delay_ms"), "100")
	setSysctl(t, filepath.Join(knobs, "scan_period_min_ms"), "100")
	cpulist, err := os.ReadFile("/sys/devices/system/node/node0/cpulist")
	cpu := strings.FieldsFunc(strings.TrimSpace(string(cpulist)), func(r rune) bool { return r == ',' || r == '-' })
	if err != nil || len(cpu) == 0 {
		t.Skipf("node 0 has no CPU (%q): the workload must run on node 0", cpulist)
	}

	text := start(t, "numamove")
	js := start(t, "numamove", "--json")
	comm := workloadName("bpfu-numa")
	cmd := exec.Command(cProgram(t, "numahog"), comm, cpu[0], "256", "60000")
	w := startWorkload(t, cmd, comm)
	if line := w.line(); line != fmt.Sprintf("ready %d", w.pid) {
		t.Fatalf("numahog said %q", line)
	}
	w.stdin.Write([]byte("go\n"))
	var placed, migrated int
	if _, err := fmt.Sscanf(w.line(), "placed %d", &placed); err != nil || placed == 0 {
		t.Fatalf("numahog placed no page on node 1 (%v)", err)
	}
	line := w.line()
	if _, err := fmt.Sscanf(line, "migrated %d", &migrated); err != nil {
		t.Fatalf("numahog said %q", line)
	}
	if migrated == 0 {
		t.Skipf("NUMA balancing migrated none of %d misplaced pages within 60 s: nothing for numamove to see", placed)
	}
	t.Logf("%d pages placed on node 1, %d migrated to node 0", placed, migrated)
	// The last second's migrations are counted in the row printed at Ctrl-C.
	rows, migrations, _ := numaRows(t, text.stop())
	if migrations < uint64(migrated) {
		t.Errorf("numamove counted %d migrations in %d rows, the workload saw %d pages move", migrations, rows, migrated)
	}
	var jsMigrations float64
	for _, r := range ofType(jsonLines(t, "numamove", js.stop()), "table") {
		if r["migrations"] == nil || r["migrations_ms"] == nil || r["migrations_ns"] == nil {
			t.Errorf("bad row %v", r)
		}
		jsMigrations += r.num("migrations")
	}
	if jsMigrations < float64(migrated) {
		t.Errorf("numamove --json counted %.0f migrations, the workload saw %d pages move", jsMigrations, migrated)
	}
}

func TestNumamoveBadInput(t *testing.T) {
	badInput(t, "numamove", "unrecognized positional argument", "1")
	badInput(t, "numamove", "flag provided but not defined", "-p")
}
