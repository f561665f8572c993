// Package slabratetop shows, every interval, the kernel's slab allocations per kmem cache:
// how many objects each cache handed out and how many bytes that makes, top first.
package slabratetop

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/loadavg"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

const (
	maxEntries = 10240 // SLABRATETOP_MAX_ENTRIES, also libbpf-tools' cap on -r
	nameSize   = 32
)

// info mirrors struct slabratetop_info in bpf/slabratetop.h.
type info struct {
	Name  [nameSize]byte
	Count uint64
	Size  uint64
}

// config is slabratetop's command line.
type config struct {
	Pid     uint32
	NoClear bool
	Sort    string
	Rows    int
	Every   app.Every
}

// rodata mirrors slabratetop's const volatile globals.
type rodata struct {
	Pid uint32 `bpf:"target_pid"`
}

var Tool = app.Define(app.Def[config]{
	Name:      "slabratetop",
	Usage:     "Trace slab kmem cache alloc by process.",
	ArgsUsage: "[interval] [count]",
	Object:    "slabratetop",
	Layouts:   map[string]any{"slabratetop_info": info{}},
	Consts:    map[string]int64{"max_entries:slab_entries": maxEntries},
	Examples: `
    slabratetop            # slab rate top, refresh every 1s
    slabratetop -p 181     # only trace PID 181
    slabratetop -s count   # sort columns by count
    slabratetop -r 100     # print 100 rows
    slabratetop 5 10       # 5s summaries, 10 times`,
	Flags: func(c *config) []cli.Flag {
		return []cli.Flag{
			app.PID(&c.Pid, "pid p", "Process ID to trace", "PID"),
			app.Bool(&c.NoClear, "noclear C", "Don't clear the screen"),
			app.SortFlag(&c.Sort, "size", "name", "count", "size"),
			app.RowsFlag(&c.Rows, maxEntries),
		}
	},
	Args: func(c *config) []app.Arg {
		c.Every.Interval = time.Second
		return app.IntervalArgs(&c.Every)
	},
	Spec: func(c *config) tracer.Spec {
		return tracer.Spec{
			Rodata: rodata{Pid: c.Pid},
			Probes: []tracer.Probe{{What: "kmem cache allocations", Hooks: []tracer.Hook{
				{Prog: "alloc_fentry", Kind: tracer.Fentry, Target: "kmem_cache_alloc"},
				{Prog: "alloc_fentry", Kind: tracer.Fentry, Target: "kmem_cache_alloc_noprof"},
				{Prog: "alloc_kprobe", Kind: tracer.Kprobe, Target: "kmem_cache_alloc"},
				{Prog: "alloc_kprobe", Kind: tracer.Kprobe, Target: "kmem_cache_alloc_noprof"},
				{Prog: "alloc_tp_raw", Kind: tracer.RawTP, Target: "kmem:kmem_cache_alloc"},
				{Prog: "alloc_tp_btf", Kind: tracer.TPBTF, Target: "kmem:kmem_cache_alloc"},
			}}},
		}
	},
	Outputs: func(c *config) []render.Describer { return []render.Describer{records()} },
	Run:     run,
})

// records declares the table: CACHE ALLOCS BYTES.
func records() *render.Records[info] {
	return render.NewRecords(render.KindTable,
		render.Text("CACHE", -32, "cache", func(i *info) []byte { return filter.CommBytes(i.Name[:]) }),
		render.Uint("ALLOCS", 6, "allocs", func(i *info) uint64 { return i.Count }),
		render.Uint("BYTES", 10, "bytes", func(i *info) uint64 { return i.Size }),
	)
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	if env.Verbose && (t.Uses("alloc_tp_raw") || t.Uses("alloc_tp_btf")) {
		env.Warnf("slabratetop: through the kmem:kmem_cache_alloc tracepoint (no kprobe or fentry on kmem_cache_alloc): " +
			"allocations of every kmem_cache_alloc variant (_node, _lru) count, not kmem_cache_alloc's alone")
	}
	rows := records().To(env.Out)
	entries := t.Map("slab_entries")
	return app.Report(env, c.Every, "", func() error {
		stats, err := bpfmap.Entries[uint64, info](entries, true)
		if err != nil {
			return err
		}
		loadavg.Heading(env.Out, c.NoClear, time.Now())
		rows.Header()
		sortStats(stats, c.Sort)
		for i := range stats[:min(len(stats), c.Rows)] {
			rows.Write(&stats[i].Value)
		}
		env.Out.Printf("\n")
		return nil
	})
}

// sortStats orders the caches as -s asks: by name (ignoring case), or most allocations or
// bytes first.
func sortStats(stats []bpfmap.Entry[uint64, info], by string) {
	slices.SortStableFunc(stats, func(a, b bpfmap.Entry[uint64, info]) int {
		switch by {
		case "name":
			return strings.Compare(strings.ToLower(filter.CommString(a.Value.Name[:])), strings.ToLower(filter.CommString(b.Value.Name[:])))
		case "count":
			return cmp.Compare(b.Value.Count, a.Value.Count)
		}
		return cmp.Compare(b.Value.Size, a.Value.Size)
	})
}
