// Package runqlat summarizes run-queue latency: how long runnable tasks wait for a CPU.
package runqlat

import (
	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// histogram mirrors struct runqlat_hist in bpf/runqlat.h.
type histogram struct {
	Slots [26]uint32
	Comm  [16]byte
}

// Grouping of the histograms, as bpf/runqlat.bpf.c numbers them.
const (
	byNone int32 = iota
	byProcess
	byThread
	byPidns
)

// config is runqlat's command line.
type config struct {
	Timestamp, Millis, PerPidns, PerProcess, PerThread bool
	Pid                                                uint32
	Cgroup                                             string
	Every                                              app.Every
}

// rodata mirrors runqlat's const volatile globals.
type rodata struct {
	GroupBy int32  `bpf:"group_by"`
	Millis  bool   `bpf:"in_ms"`
	Tgid    uint32 `bpf:"target_tgid"`
}

var Tool = app.Define(app.Def[config]{
	Name:      "runqlat",
	Usage:     "Summarize run queue (scheduler) latency as a histogram",
	ArgsUsage: "[interval] [count]",
	Object:    "runqlat",
	Layouts:   map[string]any{"runqlat_hist": histogram{}},
	Examples: `
    runqlat         # summarize run queue latency as a histogram
    runqlat 1 10    # print 1 second summaries, 10 times
    runqlat -mT 1   # 1s summaries, milliseconds, and timestamps
    runqlat -P      # show each PID separately
    runqlat -p 185  # trace PID 185 only
    runqlat -c CG   # Trace process under cgroupsPath CG`,
	Flags: func(c *config) []cli.Flag {
		return []cli.Flag{
			app.Bool(&c.Timestamp, "timestamp T", "include timestamp on output"),
			app.Bool(&c.Millis, "milliseconds m", "millisecond histogram"),
			app.Bool(&c.PerPidns, "pidnss", "print a histogram per PID namespace"),
			app.Bool(&c.PerProcess, "pids P", "print a histogram per process ID"),
			app.Bool(&c.PerThread, "tids L", "print a histogram per thread ID"),
			app.PID(&c.Pid, "pid p", "trace this PID only", "pid"),
			app.Cgroup(&c.Cgroup, "cgroup c", "trace process in cgroup path"),
		}
	},
	Args: func(c *config) []app.Arg { return app.IntervalArgs(&c.Every) },
	Check: func(c *config) error {
		n := 0
		for _, on := range []bool{c.PerPidns, c.PerProcess, c.PerThread} {
			if on {
				n++
			}
		}
		if n > 1 {
			return app.Usagef("pidnss, pids, tids can't be used together")
		}
		return nil
	},
	Spec: func(c *config) tracer.Spec {
		by, _ := grouping(c)
		return tracer.Spec{
			Rodata: rodata{GroupBy: by, Millis: c.Millis, Tgid: c.Pid},
			Probes: []tracer.Probe{
				tracer.BTFTracepoint("task wakeups", "wakeup", "sched:sched_wakeup"),
				tracer.BTFTracepoint("new task wakeups", "wakeup_new", "sched:sched_wakeup_new"),
				tracer.BTFTracepoint("context switches", "switch", "sched:sched_switch"),
			},
			Cgroup: c.Cgroup,
		}
	},
	Outputs: func(c *config) []render.Describer {
		_, key := grouping(c)
		return []render.Describer{key.Histograms(app.Units(c.Millis))}
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
	case c.PerPidns:
		return byPidns, "pidns"
	}
	return byNone, ""
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	_, key := grouping(c)
	hists := t.Map("hists")
	return app.Report(env, c.Every, "Tracing run queue latency... Hit Ctrl-C to end.", func() error {
		env.Out.ReportStart(c.Timestamp)
		return app.TaskHistograms(env.Out, hists, key, app.Units(c.Millis),
			func(h *histogram) []uint32 { return h.Slots[:] }, func(h *histogram) []byte { return h.Comm[:] })
	})
}
