// Package bitesize summarizes the sizes of issued block requests, per command name.
package bitesize

import (
	"bytes"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/summary"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// key mirrors struct bitesize_key in bpf/bitesize.h.
type key struct {
	Comm [16]byte
}

// slots mirrors struct bitesize_hist.
type slots struct {
	Slots [20]uint32
}

var Tool = app.Tool{
	Name:      "bitesize",
	Usage:     "Summarize block device I/O size as a histogram.",
	ArgsUsage: "[interval] [count]",
	Object:    "bitesize",
	Layouts:   map[string]any{"bitesize_key": key{}, "bitesize_hist": slots{}},
	Examples: `
    bitesize              # summarize block I/O latency as a histogram
    bitesize 1 10         # print 1 second summaries, 10 times
    bitesize -T 1         # 1s summaries with timestamps
    bitesize -c fio       # trace fio only`,
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "timestamp", Aliases: []string{"T"}, Usage: "Include timestamp on output"},
		&cli.StringFlag{Name: "comm", Aliases: []string{"c"}, Usage: "Trace this `COMM` only"},
		&cli.StringFlag{Name: "disk", Aliases: []string{"d"}, Usage: "Trace this `DISK` only"},
	},
	Action: run,
}

func run(c *cli.Context) error {
	interval, count, err := app.Interval(c, 0)
	if err != nil {
		return err
	}
	_, dev, filterDev, err := app.DiskFilter(c, "disk")
	if err != nil {
		return err
	}

	t, err := app.Start(tracer.Spec{
		Object: "bitesize",
		Rodata: map[string]any{
			"targ_comm": filter.Comm(c.String("comm")), "filter_dev": filterDev, "targ_dev": dev,
		},
		Probes: []tracer.Probe{tracer.BTFTracepoint("block_rq_issue", "bitesize_issue", "block:block_rq_issue")},
	})
	if err != nil {
		return err
	}
	defer t.Close()

	hists := t.Map("hists")
	w := app.Output
	fmt.Fprintln(w, "Tracing block device I/O... Hit Ctrl-C to end.")
	if err := w.Flush(); err != nil {
		return err
	}
	return app.Report(c.Context, interval, count, func() error {
		summary.Start(w, c.Bool("timestamp"))
		err := summary.Log2(w, hists, "Kbytes",
			func(a, b bpfmap.Entry[key, slots]) int { return bytes.Compare(a.Key.Comm[:], b.Key.Comm[:]) },
			func(e *bpfmap.Entry[key, slots]) string {
				return "\nProcess Name = " + filter.CommString(e.Key.Comm[:]) + "\n"
			},
			func(s *slots) []uint32 { return s.Slots[:] })
		if err != nil {
			return err
		}
		return w.Flush()
	})
}
