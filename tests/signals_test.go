package tests

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// SIGTERM ends a tool as Ctrl-C does: the summary of what it traced is printed, it exits 0, and
// none of its BPF programs stays loaded.
func TestSigtermPrintsSummary(t *testing.T) { testSignalPrintsSummary(t, syscall.SIGTERM) }

// SIGQUIT (Ctrl-\) ends a tool as SIGTERM does, not with the Go runtime's goroutine dump.
func TestSigquitPrintsSummary(t *testing.T) { testSignalPrintsSummary(t, syscall.SIGQUIT) }

func testSignalPrintsSummary(t *testing.T, sig syscall.Signal) {
	const writes = 50
	disk := scratchDisk(t)
	dd := copyExecutable(t, "/bin/dd", workloadName("bpfu-term"))
	before := bpfProgIDs(t)
	p := start(t, "biolatency", "-d", disk)
	directWrite(t, dd, "4k", writes)
	p.cmd.Process.Signal(sig)
	out := p.wait(10 * time.Second)
	if strings.Contains(p.Stderr(), "goroutine") {
		t.Errorf("%v printed a goroutine dump:\n%s", sig, p.Stderr())
	}

	var total uint64
	for _, h := range parseHists(t, out) {
		total += h.Total
	}
	if total < writes {
		t.Errorf("summary after %v counts %d requests, want at least the workload's %d\n%s", sig, total, writes, out)
	}
	if left := programsLeft(t, "biolatency", before, 5*time.Second); len(left) > 0 {
		t.Errorf("BPF programs still loaded 5 s after %v: %v", sig, left)
	}
}
