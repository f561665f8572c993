// Package biotop shows, every interval, the block I/O of each process per disk and direction:
// how many I/Os, how many kilobytes and their average time on the device, top first.
package biotop

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/blockdev"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/loadavg"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// maxEntries is BIOTOP_MAX_ENTRIES: the size of the counts map and libbpf-tools' cap on -r.
const maxEntries = 10240

// key mirrors struct biotop_key in bpf/biotop.h.
type key struct {
	Pid    uint32
	RWFlag int32
	Major  int32
	Minor  int32
	Comm   [16]byte
}

// value mirrors struct biotop_value.
type value struct {
	Bytes uint64
	Ns    uint64
	IO    uint32
	Pad   uint32
}

// request mirrors struct biotop_rq: a request in flight, in the requests map.
type request struct {
	Comm    [16]byte
	Pid     uint32
	DataLen uint32
	Start   uint64
	Issue   uint64
}

func (r *request) Times() (lastNews uint64, issued bool) { return max(r.Start, r.Issue), r.Issue != 0 }

// row is one line of the table.
type row struct {
	key
	value
	disk string
}

// config is biotop's command line.
type config struct {
	NoClear bool
	Sort    string
	Rows    int
	Pid     uint32
	Every   app.Every
}

// rodata mirrors biotop's const volatile globals.
type rodata struct {
	Pid uint32 `bpf:"target_pid"`
}

var Tool = app.Define(app.Def[config]{
	Name:      "biotop",
	Usage:     "Trace block device I/O by process.",
	ArgsUsage: "[interval] [count]",
	Object:    "biotop",
	Layouts:   map[string]any{"biotop_key": key{}, "biotop_value": value{}, "biotop_rq": request{}},
	Consts:    map[string]int64{"max_entries:counts": maxEntries},
	Examples: `
    biotop            # block I/O top, refresh every 1s
    biotop 5 10       # 5s summaries, 10 times
    biotop -s io      # sort by I/O count
    biotop -p 181     # only trace PID 181`,
	Flags: func(c *config) []cli.Flag {
		return []cli.Flag{
			app.Bool(&c.NoClear, "noclear C", "Don't clear the screen"),
			app.SortFlag(&c.Sort, "all", "all", "io", "bytes", "time"),
			app.RowsFlag(&c.Rows, maxEntries),
			app.PID(&c.Pid, "pid p", "Process ID to trace", "PID"),
		}
	},
	Args: func(c *config) []app.Arg {
		c.Every.Interval = time.Second
		return app.IntervalArgs(&c.Every)
	},
	Spec:    spec,
	Outputs: func(c *config) []render.Describer { return []render.Describer{records()} },
	Run:     run,
})

// Programs that take a request's origin late, from a hook that misses some starts.
const lateOrigin = "origin_late"

func spec(c *config) tracer.Spec {
	return tracer.Spec{
		Rodata: rodata{Pid: c.Pid},
		Probes: []tracer.Probe{
			// libbpf-tools takes the origin from block_io_start, else from the accounting
			// function; kernels with neither (6.1: blk_account_io_start is inlined) give it at
			// allocation, else at insertion: hooks that set origin_late.
			{What: "block I/O start", Hooks: []tracer.Hook{
				{Prog: "io_start_raw", Kind: tracer.RawTP, Target: "block:block_io_start"},
				{Prog: "io_start_btf", Kind: tracer.TPBTF, Target: "block:block_io_start"},
				{Prog: "io_start_fentry", Kind: tracer.Fentry, Target: "blk_account_io_start"},
				{Prog: "io_start_fentry", Kind: tracer.Fentry, Target: "__blk_account_io_start"},
				{Prog: "io_start_kprobe", Kind: tracer.Kprobe, Target: "blk_account_io_start"},
				{Prog: "io_start_kprobe", Kind: tracer.Kprobe, Target: "__blk_account_io_start"},
				{Prog: "io_alloc_fexit", Kind: tracer.Fexit, Target: "__blk_mq_alloc_requests", Sets: lateOrigin},
				{Prog: "io_alloc_kretprobe", Kind: tracer.Kretprobe, Target: "__blk_mq_alloc_requests", Sets: lateOrigin},
				{Prog: "rq_insert_raw", Kind: tracer.RawTP, Target: "block:block_rq_insert", Sets: lateOrigin},
				{Prog: "rq_insert_btf", Kind: tracer.TPBTF, Target: "block:block_rq_insert", Sets: lateOrigin},
			}},
			// block_rq_issue is emitted from inside blk_mq_start_request, with the same request.
			{What: "request issue", Hooks: []tracer.Hook{
				{Prog: "rq_start_fentry", Kind: tracer.Fentry, Target: "blk_mq_start_request"},
				{Prog: "rq_start_kprobe", Kind: tracer.Kprobe, Target: "blk_mq_start_request"},
				{Prog: "rq_issue_raw", Kind: tracer.RawTP, Target: "block:block_rq_issue"},
				{Prog: "rq_issue_btf", Kind: tracer.TPBTF, Target: "block:block_rq_issue"},
			}},
			{What: "request completion", Hooks: []tracer.Hook{
				{Prog: "io_done_raw", Kind: tracer.RawTP, Target: "block:block_io_done"},
				{Prog: "io_done_btf", Kind: tracer.TPBTF, Target: "block:block_io_done"},
				{Prog: "io_done_fentry", Kind: tracer.Fentry, Target: "blk_account_io_done"},
				{Prog: "io_done_fentry", Kind: tracer.Fentry, Target: "__blk_account_io_done"},
				{Prog: "io_done_kprobe", Kind: tracer.Kprobe, Target: "blk_account_io_done"},
				{Prog: "io_done_kprobe", Kind: tracer.Kprobe, Target: "__blk_account_io_done"},
				{Prog: "rq_complete_raw", Kind: tracer.RawTP, Target: "block:block_rq_complete"},
				{Prog: "rq_complete_btf", Kind: tracer.TPBTF, Target: "block:block_rq_complete"},
			}},
		},
	}
}

// records declares the table: PID COMM D MAJ MIN DISK I/O Kbytes AVGms.
func records() *render.Records[row] {
	return render.NewRecords(render.KindTable,
		render.Uint("PID", -7, "pid", func(r *row) uint64 { return uint64(r.Pid) }),
		render.Text("COMM", -16, "comm", func(r *row) []byte { return filter.CommBytes(r.Comm[:]) }),
		render.Str("D", 1, "direction", direction).Note("W write, R anything else"),
		render.Int("MAJ", -3, "major", func(r *row) int64 { return int64(r.Major) }),
		render.Int("MIN", -3, "minor", func(r *row) int64 { return int64(r.Minor) }),
		render.Str("DISK", -8, "disk", func(r *row) string { return r.disk }),
		render.Uint("I/O", 5, "io", func(r *row) uint64 { return uint64(r.IO) }),
		render.Uint("Kbytes", 7, "kbytes", func(r *row) uint64 { return r.Bytes / 1024 }).
			JSONUint("bytes", func(r *row) uint64 { return r.Bytes }),
		render.Float("AVGms", 6, 2, "avg_ms", avgMs).
			JSONUint("time_ns", func(r *row) uint64 { return r.Ns }).Note("total time from issue to completion"),
	)
}

func direction(r *row) string {
	if r.RWFlag != 0 {
		return "W"
	}
	return "R"
}

func avgMs(r *row) float64 {
	if r.IO == 0 {
		return 0
	}
	return float64(r.Ns) / 1e6 / float64(r.IO)
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	if env.Verbose && (t.Uses("io_alloc_fexit") || t.Uses("io_alloc_kretprobe") || t.Uses("rq_insert_raw") || t.Uses("rq_insert_btf")) {
		env.Warnf("biotop: no block_io_start and no blk_account_io_start on this kernel: requests are attributed " +
			"at allocation or insertion, else to the task that issues them")
	}
	disks, err := blockdev.Load()
	if err != nil {
		return err
	}
	rows := records().To(env.Out)
	counts := t.Map("counts")
	uncounted := app.NewMapFull(t.Map("uncounted"), func(n uint64) string { return fmt.Sprintf("%d I/Os not counted: map full", n) })
	inflight := blockdev.NewInflight(t.Map("requests"), t.Map("unseen_completions"), blockdev.TimesOf[request]())
	defer inflight.SweepEvery(time.Second)()
	return app.Report(env, c.Every, "", func() error {
		entries, err := bpfmap.Entries[key, value](counts, true)
		if err != nil {
			return err
		}
		loadavg.Heading(env.Out, c.NoClear, time.Now())
		rows.Header()
		table := make([]row, len(entries))
		for i, e := range entries {
			table[i] = row{key: e.Key, value: e.Value}
		}
		sortRows(table, c.Sort)
		table = table[:min(len(table), c.Rows)]
		for i := range table {
			r := &table[i]
			dev := blockdev.MkDev(uint32(r.Major), uint32(r.Minor))
			if r.disk = disks.Name(dev); r.disk == "" {
				// A disk added since the start; libbpf-tools prints an empty name.
				if fresh, err := blockdev.Load(); err == nil {
					disks = fresh
					r.disk = disks.Name(dev)
				}
			}
			rows.Write(r)
		}
		env.Out.Printf("\n")
		uncounted.Report(env.Out)
		inflight.Report(env.Out)
		return nil
	})
}

// sortRows orders the rows as -s asks, largest first: by I/Os, bytes, time, or (all) the sum of
// the three with time in microseconds, as libbpf-tools adds them.
func sortRows(rows []row, by string) {
	weight := func(r *row) uint64 {
		switch by {
		case "io":
			return uint64(r.IO)
		case "bytes":
			return r.Bytes
		case "time":
			return r.Ns
		}
		return uint64(r.IO) + r.Bytes + r.Ns/1000
	}
	slices.SortStableFunc(rows, func(a, b row) int { return cmp.Compare(weight(&b), weight(&a)) })
}
