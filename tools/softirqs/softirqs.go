// Package softirqs sums the time spent in soft interrupt handlers, per vector.
package softirqs

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

const slots = 20

// stat mirrors struct softirq_stat in bpf/softirqs.h.
type stat struct {
	Count uint64
	Time  uint64
	Slots [slots]uint32
}

// Vectors names the softirq vectors in the kernel's order (NR_SOFTIRQS of them).
var Vectors = []string{"hi", "timer", "net_tx", "net_rx", "block", "irq_poll", "tasklet", "sched", "hrtimer", "rcu"}

// config is softirqs' command line.
type config struct {
	Dist, Timestamp, Nanoseconds, Count bool
	CPU                                 int
	Every                               app.Every
}

// rodata mirrors softirqs' const volatile globals.
type rodata struct {
	AsHist  bool  `bpf:"as_hist"`
	InNs    bool  `bpf:"in_ns"`
	OnlyCPU int32 `bpf:"only_cpu"`
}

var Tool = app.Define(app.Def[config]{
	Name:      "softirqs",
	Usage:     "Summarize soft irq event time as histograms.",
	ArgsUsage: "[interval] [count]",
	Object:    "softirqs",
	Layouts:   map[string]any{"softirq_stat": stat{}},
	Examples: `
    softirqs            # sum soft irq event time
    softirqs -d         # show soft irq event time as histograms
    softirqs -c 1       # show soft irq event time on cpu 1
    softirqs 1 10       # print 1 second summaries, 10 times
    softirqs -NT 1      # 1s summaries, nanoseconds, and timestamps`,
	Flags: func(c *config) []cli.Flag {
		return []cli.Flag{
			app.Bool(&c.Dist, "distributed d dist", "Show distributions as histograms"),
			app.Timestamp(&c.Timestamp, "timestamp T"),
			app.Nanoseconds(&c.Nanoseconds),
			app.Bool(&c.Count, "count C events", "Show event counts with timing"),
			app.CPU(&c.CPU, "cpu c", "Trace this cpu only"),
		}
	},
	Args:    func(c *config) []app.Arg { return app.IntervalArgs(&c.Every) },
	Spec:    spec,
	Outputs: func(c *config) []render.Describer { return []render.Describer{output(c)} },
	Run:     run,
})

func spec(c *config) tracer.Spec {
	return tracer.Spec{
		Rodata: rodata{AsHist: c.Dist, InNs: c.Nanoseconds, OnlyCPU: int32(c.CPU)},
		Probes: []tracer.Probe{
			tracer.BTFTracepoint("softirq entry", "softirq_entry", "irq:softirq_entry"),
			tracer.BTFTracepoint("softirq exit", "softirq_exit", "irq:softirq_exit"),
		},
	}
}

// output is what softirqs reports: histograms with -d, else the table.
func output(c *config) render.Describer {
	if c.Dist {
		return histograms(c)
	}
	return table(c)
}

// table declares the rows of the default report, one per vector that ran. libbpf-tools prints
// the header as "%-16s %-6s%-5s  %-11s" and each row as "%-16s %11llu", with "  %11llu" for the
// count after it only under -C: without -C the header still ends in the count's blank field
// (13 spaces) and rows end after the time. The time column is therefore Tight and the count
// column brings its own two spaces; it is always in JSON.
func table(c *config) *render.Records[sum] {
	u := app.NanoUnits(c.Nanoseconds)
	countHeader := ""
	if c.Count {
		countHeader = "TOTAL_count"
	}
	return render.NewRecords(render.KindTable,
		render.Str("SOFTIRQ", -16, "vector", func(s *sum) string { return Vectors[s.Vec] }),
		render.Uint("TOTAL_"+u, 11, "total_"+u, func(s *sum) uint64 { return s.Time }).Tight(),
		render.Custom(fmt.Sprintf("  %-11s", countHeader), 0, func(l *render.Line, s *sum) {
			if c.Count {
				l.Byte(' ').Byte(' ').Uint(s.Count, 11)
			}
		}).JSONUint("count", func(s *sum) uint64 { return s.Count }),
	)
}

// histograms declares the -d report: one histogram per vector that ran.
func histograms(c *config) *render.Histograms {
	return &render.Histograms{Unit: app.NanoUnits(c.Nanoseconds), Labels: []string{"vector"}}
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	m := t.Map("softirq_stats")
	counters := &totals{read: func(vec int) ([]stat, error) {
		key := uint32(vec)
		return bpfmap.PerCPU[stat](m, &key)
	}}
	rows := table(c).To(env.Out)
	return app.Report(env, c.Every, "Tracing soft irq event time... Hit Ctrl-C to end.", func() error {
		env.Out.ReportStart(c.Timestamp)
		delta, err := counters.since()
		if err != nil {
			return err
		}
		report(env.Out, c, rows, delta)
		return nil
	})
}

// report prints one interval's change of the vectors that ran: each one's histogram and an
// empty line with -d, else the table (rows is table(c) bound to out).
func report(out *render.Sink, c *config, rows *render.Records[sum], delta []sum) {
	hists := histograms(c)
	if !c.Dist {
		rows.Header()
	}
	for i := range delta {
		d := &delta[i]
		switch {
		case d.Count == 0:
		case c.Dist:
			out.Histogram(hists, &render.Hist{
				Caption: "softirq = " + Vectors[d.Vec] + "\n",
				Labels:  []string{Vectors[d.Vec]},
				Counts:  d.Slots[:],
			})
			out.Printf("\n")
		default:
			rows.Write(d)
		}
	}
}

// sum is one vector's change over an interval, all CPUs together.
type sum struct {
	Vec         int // index in Vectors
	Count, Time uint64
	Slots       [slots]uint64
}

// totals turns the ever-growing per-CPU counters into per-interval sums. Nothing is reset in
// the kernel, so no event is lost between reading and clearing.
type totals struct {
	read func(vec int) ([]stat, error) // one vector's counters, per CPU
	prev [][]stat                      // [vector][cpu]
}

func (tt *totals) since() ([]sum, error) {
	cur := make([][]stat, len(Vectors))
	for vec := range Vectors {
		var err error
		if cur[vec], err = tt.read(vec); err != nil {
			return nil, err
		}
	}
	out := change(tt.prev, cur)
	tt.prev = cur
	return out, nil
}

// change adds up, over CPUs, how far each vector's counters moved from prev to cur. Unsigned
// subtraction keeps a wrapped 32-bit bucket right.
func change(prev, cur [][]stat) []sum {
	out := make([]sum, len(cur))
	for vec, cpus := range cur {
		out[vec].Vec = vec
		for cpu, s := range cpus {
			var p stat
			if vec < len(prev) && cpu < len(prev[vec]) {
				p = prev[vec][cpu]
			}
			out[vec].Count += s.Count - p.Count
			out[vec].Time += s.Time - p.Time
			for i := range s.Slots {
				out[vec].Slots[i] += uint64(s.Slots[i] - p.Slots[i])
			}
		}
	}
	return out
}
