// Package biolatency summarizes block request latency as log2 histograms.
package biolatency

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/blockdev"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// key mirrors struct biolatency_key in bpf/biolatency.h.
type key struct {
	CmdFlags uint32
	Dev      uint32
}

// slots mirrors struct biolatency_hist.
type slots struct {
	Slots [27]uint32
}

// extension mirrors struct biolatency_ext: the sum and number of latencies (Python's -e).
type extension struct {
	Total uint64
	Count uint64
}

// request mirrors struct biolatency_rq: a request in flight, in the start map.
type request struct {
	Start uint64
	Issue uint64
}

func (r *request) Times() (lastNews uint64, issued bool) { return max(r.Start, r.Issue), r.Issue != 0 }

// config is biolatency's command line.
type config struct {
	Timestamp, Millis, Queued, PerDisk, PerFlag, Extension bool
	Disk                                                   app.Disk
	Cgroup                                                 string
	Every                                                  app.Every
}

// rodata mirrors biolatency's const volatile globals.
type rodata struct {
	PerDisk   bool   `bpf:"per_disk"`
	PerFlag   bool   `bpf:"per_flag"`
	Queued    bool   `bpf:"queued"`
	Millis    bool   `bpf:"in_msecs"`
	FilterDev bool   `bpf:"filter_dev"`
	Dev       uint32 `bpf:"targ_dev"`
	Extension bool   `bpf:"extension"`
}

var Tool = app.Define(app.Def[config]{
	Name:      "biolatency",
	Usage:     "Summarize block device I/O latency as a histogram.",
	ArgsUsage: "[interval] [count]",
	Object:    "biolatency",
	Layouts: map[string]any{
		"biolatency_key": key{}, "biolatency_hist": slots{}, "biolatency_ext": extension{},
		"biolatency_rq": request{},
	},
	JSONShort: "j", // BCC's Python biolatency spells it -j
	Examples: `
    biolatency              # summarize block I/O latency as a histogram
    biolatency 1 10         # print 1 second summaries, 10 times
    biolatency -mT 1        # 1s summaries, milliseconds, and timestamps
    biolatency -Q           # include OS queued time in I/O time
    biolatency -D           # show each disk device separately
    biolatency -F           # show I/O flags separately
    biolatency -e           # show extension summary (total, average)
    biolatency -d sdc       # Trace sdc only
    biolatency -c CG        # Trace process under cgroupsPath CG`,
	Flags: func(c *config) []cli.Flag {
		return []cli.Flag{
			app.Timestamp(&c.Timestamp, "timestamp T"),
			app.Millis(&c.Millis),
			app.Bool(&c.Queued, "queued Q", "Include OS queued time in I/O time"),
			// libbpf-tools gives both -D and -d the long name "disk"; argp resolves it to -D.
			app.Bool(&c.PerDisk, "disk D disks", "Print a histogram per disk device"),
			app.Bool(&c.PerFlag, "flag F flags", "Print a histogram per set of I/O flags"),
			app.DiskFlag(&c.Disk, "d", "Trace this `DISK` only"),
			app.Bool(&c.Extension, "extension e", "Summarize average/total value"),
			app.Cgroup(&c.Cgroup, "cgroup c", ""),
		}
	},
	Args:    func(c *config) []app.Arg { return app.IntervalArgs(&c.Every) },
	Spec:    spec,
	Outputs: func(c *config) []render.Describer { return []render.Describer{histograms(c), render.SumRecords()} },
	Run:     run,
})

func spec(c *config) tracer.Spec {
	// Only there to find the requests whose completion was not seen, when a new request reuses
	// their address (bpf/biolatency.bpf.c). block_io_start came in 6.5: before, the sweep of
	// the start map finds them all, only later.
	newRequests := tracer.BTFTracepoint("block_io_start", "biolat_io_start", "block:block_io_start")
	newRequests.Optional = true
	probes := []tracer.Probe{
		newRequests,
		tracer.BTFTracepoint("block_rq_issue", "biolat_issue", "block:block_rq_issue"),
		tracer.BTFTracepoint("block_rq_complete", "biolat_done", "block:block_rq_complete"),
	}
	if c.Queued {
		probes = append([]tracer.Probe{tracer.BTFTracepoint("block_rq_insert", "biolat_insert", "block:block_rq_insert")}, probes...)
	}
	return tracer.Spec{
		Rodata: rodata{
			PerDisk: c.PerDisk, PerFlag: c.PerFlag, Queued: c.Queued, Millis: c.Millis,
			FilterDev: c.Disk.Filter, Dev: c.Disk.Dev, Extension: c.Extension,
		},
		Probes: probes,
		Cgroup: c.Cgroup,
	}
}

func units(c *config) string {
	if c.Millis {
		return "msecs"
	}
	return "usecs"
}

// histograms declares biolatency's histograms: one, or one per disk and/or set of flags.
func histograms(c *config) *render.Histograms {
	var labels []string
	if c.PerDisk {
		labels = append(labels, "disk")
	}
	if c.PerFlag {
		labels = append(labels, "flags")
	}
	return &render.Histograms{Unit: units(c), Labels: labels}
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	disks, err := c.Disk.Table()
	if err != nil {
		return err
	}
	decl := histograms(c)
	hists := t.Map("hists")
	byDiskThenFlags := func(x, y bpfmap.Entry[key, slots]) int {
		a, b := x.Key, y.Key
		return cmp.Or(cmp.Compare(disks.Label(a.Dev), disks.Label(b.Dev)), cmp.Compare(a.Dev, b.Dev), cmp.Compare(a.CmdFlags, b.CmdFlags))
	}
	// Requests whose completion was not seen are swept out on a goroutine: without an interval
	// the first report comes at the end, and the map must not fill meanwhile.
	inflight := blockdev.NewInflight(t.Map("start"), t.Map("unseen_completions"), blockdev.TimesOf[request]())
	defer inflight.SweepEvery(time.Second)()
	return app.Report(env, c.Every, "Tracing block device I/O... Hit Ctrl-C to end.", func() error {
		env.Out.ReportStart(c.Timestamp)
		entries, err := bpfmap.Entries[key, slots](hists, true)
		if err != nil {
			return err
		}
		slices.SortFunc(entries, byDiskThenFlags)
		for _, e := range entries {
			h := hist(c, disks, e.Key, &e.Value)
			env.Out.Histogram(decl, &h)
		}
		if c.Extension {
			if err := app.Summary(env.Out, t.Map("ext"), units(c)); err != nil {
				return err
			}
		}
		// After the report it concerns, as biosnoop's after the events before it.
		inflight.Report(env.Out)
		return nil
	})
}

// hist is one entry of the hists map as a labelled histogram, captioned as libbpf-tools does.
func hist(c *config, disks *blockdev.Table, k key, v *slots) render.Hist {
	h := render.Hist{Counts: render.Counts(v.Slots[:])}
	var caption strings.Builder
	if c.PerDisk {
		fmt.Fprintf(&caption, "\ndisk = %s\t", disks.Label(k.Dev))
		h.Labels = append(h.Labels, disks.Label(k.Dev))
	}
	if c.PerFlag {
		caption.WriteString("flags = " + blockdev.FlagWords(k.CmdFlags))
		h.Labels = append(h.Labels, blockdev.FlagWords(k.CmdFlags))
	}
	caption.WriteString("\n")
	h.Caption = caption.String()
	return h
}
