// Package biostacks summarizes block request latency by the kernel stack that started each
// request: one log2 histogram per task, stack and disk.
package biostacks

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/blockdev"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/stacks"
	"github.com/bpfutils/bpfutils/pkg/syms"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

const (
	maxSlots = 20 // BIOSTACKS_MAX_SLOTS
	maxStack = 20 // BIOSTACKS_MAX_STACK
)

// key mirrors struct biostacks_key in bpf/biostacks.h.
type key struct {
	Pid       uint32
	StackSize int32
	Stack     [maxStack]uint64
	Comm      [16]byte
	Dev       uint32
	Pad       uint32
}

// slots mirrors struct biostacks_hist.
type slots struct {
	Slots [maxSlots]uint32
}

// request mirrors struct biostacks_rq: a request in flight, in the requests map.
type request struct {
	Start uint64
	Issue uint64
	Key   key
}

func (r *request) Times() (lastNews uint64, issued bool) { return max(r.Start, r.Issue), r.Issue != 0 }

// config is biostacks' command line.
type config struct {
	Disk     app.Disk
	Millis   bool
	Duration time.Duration
}

// rodata mirrors biostacks' const volatile globals.
type rodata struct {
	Millis    bool   `bpf:"targ_ms"`
	FilterDev bool   `bpf:"filter_dev"`
	Dev       uint32 `bpf:"targ_dev"`
}

var Tool = app.Define(app.Def[config]{
	Name:      "biostacks",
	Usage:     "Tracing block I/O with init stacks.",
	ArgsUsage: "[duration]",
	Object:    "biostacks",
	Caps:      []string{"CAP_SYSLOG"},
	Layouts:   map[string]any{"biostacks_key": key{}, "biostacks_hist": slots{}, "biostacks_rq": request{}},
	Examples: `
    biostacks              # trace block I/O with init stacks.
    biostacks 1            # trace for 1 seconds only
    biostacks -d sdc       # trace sdc only`,
	Flags: func(c *config) []cli.Flag {
		return []cli.Flag{
			app.DiskFlag(&c.Disk, "disk d", "Trace this disk only"),
			app.Millis(&c.Millis),
		}
	},
	Args:    func(c *config) []app.Arg { return app.DurationArg(&c.Duration) },
	Spec:    spec,
	Outputs: func(c *config) []render.Describer { return []render.Describer{histograms(c)} },
	Run:     run,
})

// Programs that take a request's start late, from a hook that misses some starts; they set
// origin_late, which has the issue hook start the requests they missed.
const originLate = "origin_late"

var lateStart = []string{"io_alloc_fexit", "io_alloc_kretprobe", "rq_insert_raw", "rq_insert_btf"}

func spec(c *config) tracer.Spec {
	// Marks requests issued, so that one merged into another and freed is not taken for an I/O
	// whose completion was missed; behind a late start hook, starts the requests it missed.
	issue := tracer.BTFTracepoint("request issue", "rq_issue", "block:block_rq_issue")
	issue.Optional = true
	return tracer.Spec{
		Rodata: rodata{Millis: c.Millis, FilterDev: c.Disk.Filter, Dev: c.Disk.Dev},
		Probes: []tracer.Probe{
			// libbpf-tools starts the clock and takes the stack at block_io_start, else in the
			// accounting function; kernels with neither (6.1: blk_account_io_start is inlined)
			// give them at allocation, else at insertion.
			{What: "block I/O start", Hooks: []tracer.Hook{
				{Prog: "io_start_raw", Kind: tracer.RawTP, Target: "block:block_io_start"},
				{Prog: "io_start_btf", Kind: tracer.TPBTF, Target: "block:block_io_start"},
				{Prog: "io_start_fentry", Kind: tracer.Fentry, Target: "blk_account_io_start"},
				{Prog: "io_start_fentry", Kind: tracer.Fentry, Target: "__blk_account_io_start"},
				{Prog: "io_start_kprobe", Kind: tracer.Kprobe, Target: "blk_account_io_start"},
				{Prog: "io_start_kprobe", Kind: tracer.Kprobe, Target: "__blk_account_io_start"},
				{Prog: lateStart[0], Kind: tracer.Fexit, Target: "__blk_mq_alloc_requests", Sets: originLate},
				{Prog: lateStart[1], Kind: tracer.Kretprobe, Target: "__blk_mq_alloc_requests", Sets: originLate},
				{Prog: lateStart[2], Kind: tracer.RawTP, Target: "block:block_rq_insert", Sets: originLate},
				{Prog: lateStart[3], Kind: tracer.TPBTF, Target: "block:block_rq_insert", Sets: originLate},
			}},
			// Hands a request to the task that merged a bio into it.
			{What: "bio merges", Optional: true, Hooks: []tracer.Hook{
				{Prog: "io_merge_fentry", Kind: tracer.Fentry, Target: "blk_account_io_merge_bio"},
				{Prog: "io_merge_kprobe", Kind: tracer.Kprobe, Target: "blk_account_io_merge_bio"},
			}},
			issue,
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

// histograms declares the histograms: one per task, kernel stack (frames innermost first,
// joined by ";") and disk.
func histograms(c *config) *render.Histograms {
	return &render.Histograms{Unit: app.Units(c.Millis), Labels: []string{"comm", "pid", "disk", "kernel_stack"}}
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	if env.Verbose {
		for _, p := range lateStart {
			if t.Uses(p) {
				env.Warnf("biostacks: no block_io_start and no blk_account_io_start on this kernel: requests are timed " +
					"and their stacks taken at allocation or insertion, else at issue")
				break
			}
		}
	}
	disks, err := c.Disk.Table()
	if err != nil {
		return err
	}
	decl := histograms(c)
	// Loaded now, so that missing kernel symbols are said at the start, not after the run.
	symbolizer := stacks.NewSymbolizer(true, env.Warnf)
	inflight := blockdev.NewInflight(t.Map("requests"), t.Map("unseen_completions"), blockdev.TimesOf[request]())
	defer inflight.SweepEvery(time.Second)()
	return app.ReportOnce(env, c.Duration, "Tracing block I/O with init stacks. Hit Ctrl-C to end.", func() error {
		entries, err := bpfmap.Entries[key, slots](t.Map("hists"), true)
		if err != nil {
			return err
		}
		hists := make([]histogram, 0, len(entries))
		for i := range entries {
			hists = append(hists, newHistogram(env.Out, disks, symbolizer, &entries[i].Key, &entries[i].Value))
		}
		slices.SortStableFunc(hists, func(a, b histogram) int {
			return cmp.Or(cmp.Compare(a.Labels[0], b.Labels[0]), cmp.Compare(a.pid, b.pid),
				cmp.Compare(a.Labels[2], b.Labels[2]), cmp.Compare(a.Labels[3], b.Labels[3]))
		})
		for i := range hists {
			env.Out.Histogram(decl, &hists[i].Hist)
			if env.Out.Text() {
				env.Out.Printf("\n")
			}
		}
		app.NewMapFull(t.Map("uncounted"), func(n uint64) string { return fmt.Sprintf("%d I/Os not counted: map full", n) }).Report(env.Out)
		inflight.Report(env.Out)
		return nil
	})
}

type histogram struct {
	render.Hist
	pid uint32
}

// newHistogram is one entry of the hists map, captioned as libbpf-tools prints it: comm, pid
// and disk, then one kernel function per line.
func newHistogram(out *render.Sink, disks *blockdev.Table, s *syms.Symbolizer, k *key, v *slots) histogram {
	comm := filter.CommString(k.Comm[:])
	disk := disks.Label(k.Dev)
	var frames []syms.Symbol
	if n := int(k.StackSize) / 8; n > 0 {
		frames = s.KernelStack(k.Stack[:min(n, maxStack)])
	}
	var caption, folded strings.Builder
	fmt.Fprintf(&caption, "%-14.14s %-6d %-7s\n", out.Escape(comm), k.Pid, disk)
	for i, f := range frames {
		name := "Unknown"
		if f.Known {
			name = f.Name
		}
		caption.WriteString(name + "\n")
		if i > 0 {
			folded.WriteByte(';')
		}
		folded.WriteString(name)
	}
	return histogram{
		Hist: render.Hist{
			Caption: caption.String(),
			Labels:  []string{comm, strconv.FormatUint(uint64(k.Pid), 10), disk, folded.String()},
			Counts:  render.Counts(v.Slots[:]),
		},
		pid: k.Pid,
	}
}
