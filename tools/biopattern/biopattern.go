// Package biopattern shows, per disk, how much of the block I/O was random or sequential.
package biopattern

import (
	"cmp"
	"slices"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// counter mirrors struct biopattern_counter in bpf/biopattern.h.
type counter struct {
	LastSector uint64
	Bytes      uint64
	Sequential uint32
	Random     uint32
}

// config is biopattern's command line.
type config struct {
	Timestamp bool
	Disk      app.Disk
	Every     app.Every
}

// rodata mirrors biopattern's const volatile globals.
type rodata struct {
	FilterDev bool   `bpf:"filter_dev"`
	Dev       uint32 `bpf:"targ_dev"`
}

var Tool = app.Define(app.Def[config]{
	Name:      "biopattern",
	Usage:     "Show block device I/O pattern.",
	ArgsUsage: "[interval] [count]",
	Object:    "biopattern",
	Caps:      []string{"CAP_DAC_READ_SEARCH"},
	Layouts:   map[string]any{"biopattern_counter": counter{}},
	Examples: `
    biopattern              # show block I/O pattern
    biopattern 1 10         # print 1 second summaries, 10 times
    biopattern -T 1         # 1s summaries with timestamps
    biopattern -d sdc       # trace sdc only`,
	Flags: func(c *config) []cli.Flag {
		return []cli.Flag{
			app.Timestamp(&c.Timestamp, "timestamp T"),
			app.DiskFlag(&c.Disk, "disk d", "Trace this `DISK` only"),
		}
	},
	Args:    func(c *config) []app.Arg { return app.IntervalArgs(&c.Every) },
	Spec:    spec,
	Outputs: func(c *config) []render.Describer { return []render.Describer{records(c, nil)} },
	Run:     run,
})

func spec(c *config) tracer.Spec {
	return tracer.Spec{
		Rodata: rodata{FilterDev: c.Disk.Filter, Dev: c.Disk.Dev},
		Probes: []tracer.Probe{{What: "block_rq_complete", Hooks: []tracer.Hook{
			{Prog: "biopattern_done", Kind: tracer.Tracepoint, Target: "block:block_rq_complete"},
		}}},
	}
}

// row is one disk's counts of an interval.
type row struct {
	disk string
	c    counter
}

func (r *row) total() uint64 { return uint64(r.c.Sequential) + uint64(r.c.Random) }

// records declares biopattern's table, a row per disk and interval; now is the wall clock of
// -T (nil: only the declaration).
func records(c *config, now func() time.Time) *render.Records[row] {
	return render.NewRecords(render.KindTable,
		render.Custom("TIME", -9, func(l *render.Line, _ *row) { l.Clock(now(), false) }).If(c.Timestamp),
		render.Str("DISK", -7, "disk", func(r *row) string { return r.disk }),
		render.Uint("%RND", 5, "random_pct", func(r *row) uint64 { return uint64(r.c.Random) * 100 / r.total() }),
		render.Uint("%SEQ", 5, "sequential_pct", func(r *row) uint64 { return uint64(r.c.Sequential) * 100 / r.total() }),
		render.JSONOnly(render.Uint("", 0, "random", func(r *row) uint64 { return uint64(r.c.Random) })),
		render.JSONOnly(render.Uint("", 0, "sequential", func(r *row) uint64 { return uint64(r.c.Sequential) })),
		render.Uint("COUNT", 8, "count", (*row).total),
		render.Uint("KBYTES", 10, "kbytes", func(r *row) uint64 { return r.c.Bytes / 1024 }).
			JSONUint("bytes", func(r *row) uint64 { return r.c.Bytes }),
	)
}

const banner = "Tracing block device I/O requested seeks... Hit Ctrl-C to end."

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	disks, err := c.Disk.Table()
	if err != nil {
		return err
	}
	counters := t.Map("counters")
	recs := records(c, env.Out.Now).To(env.Out)
	// The column headers follow the banner, once; app.Report prints the banner it is given
	// first thing, so in text both are printed here (in JSON the banner is the start line's).
	start := banner
	if env.Out.Text() {
		env.Out.Printf("%s\n", banner)
		recs.Header()
		start = ""
	}
	return app.Report(env, c.Every, start, func() error {
		// Deleting the counters also forgets each disk's last position, as libbpf-tools does:
		// a disk's first request of an interval is not classified.
		entries, err := bpfmap.Entries[uint32, counter](counters, true)
		if err != nil {
			return err
		}
		slices.SortFunc(entries, func(a, b bpfmap.Entry[uint32, counter]) int { return cmp.Compare(a.Key, b.Key) })
		for _, e := range entries {
			r := row{disk: disks.Label(e.Key), c: e.Value}
			if r.total() > 0 {
				recs.Write(&r)
			}
		}
		return nil
	})
}
