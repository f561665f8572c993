// Package bitesize summarizes the sizes of issued block requests, per command name.
package bitesize

import (
	"bytes"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
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

// config is bitesize's command line.
type config struct {
	Timestamp bool
	Comm      string
	Disk      app.Disk
	Every     app.Every
}

// rodata mirrors bitesize's const volatile globals.
type rodata struct {
	Comm      [16]byte `bpf:"targ_comm"`
	FilterDev bool     `bpf:"filter_dev"`
	Dev       uint32   `bpf:"targ_dev"`
}

var Tool = app.Define(app.Def[config]{
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
	Flags: func(c *config) []cli.Flag {
		return []cli.Flag{
			app.Timestamp(&c.Timestamp, "timestamp T"),
			app.String(&c.Comm, "comm c", "Trace this `COMM` only"),
			app.DiskFlag(&c.Disk, "disk d", "Trace this `DISK` only"),
		}
	},
	Args:    func(c *config) []app.Arg { return app.IntervalArgs(&c.Every) },
	Spec:    spec,
	Outputs: func(c *config) []render.Describer { return []render.Describer{histograms} },
	Run:     run,
})

func spec(c *config) tracer.Spec {
	return tracer.Spec{
		Rodata: rodata{Comm: filter.Comm(c.Comm), FilterDev: c.Disk.Filter, Dev: c.Disk.Dev},
		Probes: []tracer.Probe{tracer.BTFTracepoint("block_rq_issue", "bitesize_issue", "block:block_rq_issue")},
	}
}

// histograms declares bitesize's histograms: request sizes in KB, one per command name.
var histograms = &render.Histograms{Unit: "kbytes", Axis: "Kbytes", Labels: []string{"comm"}}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	hists := t.Map("hists")
	return app.Report(env, c.Every, "Tracing block device I/O... Hit Ctrl-C to end.", func() error {
		env.Out.ReportStart(c.Timestamp)
		entries, err := bpfmap.Entries[key, slots](hists, true)
		if err != nil {
			return err
		}
		// BPF hands entries back in hash order: sorted, reports read alike from one interval
		// to the next.
		slices.SortFunc(entries, func(a, b bpfmap.Entry[key, slots]) int { return bytes.Compare(a.Key.Comm[:], b.Key.Comm[:]) })
		for _, e := range entries {
			comm := filter.CommString(e.Key.Comm[:])
			env.Out.Histogram(histograms, &render.Hist{
				Caption: "\nProcess Name = " + env.Out.Escape(comm) + "\n",
				Labels:  []string{comm},
				Counts:  render.Counts(e.Value.Slots[:]),
			})
		}
		return nil
	})
}
