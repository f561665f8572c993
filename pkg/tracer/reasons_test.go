package tracer

import (
	"slices"
	"testing"
)

func TestPrivilegeFirst(t *testing.T) {
	in := []string{"kernel does not allow fentry/fexit programs", "kernel has no kprobe support (CONFIG_KPROBES)",
		"tracepoint a:b: permission denied on /sys/kernel/tracing (needs CAP_DAC_READ_SEARCH)", "no such function"}
	want := []string{in[2], in[0], in[1], in[3]}
	if got := privilegeFirst(in); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if in[0] != "kernel does not allow fentry/fexit programs" {
		t.Errorf("input reordered")
	}
}
