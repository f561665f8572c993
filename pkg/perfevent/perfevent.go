// Package perfevent drives BPF programs from perf events: the sampling tools (runqlen, profile,
// cpufreq) run their program on a timer on every CPU instead of on a kernel event.
package perfevent

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"unsafe"

	bpf "github.com/aquasecurity/libbpfgo"
	"golang.org/x/sys/unix"

	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// AttachCPUClock runs program prog of t freq times a second on every online CPU, through one
// software cpu-clock event per CPU in frequency mode (what libbpf-tools' sampling tools open).
// The links go to t, so t.Close detaches them and closes the events. prog must be listed in the
// tracer.Spec's Manual programs.
func AttachCPUClock(t *tracer.Tracer, prog string, freq int) error {
	return AttachSampler(t, prog, Sampling{Freq: freq})
}

// Sampling says how often a cpu-clock event fires, and on which CPUs.
type Sampling struct {
	Freq   int    // samples per second (frequency mode), or
	Period uint64 // one sample every Period nanoseconds of CPU time (Freq 0)
	CPUs   []int  // nil: every online CPU
}

// AttachSampler runs program prog of t on the cpu-clock events s describes, one per sampled
// CPU; like AttachCPUClock, the links go to t.
func AttachSampler(t *tracer.Tracer, prog string, s Sampling) error {
	p := t.Program(prog)
	ncpu, err := bpf.NumPossibleCPUs()
	if err != nil {
		return err
	}
	attr := unix.PerfEventAttr{
		Type:   unix.PERF_TYPE_SOFTWARE,
		Config: unix.PERF_COUNT_SW_CPU_CLOCK,
		Size:   uint32(unsafe.Sizeof(unix.PerfEventAttr{})),
		Sample: s.Period,
	}
	if s.Freq > 0 {
		attr.Sample, attr.Bits = uint64(s.Freq), unix.PerfBitFreq
	}
	cpus, chosen := s.CPUs, s.CPUs != nil
	if !chosen {
		for cpu := 0; cpu < ncpu; cpu++ {
			cpus = append(cpus, cpu)
		}
	}
	attached := 0
	for _, cpu := range cpus {
		if cpu < 0 || cpu >= ncpu {
			return fmt.Errorf("invalid CPU %d: this machine has CPUs 0 to %d", cpu, ncpu-1)
		}
		fd, err := unix.PerfEventOpen(&attr, -1, cpu, -1, unix.PERF_FLAG_FD_CLOEXEC)
		if errors.Is(err, unix.ENODEV) {
			if chosen {
				return fmt.Errorf("cannot sample CPU %d: it is offline", cpu)
			}
			continue // offline CPU
		}
		if err != nil {
			return openError(err, s.Freq)
		}
		link, err := p.AttachPerfEvent(fd)
		if err != nil {
			unix.Close(fd)
			return fmt.Errorf("attach %s to the cpu-clock event of CPU %d: %w", prog, cpu, err)
		}
		t.AddLink(link) // the link owns fd from now on
		attached++
	}
	if attached == 0 {
		return errors.New("no online CPU to sample")
	}
	return nil
}

func openError(err error, freq int) error {
	switch {
	case errors.Is(err, unix.EINVAL) && freq == 0:
		return fmt.Errorf("cannot open a cpu-clock perf event with this sample period: %v", err)
	case errors.Is(err, unix.EINVAL):
		if limit := MaxSampleRate(); limit > 0 && freq > limit {
			return fmt.Errorf("cannot sample at %d Hz: above the kernel's limit of %d Hz (kernel.perf_event_max_sample_rate)", freq, limit)
		}
		return fmt.Errorf("cannot open a cpu-clock perf event at %d Hz: %v", freq, err)
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.ENOSYS):
		return errors.New("cannot sample: kernel has no software cpu-clock perf events (CONFIG_PERF_EVENTS)")
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		return errors.New("cannot sample: perf events not permitted (needs CAP_PERFMON, see kernel.perf_event_paranoid)")
	}
	return fmt.Errorf("cannot open a cpu-clock perf event: %v", err)
}

// MaxSampleRate returns kernel.perf_event_max_sample_rate, or 0 when it cannot be read.
func MaxSampleRate() int {
	b, err := os.ReadFile("/proc/sys/kernel/perf_event_max_sample_rate")
	if err != nil {
		return 0
	}
	var n int
	fmt.Sscan(strings.TrimSpace(string(b)), &n)
	return n
}
