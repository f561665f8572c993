// Package cpudist summarizes how long tasks run on a CPU at a time, or with -O how long they
// stay off it.
package cpudist

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// histogram mirrors struct cpudist_hist in bpf/cpudist.h.
type histogram struct {
	Slots [36]uint32
	Comm  [16]byte
}

// total mirrors struct cpudist_total in bpf/cpudist.h.
type total struct {
	Total uint64
	Count uint64
}

// Grouping of the histograms, as bpf/cpudist.bpf.c numbers them.
const (
	byNone int32 = iota
	byProcess
	byThread
)

// config is cpudist's command line.
type config struct {
	OffCPU, Timestamp, Millis, PerProcess, PerThread, Extension, IncludeIdle bool
	Pid                                                                      uint32
	Cgroup                                                                   string
	Every                                                                    app.Every
	// PidMax is the kernel's pid_max, read once the command line is parsed: it sizes the maps.
	PidMax uint32
}

// rodata mirrors cpudist's const volatile globals.
type rodata struct {
	GroupBy int32  `bpf:"group_by"`
	OffCPU  bool   `bpf:"offcpu"`
	Millis  bool   `bpf:"in_ms"`
	Tgid    uint32 `bpf:"target_tgid"`
	SumUp   bool   `bpf:"sum_up"`
}

var Tool = app.Define(app.Def[config]{
	Name:      "cpudist",
	Usage:     "Summarize on-CPU time per task as a histogram",
	ArgsUsage: "[interval] [count]",
	Object:    "cpudist",
	Layouts:   map[string]any{"cpudist_hist": histogram{}, "cpudist_total": total{}},
	Examples: `
    cpudist              # summarize on-CPU time as a histogram
    cpudist -O           # summarize off-CPU time as a histogram
    cpudist -c CG        # Trace process under cgroupsPath CG
    cpudist 1 10         # print 1 second summaries, 10 times
    cpudist -mT 1        # 1s summaries, milliseconds, and timestamps
    cpudist -P           # show each PID separately
    cpudist -p 185       # trace PID 185 only
    cpudist -I           # include CPU idle time
    cpudist -e           # show extension summary (average/total/count)`,
	Flags: func(c *config) []cli.Flag {
		return []cli.Flag{
			app.Bool(&c.OffCPU, "offcpu O", "measure off-CPU time"),
			app.Bool(&c.Timestamp, "timestamp T", "include timestamp on output"),
			app.Bool(&c.Millis, "milliseconds m", "millisecond histogram"),
			app.Cgroup(&c.Cgroup, "cgroup c", "trace process in cgroup path"),
			// As in libbpf-tools, -P wins over -L.
			app.Bool(&c.PerProcess, "pids P", "print a histogram per process ID"),
			app.Bool(&c.PerThread, "tids L", "print a histogram per thread ID"),
			app.PID(&c.Pid, "pid p", "trace this PID only", "pid"),
			// BCC's Python cpudist leaves the idle tasks out unless -I; libbpf-tools, whose
			// output this is, always counts them: -I is accepted and changes nothing.
			app.Bool(&c.IncludeIdle, "include-idle I", "include CPU idle time (always, as libbpf-tools does)"),
			app.Bool(&c.Extension, "extension e", "show extension summary (average/total/count)"),
		}
	},
	Args: func(c *config) []app.Arg { return app.IntervalArgs(&c.Every) },
	Check: func(c *config) (err error) {
		c.PidMax, err = readPidMax()
		return err
	},
	Spec: spec,
	Outputs: func(c *config) []render.Describer {
		_, key := grouping(c)
		return []render.Describer{key.Histograms(app.Units(c.Millis)), render.SumRecords()}
	},
	Run: run,
})

// grouping is how the histograms are keyed, as the BPF program numbers it and as captions
// name it.
func grouping(c *config) (int32, render.TaskKey) {
	switch {
	case c.PerProcess:
		return byProcess, "pid"
	case c.PerThread:
		return byThread, "tid"
	}
	return byNone, ""
}

func spec(c *config) tracer.Spec {
	by, _ := grouping(c)
	hists := uint32(1)
	if by != byNone {
		hists = c.PidMax
	}
	return tracer.Spec{
		Rodata: rodata{
			GroupBy: by, OffCPU: c.OffCPU, Millis: c.Millis, Tgid: c.Pid, SumUp: c.Extension,
		},
		Probes: []tracer.Probe{
			tracer.BTFTracepoint("context switches", "switch", "sched:sched_switch"),
		},
		// Idle tasks take one start entry per CPU beyond the pid range.
		MaxEntries: map[string]uint32{"since": c.PidMax + 1024, "hists": hists},
		Cgroup:     c.Cgroup,
	}
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	_, key := grouping(c)
	units := app.Units(c.Millis)
	banner := "Tracing on-CPU time... Hit Ctrl-C to end."
	if c.OffCPU {
		banner = "Tracing off-CPU time... Hit Ctrl-C to end."
	}
	hists := t.Map("hists")
	return app.Report(env, c.Every, banner, func() error {
		env.Out.ReportStart(c.Timestamp)
		err := app.TaskHistograms(env.Out, hists, key, units,
			func(h *histogram) []uint32 { return h.Slots[:] }, func(h *histogram) []byte { return h.Comm[:] })
		if err != nil || !c.Extension {
			return err
		}
		// Python cpudist's -e: the sum of the durations, reset each interval.
		return app.Summary(env.Out, t.Map("totals"), units)
	})
}

func readPidMax() (uint32, error) {
	b, err := os.ReadFile("/proc/sys/kernel/pid_max")
	if err != nil {
		return 0, fmt.Errorf("read pid_max: %w", err)
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("bad /proc/sys/kernel/pid_max %q", strings.TrimSpace(string(b)))
	}
	return uint32(n), nil
}
