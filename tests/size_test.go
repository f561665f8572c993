package tests

import (
	"os"
	"testing"

	"github.com/bpfutils/bpfutils/tools"
)

// The binary's size budget. The kernel maps the whole binary into every tool's memory, so each
// MiB here is a MiB of RSS for every tool (issue: memory). 58 tools must fit in 12 MiB: the
// 18 of today in 7.5 MiB, and each further tool in 110 KiB (its Go code, declarations and
// compressed BPF object). Raising a figure is a deliberate edit, with its reason beside it.
const (
	budgetTools    = 18
	budgetBytes    = 7.5 * (1 << 20)
	budgetPerTool  = 110 << 10
	budgetAllTools = 12 << 20 // libbpf-tools' 58
)

func TestBinarySizeBudget(t *testing.T) {
	st, err := os.Stat(binary(t))
	if err != nil {
		t.Fatal(err)
	}
	n := len(tools.All)
	allowed := int64(budgetBytes) + int64(n-budgetTools)*budgetPerTool
	t.Logf("binary %d bytes (%.2f MiB) for %d tools; budget %.2f MiB", st.Size(), float64(st.Size())/(1<<20), n, float64(allowed)/(1<<20))
	if st.Size() > allowed {
		t.Errorf("binary is %d bytes, over its budget of %d for %d tools (tests/size_test.go)", st.Size(), allowed, n)
	}
	if full := int64(budgetBytes) + (58-budgetTools)*budgetPerTool; full > budgetAllTools {
		t.Errorf("the budget allows %.2f MiB at 58 tools, over %d MiB", float64(full)/(1<<20), budgetAllTools>>20)
	}
}
