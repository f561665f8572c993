// Package futexctn summarizes futex contention: how long threads wait for each user lock, as
// histograms per thread, lock and user stack.
package futexctn

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/stacks"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// key mirrors struct futexctn_key in bpf/futexctn.h.
type key struct {
	ID          uint32
	Tgid        uint32
	Uaddr       uint64
	UserStackId int32
	Pad         uint32
}

// hist mirrors struct futexctn_hist in bpf/futexctn.h.
type hist struct {
	Slots     [36]uint32
	Comm      [16]byte
	Contended uint64
	Total     uint64
	Min       uint64
	Max       uint64
}

// config is futexctn's command line.
type config struct {
	PID, TID                   uint32
	Lock                       uint64
	Timestamp, Millis, Summary bool
	Storage                    stacks.Storage
	Every                      app.Every
}

// rodata mirrors futexctn's const volatile globals.
type rodata struct {
	Summary bool   `bpf:"targ_summary"`
	Millis  bool   `bpf:"targ_ms"`
	Lock    uint64 `bpf:"targ_lock"`
	PID     uint32 `bpf:"targ_pid"`
	TID     uint32 `bpf:"targ_tid"`
}

const banner = "Summarize futex contention latency, hit ctrl-c to exit"

var Tool = app.Define(app.Def[config]{
	Name:      "futexctn",
	Usage:     "Summarize futex contention latency as a histogram.",
	ArgsUsage: "[interval] [count]",
	Object:    "futexctn",
	Caps:      []string{"CAP_DAC_READ_SEARCH"},
	CapsNote:  "user symbols: see below",
	Layouts:   map[string]any{"futexctn_key": key{}, "futexctn_hist": hist{}},
	Examples: `
    futexctn              # summarize futex contention latency as a histogram
    futexctn 1 10         # print 1 second summaries, 10 times
    futexctn -mT 1        # 1s summaries, milliseconds, and timestamps
    futexctn -s 1         # 1s summaries, without stack traces
    futexctn -l 0x8187bb8 # only trace lock 0x8187bb8
    futexctn -p 123       # only trace threads for PID 123
    futexctn -t 125       # only trace thread 125`,
	Flags: func(c *config) []cli.Flag {
		flags := []cli.Flag{
			app.PID(&c.PID, "pid p", "Trace this PID only", "pid"),
			app.PID(&c.TID, "tid t", "Trace this TID only", "tid"),
			app.Value(&c.Lock, "lock l", "Trace this `LOCK` only", parseLock),
			app.Timestamp(&c.Timestamp, "timestamp T"),
			app.Millis(&c.Millis),
			app.Bool(&c.Summary, "summary s", "Summary futex contention latency"),
		}
		return append(flags, stacks.StorageOptions(&c.Storage)...)
	},
	Args: func(c *config) []app.Arg { return app.IntervalArgs(&c.Every) },
	Spec: spec,
	Variants: [][]string{
		{"-p", "1", "-t", "1", "-l", "0x1000"},
		{"--stack-storage-size", "16384", "--perf-max-stack-depth", "20"},
	},
	Outputs: func(c *config) []render.Describer { return []render.Describer{records(c), histograms(c)} },
	Run:     run,
})

// parseLock reads -l as libbpf-tools does: a futex word's address in hex, "0x" optional. A
// futex word is 4-byte aligned and never on page zero, which cannot be mapped: what else
// parses ("abc") is a mistake, refused rather than traced in vain.
func parseLock(s string) (uint64, error) {
	n, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(s), "0x"), 16, 64)
	if err != nil || n < 0x1000 || n%4 != 0 {
		return 0, fmt.Errorf("Invalid lock: %s (want a futex word's address in hex, as futexctn prints it)", s)
	}
	return n, nil
}

func spec(c *config) tracer.Spec {
	s := tracer.Spec{
		Rodata: rodata{Summary: c.Summary, Millis: c.Millis, Lock: c.Lock, PID: c.PID, TID: c.TID},
		Probes: []tracer.Probe{
			{What: "futex entry", Hooks: []tracer.Hook{{Prog: "futex_enter", Kind: tracer.Tracepoint, Target: "syscalls:sys_enter_futex"}}},
			{What: "futex exit", Hooks: []tracer.Hook{{Prog: "futex_exit", Kind: tracer.Tracepoint, Target: "syscalls:sys_exit_futex"}}},
		},
	}
	c.Storage.Configure(&s)
	return s
}

// contention is one entry of a report: a thread (with -s a process) waiting on one lock from
// one user stack.
type contention struct {
	comm []byte
	key  key
	hist *hist
	user stacks.Stack
	unit string
}

func (r *contention) avg() uint64 { return r.hist.Total / r.hist.Contended }

// records declares the JSON "table" line of each entry; text has its own sentence.
func records(c *config) *render.Records[contention] {
	return render.NewRecords(render.KindTable,
		render.JSONOnly(render.Text("", 0, "comm", func(r *contention) []byte { return r.comm })),
		render.JSONOnly(render.Uint("", 0, "pid", func(r *contention) uint64 { return uint64(r.key.Tgid) })),
		render.JSONOnly(render.Uint("", 0, "tid", func(r *contention) uint64 { return uint64(r.key.ID) }).
			Note("the waiting thread; absent with -s, which sums a process's threads").If(!c.Summary)),
		render.JSONOnly(render.Str("", 0, "lock", func(r *contention) string { return "0x" + strconv.FormatUint(r.key.Uaddr, 16) }).
			Note("the futex word's address, hex")),
		render.JSONOnly(render.Str("", 0, "stack_id", func(r *contention) string { return strconv.Itoa(int(r.key.UserStackId)) }).
			Note("the histogram line's stack_id label").If(!c.Summary)),
		render.JSONOnly(render.Str("", 0, "unit", func(r *contention) string { return r.unit })),
		render.JSONOnly(render.Uint("", 0, "count", func(r *contention) uint64 { return r.hist.Contended }).
			Note("waits that ended in a wake-up")),
		render.JSONOnly(render.Uint("", 0, "avg", (*contention).avg)),
		render.JSONOnly(render.Uint("", 0, "max", func(r *contention) uint64 { return r.hist.Max })),
		render.JSONOnly(render.Uint("", 0, "min", func(r *contention) uint64 { return r.hist.Min })),
		render.JSONOnly(render.Custom[contention]("", 0, nil).JSONWith("user", "array",
			func(j *render.JSON, key string, r *contention) { stacks.WriteFrames(j, key, &r.user, false) }).
			Note("the waiter's user stack, innermost first: {address, symbol, offset, module}; null and user_missed: true when lost").
			If(!c.Summary)),
	)
}

// histograms declares the histogram of each entry, labelled as its table line.
func histograms(c *config) *render.Histograms {
	labels := []string{"comm", "pid", "tid", "lock", "stack_id"}
	if c.Summary {
		labels = []string{"comm", "pid", "lock"}
	}
	return &render.Histograms{Unit: app.Units(c.Millis), Labels: labels}
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	start := banner
	if env.Out.Text() {
		// libbpf-tools says it on stderr: stdout holds only the reports.
		fmt.Fprintln(env.Out.Stderr(), banner)
		start = ""
	}
	symbolizer := stacks.NewSymbolizer(false, env.Warnf)
	style := &stacks.Style{Verbose: env.Verbose, Numbered: true, MissedTo: env.Out.Stderr(), Raw: env.Out.Raw}
	decl := histograms(c)
	recs := records(c).To(env.Out)
	unit := app.Units(c.Millis)
	return app.Report(env, c.Every, start, func() error {
		env.Out.ReportStart(c.Timestamp)
		entries, err := bpfmap.Entries[key, hist](t.Map("hists"), true)
		if err != nil {
			return err
		}
		slices.SortFunc(entries, func(a, b bpfmap.Entry[key, hist]) int {
			return cmp.Or(cmp.Compare(a.Key.ID, b.Key.ID), cmp.Compare(a.Key.Uaddr, b.Key.Uaddr),
				cmp.Compare(a.Key.UserStackId, b.Key.UserStackId))
		})
		r := stacks.NewReader(t.Map("stackmap"), symbolizer)
		for i := range entries {
			e := &entries[i]
			if e.Value.Contended == 0 {
				continue
			}
			rec := contention{comm: filter.CommBytes(e.Value.Comm[:]), key: e.Key, hist: &e.Value, unit: unit}
			if !c.Summary {
				rec.user = r.User(e.Key.UserStackId, e.Key.Tgid)
			}
			h := render.Hist{Counts: render.Counts(e.Value.Slots[:])}
			lock := "0x" + strconv.FormatUint(e.Key.Uaddr, 16)
			if c.Summary {
				h.Labels = []string{string(rec.comm), strconv.FormatUint(uint64(e.Key.Tgid), 10), lock}
			} else {
				h.Labels = []string{string(rec.comm), strconv.FormatUint(uint64(e.Key.Tgid), 10),
					strconv.FormatUint(uint64(e.Key.ID), 10), lock, strconv.Itoa(int(e.Key.UserStackId))}
			}
			if env.Out.Text() {
				h.Caption = caption(env.Out, c, style, &rec)
			} else {
				recs.Write(&rec)
			}
			env.Out.Histogram(decl, &h)
		}
		r.ReportMissed(env.Out)
		return nil
	})
}

// caption is an entry's text above its histogram, as libbpf-tools prints it: two empty lines,
// the summary sentence, then unless -s the user stack between "-" lines.
func caption(out *render.Sink, c *config, style *stacks.Style, r *contention) string {
	var b strings.Builder
	h := r.hist
	fmt.Fprintf(&b, "\n\n%s[%d] lock 0x%x contended %d times, %d avg %s [max: %d %s, min %d %s]\n",
		out.Escape(string(r.comm)), r.key.ID, r.key.Uaddr, h.Contended, r.avg(), r.unit, h.Max, r.unit, h.Min, r.unit)
	if !c.Summary {
		b.WriteString("    -\n")
		style.WriteStack(&b, &r.user, false)
		b.WriteString("    -\n")
	}
	return b.String()
}
