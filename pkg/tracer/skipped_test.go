package tracer

import (
	"os"
	"testing"
)

func TestRecursionMissesOfOtherFiles(t *testing.T) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	if n := recursionMisses(int(f.Fd())); n != 0 {
		t.Fatalf("a file that is no BPF program has %d skipped runs", n)
	}
	if n := recursionMisses(-1); n != 0 {
		t.Fatalf("no fd: %d", n)
	}
}
