// Package runqlen samples the CPU run-queue length on a timer and summarizes it as a histogram,
// or as the share of samples that found tasks waiting (occupancy).
package runqlen

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/hist"
	"github.com/bpfutils/bpfutils/pkg/perfevent"
	"github.com/bpfutils/bpfutils/pkg/summary"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

const defaultFreq = 99

// histogram mirrors struct runqlen_hist in bpf/runqlen.h.
type histogram struct {
	Slots [32]uint32
}

var Tool = app.Tool{
	Name:      "runqlen",
	Usage:     "Summarize scheduler run queue length as a histogram",
	ArgsUsage: "[interval] [count]",
	Object:    "runqlen",
	Layouts:   map[string]any{"runqlen_hist": histogram{}},
	Examples: `
    runqlen         # summarize run queue length as a histogram
    runqlen 1 10    # print 1 second summaries, 10 times
    runqlen -T 1    # 1s summaries and timestamps
    runqlen -O      # report run queue occupancy
    runqlen -C      # show each CPU separately
    runqlen -H      # show nr_running from host's rq instead of cfs_rq
    runqlen -f 199  # sample at 199HZ`,
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "cpus", Aliases: []string{"C"}, Usage: "print output for each CPU separately"},
		&cli.StringFlag{Name: "frequency", Aliases: []string{"f"}, Usage: "sample with a certain `FREQUENCY` (Hz)"},
		&cli.BoolFlag{Name: "runqocc", Aliases: []string{"O"}, Usage: "report run queue occupancy"},
		&cli.BoolFlag{Name: "timestamp", Aliases: []string{"T"}, Usage: "include timestamp on output"},
		&cli.BoolFlag{Name: "host", Aliases: []string{"H"}, Usage: "report nr_running from host's rq"},
	},
	Action: run,
}

func run(c *cli.Context) error {
	interval, count, err := app.Interval(c, 0)
	if err != nil {
		return err
	}
	freq := defaultFreq
	if s := c.String("frequency"); s != "" {
		if freq, err = filter.Positive("frequency", s); err != nil {
			return app.UsageError{Err: err}
		}
	}
	if limit := perfevent.MaxSampleRate(); limit > 0 && freq > limit {
		return app.Usagef("invalid frequency %d: above the kernel's limit of %d Hz (kernel.perf_event_max_sample_rate)", freq, limit)
	}

	t, err := app.Start(tracer.Spec{
		Object: "runqlen",
		Rodata: map[string]any{"whole_rq": c.Bool("host")},
		Manual: []string{"sample"},
	})
	if err != nil {
		return err
	}
	defer t.Close()
	if err := perfevent.AttachCPUClock(t, "sample", freq); err != nil {
		return err
	}

	w := app.Output
	fmt.Fprintln(w, "Sampling run queue length... Hit Ctrl-C to end.")
	w.Flush()
	perCPU, occupancy, timestamp := c.Bool("cpus"), c.Bool("runqocc"), c.Bool("timestamp")
	m, key := t.Map("hists"), uint32(0)
	return app.Report(c.Context, interval, count, func() error {
		summary.Start(w, timestamp)
		cpus, err := bpfmap.PerCPU[histogram](m, &key)
		if err != nil {
			return err
		}
		// Reset by writing zeros for every CPU: a per-CPU array update takes them all at once.
		if err := bpfmap.Update(m, &key, &make([]histogram, len(cpus))[0]); err != nil {
			return err
		}
		hists := cpus
		if !perCPU {
			hists = []histogram{sum(cpus)}
		}
		if occupancy {
			for i, h := range hists {
				occ := 100 * occupied(h)
				if perCPU {
					fmt.Fprintf(w, "runqocc, CPU %-3d %6.2f%%\n", i, occ)
				} else {
					fmt.Fprintf(w, "runqocc: %0.2f%%\n", occ)
				}
			}
			return w.Flush()
		}
		for i := range hists {
			if perCPU {
				fmt.Fprintf(w, "cpu = %d\n", i)
			}
			hist.Linear(w, hists[i].Slots[:], 0, 1, "runqlen")
		}
		return w.Flush()
	})
}

func sum(cpus []histogram) histogram {
	var total histogram
	for _, h := range cpus {
		for i, v := range h.Slots {
			total.Slots[i] += v
		}
	}
	return total
}

// occupied is the share of samples that found at least one task waiting.
func occupied(h histogram) float32 {
	var samples, queued uint64
	for i, v := range h.Slots {
		samples += uint64(v)
		if i > 0 {
			queued += uint64(v)
		}
	}
	// libbpf-tools computes this in single precision; so do we, for identical rounding.
	return float32(queued) * 1.0 / float32(max(samples, 1))
}
