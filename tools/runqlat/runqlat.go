// Package runqlat summarizes run-queue latency: how long runnable tasks wait for a CPU.
package runqlat

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/summary"
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

var Tool = app.Tool{
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
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "timestamp", Aliases: []string{"T"}, Usage: "include timestamp on output"},
		&cli.BoolFlag{Name: "milliseconds", Aliases: []string{"m"}, Usage: "millisecond histogram"},
		&cli.BoolFlag{Name: "pidnss", Usage: "print a histogram per PID namespace"},
		&cli.BoolFlag{Name: "pids", Aliases: []string{"P"}, Usage: "print a histogram per process ID"},
		&cli.BoolFlag{Name: "tids", Aliases: []string{"L"}, Usage: "print a histogram per thread ID"},
		&cli.StringFlag{Name: "pid", Aliases: []string{"p"}, Usage: "trace this PID only"},
		&cli.StringFlag{Name: "cgroup", Aliases: []string{"c"}, Usage: "trace process in cgroup path"},
	},
	Action: run,
}

func run(c *cli.Context) error {
	interval, count, err := app.Interval(c, 0)
	if err != nil {
		return err
	}
	groupBy, caption := byNone, ""
	for _, g := range []struct {
		flag, caption string
		by            int32
	}{{"pids", "pid", byProcess}, {"tids", "tid", byThread}, {"pidnss", "pidns", byPidns}} {
		if !c.Bool(g.flag) {
			continue
		}
		if groupBy != byNone {
			return app.Usagef("pidnss, pids, tids can't be used together")
		}
		groupBy, caption = g.by, g.caption
	}
	var tgid uint32
	if s := c.String("pid"); s != "" {
		if tgid, err = filter.PID("pid", s); err != nil {
			return app.UsageError{Err: err}
		}
	}
	ms := c.Bool("milliseconds")

	t, err := app.Start(tracer.Spec{
		Object: "runqlat",
		Rodata: map[string]any{"group_by": groupBy, "in_ms": ms, "target_tgid": tgid},
		Probes: []tracer.Probe{
			tracer.BTFTracepoint("task wakeups", "wakeup", "sched:sched_wakeup"),
			tracer.BTFTracepoint("new task wakeups", "wakeup_new", "sched:sched_wakeup_new"),
			tracer.BTFTracepoint("context switches", "switch", "sched:sched_switch"),
		},
		Cgroup: c.String("cgroup"),
	})
	if err != nil {
		return err
	}
	defer t.Close()

	w := app.Output
	fmt.Fprintln(w, "Tracing run queue latency... Hit Ctrl-C to end.")
	w.Flush()
	units := "usecs"
	if ms {
		units = "msecs"
	}
	timestamp := c.Bool("timestamp")
	return app.Report(c.Context, interval, count, func() error {
		summary.Start(w, timestamp)
		err := summary.Log2PerTask(w, t.Map("hists"), units, caption,
			func(h *histogram) []uint32 { return h.Slots[:] }, func(h *histogram) []byte { return h.Comm[:] })
		if err != nil {
			return err
		}
		return w.Flush()
	})
}
