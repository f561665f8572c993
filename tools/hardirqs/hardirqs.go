// Package hardirqs sums the time spent in hard interrupt handlers, per handler name.
package hardirqs

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/hist"
	"github.com/bpfutils/bpfutils/pkg/summary"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// key mirrors struct hardirq_key in bpf/hardirqs.h.
type key struct {
	Name [32]byte
	CPU  uint32
}

// info mirrors struct hardirq_info.
type info struct {
	Count uint64
	Total uint64
	Max   uint64
	Slots [20]uint32
}

var Tool = app.Tool{
	Name:      "hardirqs",
	Usage:     "Summarize hard irq event time as histograms.",
	ArgsUsage: "[interval] [count]",
	Object:    "hardirqs",
	Layouts:   map[string]any{"hardirq_key": key{}, "hardirq_info": info{}},
	Examples: `
    hardirqs            # sum hard irq event time
    hardirqs -d         # show hard irq event time as histograms
    hardirqs 1 10       # print 1 second summaries, 10 times
    hardirqs -c CG      # Trace process under cgroupsPath CG
    hardirqs --cpu 1    # only stat irq on cpu 1
    hardirqs -C         # display separately by CPU
    hardirqs -NT 1      # 1s summaries, nanoseconds, and timestamps`,
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "CPU", Aliases: []string{"C"}, Usage: "Display separately by CPU"},
		&cli.BoolFlag{Name: "distributed", Aliases: []string{"d", "dist"}, Usage: "Show distributions as histograms"},
		&cli.StringFlag{Name: "cgroup", Aliases: []string{"c"}, Usage: "Trace process in cgroup path"},
		&cli.StringFlag{Name: "cpu", Aliases: []string{"s"}, Usage: "Only stat irq on selected cpu"},
		&cli.BoolFlag{Name: "timestamp", Aliases: []string{"T"}, Usage: "Include timestamp on output"},
		&cli.BoolFlag{Name: "nanoseconds", Aliases: []string{"N"}, Usage: "Output in nanoseconds"},
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
	perCPU, dist, ns := c.Bool("CPU"), c.Bool("distributed"), c.Bool("nanoseconds")
	units := "usecs"
	if ns {
		units = "nsecs"
	}

	t, err := app.Start(tracer.Spec{
		Object: "hardirqs",
		Rodata: map[string]any{
			"per_cpu":  perCPU,
			"as_hist":  dist,
			"in_ns":    ns,
			"only_cpu": int32(onlyCPU),
		},
		Probes: []tracer.Probe{
			tracer.BTFTracepoint("irq handler entry", "irq_entry", "irq:irq_handler_entry"),
			tracer.BTFTracepoint("irq handler exit", "irq_exit", "irq:irq_handler_exit"),
		},
		Cgroup: c.String("cgroup"),
	})
	if err != nil {
		return err
	}
	defer t.Close()

	w := app.Output
	fmt.Fprintln(w, "Tracing hard irq event time... Hit Ctrl-C to end.")
	w.Flush()
	handlers := t.Map("handlers")
	return app.Report(c.Context, interval, count, func() error {
		summary.Start(w, c.Bool("timestamp"))
		entries, err := bpfmap.Entries[key, info](handlers, true)
		if err != nil {
			return err
		}
		slices.SortFunc(entries, func(a, b bpfmap.Entry[key, info]) int {
			return cmp.Or(cmp.Compare(name(a.Key), name(b.Key)), cmp.Compare(a.Key.CPU, b.Key.CPU))
		})
		if dist {
			for _, e := range entries {
				if perCPU {
					fmt.Fprintf(w, "cpu = %d ", e.Key.CPU)
				}
				fmt.Fprintf(w, "hardirq = %s\n", name(e.Key))
				hist.Log2(w, e.Value.Slots[:], units)
			}
			return w.Flush()
		}
		fmt.Fprintf(w, "%-33s %11s %6s%5s %4s%5s", "HARDIRQ", "TOTAL_count", "TOTAL_", units, "MAX_", units)
		if perCPU {
			fmt.Fprintf(w, " %3s", "CPU")
		}
		fmt.Fprintln(w)
		for _, e := range entries {
			fmt.Fprintf(w, "%-33s %11d %11d %9d", name(e.Key), e.Value.Count, e.Value.Total, e.Value.Max)
			if perCPU {
				fmt.Fprintf(w, " %3d", e.Key.CPU)
			}
			fmt.Fprintln(w)
		}
		return w.Flush()
	})
}

func name(k key) string { return filter.CommString(k.Name[:]) }
