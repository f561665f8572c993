package tests

import (
	"fmt"
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
	// The kernel frees a tracing program after an RCU grace period, not at the last close.
	var left []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		left = left[:0]
		for id := range bpfProgIDs(t) {
			if name := progName(id); !before[id] && ownProgram("biolatency", name) {
				left = append(left, fmt.Sprintf("%d (%s)", id, name))
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(left) > 0 {
		t.Errorf("BPF programs still loaded 5 s after SIGTERM: %v", left)
	}
}
