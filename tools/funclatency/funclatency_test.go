package funclatency

import (
	"testing"
	"time"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// TestEvery holds -i and -d to libbpf-tools' arithmetic: the interval shrinks to the duration,
// and the reports are the whole intervals the duration holds.
func TestEvery(t *testing.T) {
	for _, tc := range []struct {
		interval, duration int
		want               app.Every
	}{
		{0, 0, app.Every{Interval: app.Forever, Count: -1}},
		{2, 0, app.Every{Interval: 2 * time.Second, Count: -1}},
		{0, 3, app.Every{Interval: 3 * time.Second, Count: 1}},
		{2, 3, app.Every{Interval: 2 * time.Second, Count: 1}},
		{1, 2, app.Every{Interval: time.Second, Count: 2}},
		{5, 2, app.Every{Interval: 2 * time.Second, Count: 1}},
	} {
		if got := every(&config{Interval: tc.interval, Duration: tc.duration}); got != tc.want {
			t.Errorf("-i %d -d %d: %+v, want %+v", tc.interval, tc.duration, got, tc.want)
		}
	}
}

// TestSpecHooks: a kernel function prefers fentry unless -k, with returns attached before
// calls; a user function is left to the tool's uprobes.
func TestSpecHooks(t *testing.T) {
	first := func(s tracer.Spec) (tracer.Kind, tracer.Kind) {
		return s.Probes[0].Hooks[0].Kind, s.Probes[1].Hooks[0].Kind
	}
	s := spec(&config{Function: "vfs_read"})
	if r, c := first(s); r != tracer.Fexit || c != tracer.Fentry || s.Probes[0].Hooks[0].Target != "vfs_read" {
		t.Errorf("default: %+v", s.Probes)
	}
	if r, c := first(spec(&config{Function: "vfs_read", Kprobes: true})); r != tracer.Kretprobe || c != tracer.Kprobe {
		t.Errorf("-k: returns via %s, calls via %s", r, c)
	}
	if s := spec(&config{Function: "c:read", Pid: 1}); len(s.Probes) != 0 || len(s.Manual) != 2 {
		t.Errorf("user function: %+v", s)
	}
}
