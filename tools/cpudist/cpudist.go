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
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/summary"
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

var Tool = app.Tool{
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
    cpudist -e           # show extension summary (average/total/count)`,
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "offcpu", Aliases: []string{"O"}, Usage: "measure off-CPU time"},
		&cli.BoolFlag{Name: "timestamp", Aliases: []string{"T"}, Usage: "include timestamp on output"},
		&cli.BoolFlag{Name: "milliseconds", Aliases: []string{"m"}, Usage: "millisecond histogram"},
		&cli.StringFlag{Name: "cgroup", Aliases: []string{"c"}, Usage: "trace process in cgroup path"},
		&cli.BoolFlag{Name: "pids", Aliases: []string{"P"}, Usage: "print a histogram per process ID"},
		&cli.BoolFlag{Name: "tids", Aliases: []string{"L"}, Usage: "print a histogram per thread ID"},
		&cli.StringFlag{Name: "pid", Aliases: []string{"p"}, Usage: "trace this PID only"},
		&cli.BoolFlag{Name: "extension", Aliases: []string{"e"}, Usage: "show extension summary (average/total/count)"},
	},
	Action: run,
}

func run(c *cli.Context) error {
	interval, count, err := app.Interval(c, 0)
	if err != nil {
		return err
	}
	groupBy, caption := byNone, ""
	switch {
	case c.Bool("pids") && c.Bool("tids"):
		return app.Usagef("pids and tids can't be used together")
	case c.Bool("pids"):
		groupBy, caption = byProcess, "pid"
	case c.Bool("tids"):
		groupBy, caption = byThread, "tid"
	}
	var tgid uint32
	if s := c.String("pid"); s != "" {
		if tgid, err = filter.PID("pid", s); err != nil {
			return app.UsageError{Err: err}
		}
	}
	pidMax, err := readPidMax()
	if err != nil {
		return err
	}
	hists := uint32(1)
	if groupBy != byNone {
		hists = pidMax
	}
	ms, offcpu, ext := c.Bool("milliseconds"), c.Bool("offcpu"), c.Bool("extension")

	t, err := app.Start(tracer.Spec{
		Object: "cpudist",
		Rodata: map[string]any{
			"group_by": groupBy, "offcpu": offcpu, "in_ms": ms, "target_tgid": tgid, "sum_up": ext,
		},
		Probes: []tracer.Probe{
			tracer.BTFTracepoint("context switches", "switch", "sched:sched_switch"),
		},
		// Idle tasks take one start entry per CPU beyond the pid range.
		MaxEntries: map[string]uint32{"since": pidMax + 1024, "hists": hists},
		Cgroup:     c.String("cgroup"),
	})
	if err != nil {
		return err
	}
	defer t.Close()

	w := app.Output
	if offcpu {
		fmt.Fprintln(w, "Tracing off-CPU time... Hit Ctrl-C to end.")
	} else {
		fmt.Fprintln(w, "Tracing on-CPU time... Hit Ctrl-C to end.")
	}
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
		if ext {
			if err := printTotal(t, units); err != nil {
				return err
			}
		}
		return w.Flush()
	})
}

// printTotal prints and resets the sum of durations, as Python cpudist's -e does.
func printTotal(t *tracer.Tracer, units string) error {
	m, key := t.Map("totals"), uint32(0)
	sum, _ := bpfmap.Lookup[total](m, &key)
	if err := bpfmap.Update(m, &key, &total{}); err != nil {
		return err
	}
	if sum.Count > 0 {
		fmt.Fprintf(app.Output, "\navg = %d %s, total: %d %s, count: %d\n\n",
			sum.Total/sum.Count, units, sum.Total, units, sum.Count)
	}
	return nil
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
