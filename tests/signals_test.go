package tests

import (
	"syscall"
	"testing"
	"time"
)

// SIGTERM ends a tool as Ctrl-C does: the summary of what it traced is printed, it exits 0, and
// none of its BPF programs stays loaded.
func TestSigtermPrintsSummary(t *testing.T) {
	const writes = 50
	disk := scratchDisk(t)
	dd := copyExecutable(t, "/bin/dd", workloadName("bpfu-term"))
	before := bpfProgIDs(t)
	p := start(t, "biolatency", "-d", disk)
	directWrite(t, dd, "4k", writes)
	p.cmd.Process.Signal(syscall.SIGTERM)
	out := p.wait(10 * time.Second)

	var total uint64
	for _, h := range parseHists(t, out) {
		total += h.Total
	}
	if total < writes {
		t.Errorf("summary after SIGTERM counts %d requests, want at least the workload's %d\n%s", total, writes, out)
	}
	if left := programsLeft(t, "biolatency", before, 5*time.Second); len(left) > 0 {
		t.Errorf("BPF programs still loaded 5 s after SIGTERM: %v", left)
	}
}
