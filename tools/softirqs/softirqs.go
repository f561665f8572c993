// Package softirqs sums the time spent in soft interrupt handlers, per vector.
package softirqs

import (
	"fmt"

	bpf "github.com/aquasecurity/libbpfgo"
	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/hist"
	"github.com/bpfutils/bpfutils/pkg/summary"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

const slots = 20

// stat mirrors struct softirq_stat in bpf/softirqs.h.
type stat struct {
	Count uint64
	Time  uint64
	Slots [slots]uint32
}

// Vectors names the softirq vectors in the kernel's order (NR_SOFTIRQS of them).
var Vectors = []string{"hi", "timer", "net_tx", "net_rx", "block", "irq_poll", "tasklet", "sched", "hrtimer", "rcu"}

var Tool = app.Tool{
	Name:      "softirqs",
	Usage:     "Summarize soft irq event time as histograms.",
	ArgsUsage: "[interval] [count]",
	Object:    "softirqs",
	Layouts:   map[string]any{"softirq_stat": stat{}},
	Examples: `
    softirqs            # sum soft irq event time
    softirqs -d         # show soft irq event time as histograms
    softirqs -c 1       # show soft irq event time on cpu 1
    softirqs 1 10       # print 1 second summaries, 10 times
    softirqs -NT 1      # 1s summaries, nanoseconds, and timestamps`,
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "distributed", Aliases: []string{"d", "dist"}, Usage: "Show distributions as histograms"},
		&cli.BoolFlag{Name: "timestamp", Aliases: []string{"T"}, Usage: "Include timestamp on output"},
		&cli.BoolFlag{Name: "nanoseconds", Aliases: []string{"N"}, Usage: "Output in nanoseconds"},
		&cli.BoolFlag{Name: "count", Aliases: []string{"C", "events"}, Usage: "Show event counts with timing"},
		&cli.StringFlag{Name: "cpu", Aliases: []string{"c"}, Usage: "Trace this cpu only"},
	},
	Action: run,
}

func run(c *cli.Context) error {
	interval, count, err := app.Interval(c, 0)
	if err != nil {
		return err
	}
	onlyCPU, err := app.CPU(c, "cpu")
	if err != nil {
		return err
	}
	dist, ns, withCount := c.Bool("distributed"), c.Bool("nanoseconds"), c.Bool("count")
	units := "usecs"
	if ns {
		units = "nsecs"
	}

	t, err := app.Start(tracer.Spec{
		Object: "softirqs",
		Rodata: map[string]any{"as_hist": dist, "in_ns": ns, "only_cpu": int32(onlyCPU)},
		Probes: []tracer.Probe{
			tracer.BTFTracepoint("softirq entry", "softirq_entry", "irq:softirq_entry"),
			tracer.BTFTracepoint("softirq exit", "softirq_exit", "irq:softirq_exit"),
		},
	})
	if err != nil {
		return err
	}
	defer t.Close()

	w := app.Output
	fmt.Fprintln(w, "Tracing soft irq event time... Hit Ctrl-C to end.")
	w.Flush()
	counters := &totals{m: t.Map("softirq_stats")}
	return app.Report(c.Context, interval, count, func() error {
		summary.Start(w, c.Bool("timestamp"))
		delta, err := counters.since()
		if err != nil {
			return err
		}
		if dist {
			for vec, d := range delta {
				if d.Count == 0 {
					continue
				}
				fmt.Fprintf(w, "softirq = %s\n", Vectors[vec])
				hist.Log2(w, d.Slots[:], units)
				fmt.Fprintln(w)
			}
			return w.Flush()
		}
		header := ""
		if withCount {
			header = "TOTAL_count"
		}
		fmt.Fprintf(w, "%-16s %-6s%-5s  %-11s\n", "SOFTIRQ", "TOTAL_", units, header)
		for vec, d := range delta {
			if d.Count == 0 {
				continue
			}
			fmt.Fprintf(w, "%-16s %11d", Vectors[vec], d.Time)
			if withCount {
				fmt.Fprintf(w, "  %11d", d.Count)
			}
			fmt.Fprintln(w)
		}
		return w.Flush()
	})
}

// sum is one vector's change over an interval, all CPUs together.
type sum struct {
	Count, Time uint64
	Slots       [slots]uint64
}

// totals turns the ever-growing per-CPU counters into per-interval sums. Nothing is reset in
// the kernel, so no event is lost between reading and clearing.
type totals struct {
	m    *bpf.BPFMap
	prev [][]stat // [vector][cpu]
}

func (tt *totals) since() ([]sum, error) {
	cur := make([][]stat, len(Vectors))
	for vec := range Vectors {
		key := uint32(vec)
		var err error
		if cur[vec], err = bpfmap.PerCPU[stat](tt.m, &key); err != nil {
			return nil, err
		}
	}
	out := change(tt.prev, cur)
	tt.prev = cur
	return out, nil
}

// change adds up, over CPUs, how far each vector's counters moved from prev to cur. Unsigned
// subtraction keeps a wrapped 32-bit bucket right.
func change(prev, cur [][]stat) []sum {
	out := make([]sum, len(cur))
	for vec, cpus := range cur {
		for cpu, s := range cpus {
			var p stat
			if vec < len(prev) && cpu < len(prev[vec]) {
				p = prev[vec][cpu]
			}
			out[vec].Count += s.Count - p.Count
			out[vec].Time += s.Time - p.Time
			for i := range s.Slots {
				out[vec].Slots[i] += uint64(s.Slots[i] - p.Slots[i])
			}
		}
	}
	return out
}
