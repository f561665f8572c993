// Package biolatency summarizes block request latency as log2 histograms.
package biolatency

import (
	"cmp"
	"fmt"
	"io"
	"strings"

	bpf "github.com/aquasecurity/libbpfgo"
	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/summary"
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

var Tool = app.Tool{
	Name:      "biolatency",
	Usage:     "Summarize block device I/O latency as a histogram.",
	ArgsUsage: "[interval] [count]",
	Object:    "biolatency",
	Layouts: map[string]any{
		"biolatency_key": key{}, "biolatency_hist": slots{}, "biolatency_ext": extension{},
	},
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
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "timestamp", Aliases: []string{"T"}, Usage: "Include timestamp on output"},
		&cli.BoolFlag{Name: "milliseconds", Aliases: []string{"m"}, Usage: "Millisecond histogram"},
		&cli.BoolFlag{Name: "queued", Aliases: []string{"Q"}, Usage: "Include OS queued time in I/O time"},
		// libbpf-tools gives both -D and -d the long name "disk"; argp resolves it to -D.
		&cli.BoolFlag{Name: "disk", Aliases: []string{"D", "disks"}, Usage: "Print a histogram per disk device"},
		&cli.BoolFlag{Name: "flag", Aliases: []string{"F", "flags"}, Usage: "Print a histogram per set of I/O flags"},
		&cli.StringFlag{Name: "d", Usage: "Trace this `DISK` only"},
		&cli.BoolFlag{Name: "extension", Aliases: []string{"e"}, Usage: "Summarize average/total value"},
		&cli.StringFlag{Name: "cgroup", Aliases: []string{"c"}, Usage: "Trace process in cgroup `PATH`"},
	},
	Action: run,
}

func run(c *cli.Context) error {
	interval, count, err := app.Interval(c, 0)
	if err != nil {
		return err
	}
	disks, dev, filterDev, err := app.DiskFilter(c, "d")
	if err != nil {
		return err
	}
	perDisk, perFlag, queued, ms := c.Bool("disk"), c.Bool("flag"), c.Bool("queued"), c.Bool("milliseconds")

	probes := []tracer.Probe{
		tracer.BTFTracepoint("block_rq_issue", "biolat_issue", "block:block_rq_issue"),
		tracer.BTFTracepoint("block_rq_complete", "biolat_done", "block:block_rq_complete"),
	}
	if queued {
		probes = append([]tracer.Probe{tracer.BTFTracepoint("block_rq_insert", "biolat_insert", "block:block_rq_insert")}, probes...)
	}
	t, err := app.Start(tracer.Spec{
		Object: "biolatency",
		Rodata: map[string]any{
			"per_disk": perDisk, "per_flag": perFlag, "queued": queued, "in_msecs": ms,
			"filter_dev": filterDev, "targ_dev": dev, "extension": c.Bool("extension"),
		},
		Probes: probes,
		Cgroup: c.String("cgroup"),
	})
	if err != nil {
		return err
	}
	defer t.Close()

	units := "usecs"
	if ms {
		units = "msecs"
	}
	caption := func(e *bpfmap.Entry[key, slots]) string {
		k := e.Key
		var b strings.Builder
		if perDisk {
			fmt.Fprintf(&b, "\ndisk = %s\t", disks.Label(k.Dev))
		}
		if perFlag {
			b.WriteString("flags = " + FlagWords(k.CmdFlags))
		}
		b.WriteString("\n")
		return b.String()
	}
	byDiskThenFlags := func(x, y bpfmap.Entry[key, slots]) int {
		a, b := x.Key, y.Key
		return cmp.Or(cmp.Compare(disks.Label(a.Dev), disks.Label(b.Dev)), cmp.Compare(a.Dev, b.Dev), cmp.Compare(a.CmdFlags, b.CmdFlags))
	}
	hists, ext := t.Map("hists"), t.Map("ext")
	w := app.Output
	fmt.Fprintln(w, "Tracing block device I/O... Hit Ctrl-C to end.")
	if err := w.Flush(); err != nil {
		return err
	}
	return app.Report(c.Context, interval, count, func() error {
		summary.Start(w, c.Bool("timestamp"))
		err := summary.Log2(w, hists, units, byDiskThenFlags, caption, func(s *slots) []uint32 { return s.Slots[:] })
		if err != nil {
			return err
		}
		if c.Bool("extension") {
			if err := printExtension(w, ext, units); err != nil {
				return err
			}
		}
		return w.Flush()
	})
}

// printExtension prints BCC's -e line: the mean and the sum of the interval's latencies.
func printExtension(w io.Writer, m *bpf.BPFMap, units string) error {
	zero := uint32(0)
	e, ok := bpfmap.Lookup[extension](m, &zero)
	if !ok || e.Count == 0 {
		return nil
	}
	fmt.Fprintf(w, "\navg = %d %s, total: %d %s, count: %d\n\n", e.Total/e.Count, units, e.Total, units, e.Count)
	return bpfmap.Update(m, &zero, &extension{})
}
