package capable

import (
	"testing"

	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// TestSpecPairs: the kprobe and its kretprobe are two probes that must choose alike; they can
// only if both list the same hooks, kprobe for kretprobe, in the same order.
func TestSpecPairs(t *testing.T) {
	s, err := Tool.Spec([]string{"-K", "--perf-max-stack-depth", "10", "-p", "7", "-u", "cgroup"})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Probes) != 2 {
		t.Fatalf("probes %+v", s.Probes)
	}
	a, b := s.Probes[0].Hooks, s.Probes[1].Hooks
	if len(a) != len(b) {
		t.Fatalf("hooks %+v and %+v", a, b)
	}
	for i := range a {
		switch {
		case a[i].Kind == tracer.Kretprobe:
			if b[i].Kind != tracer.Kprobe || b[i].Target != a[i].Target {
				t.Errorf("hook %d: %v pairs with %v", i, a[i], b[i])
			}
		case a[i] != b[i]:
			t.Errorf("hook %d: %v and %v differ", i, a[i], b[i])
		}
	}
	r := s.Rodata.(rodata)
	if r.Pid != 7 || r.Unique != uniqueCgroup || !r.KernelStack || r.UserStack || r.StackBytes != 80 || r.MyPid == 0 {
		t.Errorf("rodata %+v", r)
	}
}
