// Package perfevent opens one perf event per online CPU and runs a BPF program on each of its
// samples: the timer-driven tools (cpufreq, runqlen, profile) and the hardware counter tools
// (llcstat).
package perfevent

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/bpfutils/bpfutils/pkg/cpus"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// Sampling says when an event runs its program: Freq times a second (the kernel adjusts the
// period to get there), or once every Period occurrences. Exactly one of them is set. CPUs
// names the CPUs to sample (profile -C); nil means every online CPU.
type Sampling struct {
	Freq   int
	Period uint64
	CPUs   []int
}

// Hz samples freq times a second.
func Hz(freq int) Sampling { return Sampling{Freq: freq} }

// Every samples once per period occurrences of the event.
func Every(period uint64) Sampling { return Sampling{Period: period} }

// ErrUnsupported matches (errors.Is) an OpenPerCPU error that means this machine cannot count
// the event at all: no PMU for hardware events, or an event the PMU does not know.
var ErrUnsupported = errors.New("event not supported on this machine")

// Error is a failed perf_event_open.
type Error struct {
	Event string // e.g. "hardware cache-misses"
	CPU   int
	Errno syscall.Errno
}

func (e *Error) Error() string {
	return fmt.Sprintf("perf_event_open %s on CPU %d: %v", e.Event, e.CPU, e.Errno)
}

func (e *Error) Unwrap() error { return e.Errno }

func (e *Error) Is(target error) bool {
	return target == ErrUnsupported && (e.Errno == unix.ENOENT || e.Errno == unix.EOPNOTSUPP)
}

// Set is one event opened on every online CPU.
type Set struct {
	Event string
	CPUs  []int
	fds   []int // -1 once a link owns the fd
}

// OpenPerCPU opens the event (PERF_TYPE_*, and its PERF_COUNT_* config) on each online CPU
// (or on s.CPUs), system-wide (all tasks). A CPU that goes offline meanwhile is skipped, as
// libbpf-tools does, unless the user chose it.
func OpenPerCPU(typ uint32, config uint64, s Sampling) (*Set, error) {
	if (s.Freq == 0) == (s.Period == 0) {
		return nil, fmt.Errorf("perf event needs either a frequency or a period")
	}
	online, chosen := s.CPUs, s.CPUs != nil
	if !chosen {
		var err error
		if online, err = cpus.Online(); err != nil {
			return nil, err
		}
	}
	attr := unix.PerfEventAttr{
		Type:   typ,
		Size:   uint32(unsafe.Sizeof(unix.PerfEventAttr{})),
		Config: config,
		Sample: s.Period,
	}
	if s.Freq != 0 {
		attr.Sample = uint64(s.Freq)
		attr.Bits |= unix.PerfBitFreq
	}
	set := &Set{Event: Name(typ, config)}
	for _, cpu := range online {
		fd, err := unix.PerfEventOpen(&attr, -1, cpu, -1, unix.PERF_FLAG_FD_CLOEXEC)
		if errors.Is(err, unix.ENODEV) && !chosen {
			continue
		}
		if err != nil {
			set.Close()
			errno, _ := err.(syscall.Errno)
			return nil, &Error{Event: set.Event, CPU: cpu, Errno: errno}
		}
		set.CPUs = append(set.CPUs, cpu)
		set.fds = append(set.fds, fd)
	}
	if len(set.fds) == 0 {
		return nil, fmt.Errorf("perf_event_open %s: no online CPU", set.Event)
	}
	return set, nil
}

// AttachTo runs the tracer's program prog (SEC("perf_event"), listed in Spec.Manual) on every
// sample of every CPU. The tracer then owns the events: closing it detaches and closes them.
func (s *Set) AttachTo(t *tracer.Tracer, prog string) error {
	p := t.Program(prog)
	for i, fd := range s.fds {
		if fd < 0 {
			continue
		}
		link, err := p.AttachPerfEvent(fd)
		if err != nil {
			return fmt.Errorf("attach %s to %s on CPU %d: %w", prog, s.Event, s.CPUs[i], errors.Unwrap(err))
		}
		// libbpf closes the event's fd when the link is destroyed.
		s.fds[i] = -1
		t.AddLink(link)
	}
	return nil
}

// Close closes the events no program was attached to.
func (s *Set) Close() {
	for i, fd := range s.fds {
		if fd >= 0 {
			unix.Close(fd)
			s.fds[i] = -1
		}
	}
}

var hardwareNames = map[uint64]string{
	unix.PERF_COUNT_HW_CPU_CYCLES:              "cpu-cycles",
	unix.PERF_COUNT_HW_INSTRUCTIONS:            "instructions",
	unix.PERF_COUNT_HW_CACHE_REFERENCES:        "cache-references",
	unix.PERF_COUNT_HW_CACHE_MISSES:            "cache-misses",
	unix.PERF_COUNT_HW_BRANCH_INSTRUCTIONS:     "branch-instructions",
	unix.PERF_COUNT_HW_BRANCH_MISSES:           "branch-misses",
	unix.PERF_COUNT_HW_BUS_CYCLES:              "bus-cycles",
	unix.PERF_COUNT_HW_STALLED_CYCLES_FRONTEND: "stalled-cycles-frontend",
	unix.PERF_COUNT_HW_STALLED_CYCLES_BACKEND:  "stalled-cycles-backend",
	unix.PERF_COUNT_HW_REF_CPU_CYCLES:          "ref-cycles",
}

var softwareNames = map[uint64]string{
	unix.PERF_COUNT_SW_CPU_CLOCK:        "cpu-clock",
	unix.PERF_COUNT_SW_TASK_CLOCK:       "task-clock",
	unix.PERF_COUNT_SW_PAGE_FAULTS:      "page-faults",
	unix.PERF_COUNT_SW_CONTEXT_SWITCHES: "context-switches",
	unix.PERF_COUNT_SW_CPU_MIGRATIONS:   "cpu-migrations",
	unix.PERF_COUNT_SW_PAGE_FAULTS_MIN:  "minor-faults",
	unix.PERF_COUNT_SW_PAGE_FAULTS_MAJ:  "major-faults",
}

// Name is perf's name of an event, for messages.
func Name(typ uint32, config uint64) string {
	switch typ {
	case unix.PERF_TYPE_HARDWARE:
		if n, ok := hardwareNames[config]; ok {
			return "hardware " + n
		}
		return fmt.Sprintf("hardware event %d", config)
	case unix.PERF_TYPE_SOFTWARE:
		if n, ok := softwareNames[config]; ok {
			return "software " + n
		}
		return fmt.Sprintf("software event %d", config)
	}
	return fmt.Sprintf("event %d:%d", typ, config)
}

// AttachCPUClock runs program prog of t freq times a second on every online CPU, through one
// software cpu-clock event per CPU (what libbpf-tools' sampling tools open). prog must be listed
// in the tracer.Spec's Manual programs; t.Close detaches and closes the events.
func AttachCPUClock(t *tracer.Tracer, prog string, freq int) error {
	return AttachSampler(t, prog, Hz(freq))
}

// AttachSampler is AttachCPUClock for any Sampling: a period instead of a frequency, or
// chosen CPUs.
func AttachSampler(t *tracer.Tracer, prog string, s Sampling) error {
	set, err := OpenPerCPU(unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_CPU_CLOCK, s)
	if err != nil {
		return clockError(err, s.Freq)
	}
	defer set.Close()
	return set.AttachTo(t, prog)
}

// clockError says in the user's terms why a cpu-clock event could not be opened.
func clockError(err error, freq int) error {
	switch {
	case errors.Is(err, unix.ENODEV):
		return fmt.Errorf("cannot sample: %w (the CPU is offline)", err)
	case errors.Is(err, unix.EINVAL):
		if limit := MaxSampleRate(); limit > 0 && freq > limit {
			return fmt.Errorf("cannot sample at %d Hz: above the kernel's limit of %d Hz (kernel.perf_event_max_sample_rate)", freq, limit)
		}
	case errors.Is(err, ErrUnsupported), errors.Is(err, unix.ENOSYS):
		return errors.New("cannot sample: kernel has no software cpu-clock perf events (CONFIG_PERF_EVENTS)")
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		return errors.New("cannot sample: perf events not permitted (needs CAP_PERFMON, see kernel.perf_event_paranoid)")
	}
	return fmt.Errorf("cannot sample at %d Hz: %w", freq, err)
}

// MaxSampleRate returns kernel.perf_event_max_sample_rate, or 0 when it cannot be read.
func MaxSampleRate() int {
	b, err := os.ReadFile("/proc/sys/kernel/perf_event_max_sample_rate")
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}
