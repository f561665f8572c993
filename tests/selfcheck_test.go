package tests

import "testing"

// TestLeakCheckSeesRunningTool proves that the leftover check of badInput can fail: while a
// tool runs, its programs are visible under their names.
func TestLeakCheckSeesRunningTool(t *testing.T) {
	p := start(t, "execsnoop")
	found := 0
	for id := range bpfProgIDs(t) {
		if ownProgram("execsnoop", progName(id)) {
			found++
		}
	}
	p.stop()
	// execve's entry and exit at least (execveat and the new image's hook may add three).
	if found < 2 {
		t.Fatalf("found %d execsnoop programs loaded while it runs, want 2 or more", found)
	}
}
