package perfevent

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfutils/bpfutils/pkg/cpus"
)

func TestName(t *testing.T) {
	tests := []struct {
		typ    uint32
		config uint64
		want   string
	}{
		{unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_CACHE_MISSES, "hardware cache-misses"},
		{unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_CPU_CLOCK, "software cpu-clock"},
		{unix.PERF_TYPE_HARDWARE, 99, "hardware event 99"},
		{7, 3, "event 7:3"},
	}
	for _, tt := range tests {
		if got := Name(tt.typ, tt.config); got != tt.want {
			t.Errorf("Name(%d, %d) = %q, want %q", tt.typ, tt.config, got, tt.want)
		}
	}
}

func TestSamplingChecked(t *testing.T) {
	for _, s := range []Sampling{{}, {Freq: 1, Period: 1}} {
		if _, err := OpenPerCPU(unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_CPU_CLOCK, s); err == nil {
			t.Errorf("OpenPerCPU with %+v succeeded", s)
		}
	}
}

// TestOpenSoftware opens a real timer event on every online CPU, as the sampling tools do.
func TestOpenSoftware(t *testing.T) {
	set, err := OpenPerCPU(unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_CPU_CLOCK, Hz(99))
	if err != nil {
		t.Skipf("cannot open perf events here: %v", err)
	}
	defer set.Close()
	online, err := cpus.Online()
	if err != nil {
		t.Fatal(err)
	}
	if len(set.CPUs) != len(online) {
		t.Errorf("opened on CPUs %v, online %v", set.CPUs, online)
	}
	if set.Event != "software cpu-clock" {
		t.Errorf("event name %q", set.Event)
	}
}
