// Package biopattern shows, per disk, how much of the block I/O was random or sequential.
package biopattern

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// counter mirrors struct biopattern_counter in bpf/biopattern.h.
type counter struct {
	LastSector uint64
	Bytes      uint64
	Sequential uint32
	Random     uint32
}

var Tool = app.Tool{
	Name:      "biopattern",
	Usage:     "Show block device I/O pattern.",
	ArgsUsage: "[interval] [count]",
	Object:    "biopattern",
	Layouts:   map[string]any{"biopattern_counter": counter{}},
	Examples: `
    biopattern              # show block I/O pattern
    biopattern 1 10         # print 1 second summaries, 10 times
    biopattern -T 1         # 1s summaries with timestamps
    biopattern -d sdc       # trace sdc only`,
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "timestamp", Aliases: []string{"T"}, Usage: "Include timestamp on output"},
		&cli.StringFlag{Name: "disk", Aliases: []string{"d"}, Usage: "Trace this `DISK` only"},
	},
	Action: run,
}

func run(c *cli.Context) error {
	interval, count, err := app.Interval(c, 0)
	if err != nil {
		return err
	}
	disks, dev, filterDev, err := app.DiskFilter(c, "disk")
	if err != nil {
		return err
	}

	t, err := app.Start(tracer.Spec{
		Object: "biopattern",
		Rodata: map[string]any{"filter_dev": filterDev, "targ_dev": dev},
		Probes: []tracer.Probe{{What: "block_rq_complete", Hooks: []tracer.Hook{
			{Prog: "biopattern_done", Kind: tracer.Tracepoint, Target: "block:block_rq_complete"},
		}}},
	})
	if err != nil {
		return err
	}
	defer t.Close()

	stamped := c.Bool("timestamp")
	counters := t.Map("counters")
	w := app.Output
	fmt.Fprintln(w, "Tracing block device I/O requested seeks... Hit Ctrl-C to end.")
	if stamped {
		fmt.Fprintf(w, "%-9s ", "TIME")
	}
	fmt.Fprintf(w, "%-7s %5s %5s %8s %10s\n", "DISK", "%RND", "%SEQ", "COUNT", "KBYTES")
	if err := w.Flush(); err != nil {
		return err
	}
	return app.Report(c.Context, interval, count, func() error {
		// Deleting the counters also forgets each disk's last position, as libbpf-tools does:
		// a disk's first request of an interval is not classified.
		entries, err := bpfmap.Entries[uint32, counter](counters, true)
		if err != nil {
			return err
		}
		slices.SortFunc(entries, func(a, b bpfmap.Entry[uint32, counter]) int { return cmp.Compare(a.Key, b.Key) })
		for _, e := range entries {
			total := uint64(e.Value.Sequential) + uint64(e.Value.Random)
			if total == 0 {
				continue
			}
			if stamped {
				fmt.Fprintf(w, "%-9s ", app.Timestamp())
			}
			fmt.Fprintf(w, "%-7s %5d %5d %8d %10d\n", disks.Label(e.Key),
				uint64(e.Value.Random)*100/total, uint64(e.Value.Sequential)*100/total, total, e.Value.Bytes/1024)
		}
		return w.Flush()
	})
}
