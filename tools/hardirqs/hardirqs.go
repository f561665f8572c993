// Package hardirqs sums the time spent in hard interrupt handlers, per handler name.
package hardirqs

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// key mirrors struct hardirq_key in bpf/hardirqs.h.
type key struct {
	Name [32]byte
	CPU  uint32
}

// info mirrors struct hardirq_info.
type info struct {
	Count uint64
	Total uint64
	Max   uint64
	Slots [20]uint32
}

// entry is one handler (on one CPU with -C) as the handlers map holds it.
type entry = bpfmap.Entry[key, info]

// config is hardirqs' command line.
type config struct {
	PerCPU, Dist, Timestamp, Nanoseconds bool
	Cgroup                               string
	CPU                                  int
	Every                                app.Every
}

// rodata mirrors hardirqs' const volatile globals.
type rodata struct {
	PerCPU  bool  `bpf:"per_cpu"`
	AsHist  bool  `bpf:"as_hist"`
	InNs    bool  `bpf:"in_ns"`
	OnlyCPU int32 `bpf:"only_cpu"`
}

var Tool = app.Define(app.Def[config]{
	Name:      "hardirqs",
	Usage:     "Summarize hard irq event time as histograms.",
	ArgsUsage: "[interval] [count]",
	Object:    "hardirqs",
	Layouts:   map[string]any{"hardirq_key": key{}, "hardirq_info": info{}},
	Examples: `
    hardirqs            # sum hard irq event time
    hardirqs -d         # show hard irq event time as histograms
    hardirqs 1 10       # print 1 second summaries, 10 times
    hardirqs -c CG      # Trace process under cgroupsPath CG
    hardirqs --cpu 1    # only stat irq on cpu 1
    hardirqs -C         # display separately by CPU
    hardirqs -NT 1      # 1s summaries, nanoseconds, and timestamps`,
	Flags: func(c *config) []cli.Flag {
		return []cli.Flag{
			app.Bool(&c.PerCPU, "CPU C", "Display separately by CPU"),
			app.Bool(&c.Dist, "distributed d dist", "Show distributions as histograms"),
			app.Cgroup(&c.Cgroup, "cgroup c", ""),
			app.CPU(&c.CPU, "cpu s", "Only stat irq on selected cpu"),
			app.Timestamp(&c.Timestamp, "timestamp T"),
			app.Nanoseconds(&c.Nanoseconds),
		}
	},
	Args:    func(c *config) []app.Arg { return app.IntervalArgs(&c.Every) },
	Spec:    spec,
	Outputs: func(c *config) []render.Describer { return []render.Describer{output(c)} },
	Run:     run,
})

func spec(c *config) tracer.Spec {
	return tracer.Spec{
		Rodata: rodata{PerCPU: c.PerCPU, AsHist: c.Dist, InNs: c.Nanoseconds, OnlyCPU: int32(c.CPU)},
		Probes: []tracer.Probe{
			tracer.BTFTracepoint("irq handler entry", "irq_entry", "irq:irq_handler_entry"),
			tracer.BTFTracepoint("irq handler exit", "irq_exit", "irq:irq_handler_exit"),
		},
		Cgroup: c.Cgroup,
	}
}

// output is what hardirqs reports: histograms with -d, else the table.
func output(c *config) render.Describer {
	if c.Dist {
		return histograms(c)
	}
	return table(c)
}

// table declares the rows of the default report, one per handler (and CPU with -C). The unit
// headers are libbpf-tools' "%6s%5s" of "TOTAL_" and the unit: 11 characters, as wide as the
// values under them.
func table(c *config) *render.Records[entry] {
	u := app.NanoUnits(c.Nanoseconds)
	return render.NewRecords(render.KindTable,
		render.Text("HARDIRQ", -33, "irq", irq),
		render.Uint("TOTAL_count", 11, "count", func(e *entry) uint64 { return e.Value.Count }),
		render.Uint("TOTAL_"+u, 11, "total_"+u, func(e *entry) uint64 { return e.Value.Total }),
		render.Uint("MAX_"+u, 9, "max_"+u, func(e *entry) uint64 { return e.Value.Max }),
		render.Uint("CPU", 3, "cpu", func(e *entry) uint64 { return uint64(e.Key.CPU) }).If(c.PerCPU),
	)
}

// histograms declares the -d report: one histogram per handler (and CPU with -C).
func histograms(c *config) *render.Histograms {
	labels := []string{"irq"}
	if c.PerCPU {
		labels = append(labels, "cpu")
	}
	return &render.Histograms{Unit: app.NanoUnits(c.Nanoseconds), Labels: labels}
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	handlers := t.Map("handlers")
	rows := table(c).To(env.Out)
	return app.Report(env, c.Every, "Tracing hard irq event time... Hit Ctrl-C to end.", func() error {
		env.Out.ReportStart(c.Timestamp)
		entries, err := bpfmap.Entries[key, info](handlers, true)
		if err != nil {
			return err
		}
		report(env.Out, c, rows, entries)
		return nil
	})
}

// report prints one interval's handlers, sorted by name and CPU: each one's histogram with -d,
// else the table (rows is table(c) bound to out).
func report(out *render.Sink, c *config, rows *render.Records[entry], entries []entry) {
	slices.SortFunc(entries, func(a, b entry) int {
		return cmp.Or(bytes.Compare(irq(&a), irq(&b)), cmp.Compare(a.Key.CPU, b.Key.CPU))
	})
	if c.Dist {
		hists := histograms(c)
		for i := range entries {
			h := hist(out, c, &entries[i])
			out.Histogram(hists, &h)
		}
		return
	}
	rows.Header()
	for i := range entries {
		rows.Write(&entries[i])
	}
}

// hist is one handler's histogram, captioned as libbpf-tools does (the name as out shows traced
// strings: a driver names its handler).
func hist(out *render.Sink, c *config, e *entry) render.Hist {
	name := string(irq(e))
	h := render.Hist{Caption: "hardirq = " + out.Escape(name) + "\n", Labels: []string{name}, Counts: render.Counts(e.Value.Slots[:])}
	if c.PerCPU {
		h.Caption = fmt.Sprintf("cpu = %d %s", e.Key.CPU, h.Caption)
		h.Labels = append(h.Labels, fmt.Sprint(e.Key.CPU))
	}
	return h
}

// irq is the handler's name (the irqaction's, as /proc/interrupts shows it).
func irq(e *entry) []byte { return filter.CommBytes(e.Key.Name[:]) }
