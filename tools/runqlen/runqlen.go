// Package runqlen samples the CPU run-queue length on a timer and summarizes it as a histogram,
// or as the share of samples that found tasks waiting (occupancy).
package runqlen

import (
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/perfevent"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

const defaultFreq = 99

// histogram mirrors struct runqlen_hist in bpf/runqlen.h.
type histogram struct {
	Slots [32]uint32
}

// config is runqlen's command line.
type config struct {
	PerCPU, Occupancy, Timestamp, Host bool
	Freq                               int
	Every                              app.Every
}

// rodata mirrors runqlen's const volatile globals.
type rodata struct {
	Host bool `bpf:"whole_rq"`
}

var Tool = app.Define(app.Def[config]{
	Name:      "runqlen",
	Usage:     "Summarize scheduler run queue length as a histogram",
	ArgsUsage: "[interval] [count]",
	Object:    "runqlen",
	Layouts:   map[string]any{"runqlen_hist": histogram{}},
	Examples: `
    runqlen         # summarize run queue length as a histogram
    runqlen 1 10    # print 1 second summaries, 10 times
    runqlen -T 1    # 1s summaries and timestamps
    runqlen -O      # report run queue occupancy
    runqlen -C      # show each CPU separately
    runqlen -H      # show nr_running from host's rq instead of cfs_rq
    runqlen -f 199  # sample at 199HZ`,
	Flags: func(c *config) []cli.Flag {
		c.Freq = defaultFreq
		return []cli.Flag{
			app.Bool(&c.PerCPU, "cpus C", "print output for each CPU separately"),
			app.Positive(&c.Freq, "frequency f", "sample with a certain `FREQUENCY` (Hz)", "frequency"),
			app.Bool(&c.Occupancy, "runqocc O", "report run queue occupancy"),
			app.Bool(&c.Timestamp, "timestamp T", "include timestamp on output"),
			app.Bool(&c.Host, "host H", "report nr_running from host's rq"),
		}
	},
	Args: func(c *config) []app.Arg { return app.IntervalArgs(&c.Every) },
	Check: func(c *config) error {
		if limit := perfevent.MaxSampleRate(); limit > 0 && c.Freq > limit {
			return app.Usagef("invalid frequency %d: above the kernel's limit of %d Hz (kernel.perf_event_max_sample_rate)", c.Freq, limit)
		}
		return nil
	},
	Spec: func(c *config) tracer.Spec {
		return tracer.Spec{Rodata: rodata{Host: c.Host}, Manual: []string{"sample"}}
	},
	Outputs: func(c *config) []render.Describer {
		return []render.Describer{histograms(c), occupancyRecords(c)}
	},
	Run: run,
})

// histograms declares the run-queue length histograms: one, or with -C one per CPU.
func histograms(c *config) *render.Histograms {
	d := &render.Histograms{Unit: "tasks", Axis: "runqlen", Linear: true, Base: 0, Step: 1}
	if c.PerCPU {
		d.Labels = []string{"cpu"}
	}
	return d
}

// occupancy is one line of -O: of the samples taken on a CPU (or all of them), how many found
// a task waiting.
type occupancy struct {
	cpu             uint64
	samples, queued uint64
}

// share is libbpf-tools' figure, computed in single precision as it does, for the same rounding.
func (o *occupancy) share() float64 {
	return float64(float32(o.queued) * 1.0 / float32(max(o.samples, 1)) * 100)
}

// occupancyRecords declares -O's lines: "runqocc: 12.50%", or with -C
// "runqocc, CPU 0    12.50%"; in JSON "table" lines with the exact percentage and the counts.
func occupancyRecords(c *config) *render.Records[occupancy] {
	text := func(s string) render.Column[occupancy] {
		return render.Str("", 0, "", func(*occupancy) string { return s })
	}
	width := 0
	if c.PerCPU {
		width = 6
	}
	return render.NewRecords(render.KindTable,
		text("runqocc, CPU").If(c.PerCPU),
		text("runqocc:").If(!c.PerCPU),
		render.Uint("CPU", -3, "cpu", func(o *occupancy) uint64 { return o.cpu }).If(c.PerCPU),
		render.Float("RUNQOCC", width, 2, "", (*occupancy).share).Tight().
			JSONFloat("occupancy_pct", func(o *occupancy) float64 {
				return 100 * float64(o.queued) / float64(max(o.samples, 1))
			}),
		text("%"),
		render.JSONOnly(render.Uint("", 0, "samples", func(o *occupancy) uint64 { return o.samples })),
		render.JSONOnly(render.Uint("", 0, "queued", func(o *occupancy) uint64 { return o.queued })),
	)
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	if err := perfevent.AttachCPUClock(t, "sample", c.Freq); err != nil {
		return err
	}
	decl := histograms(c)
	occ := occupancyRecords(c).To(env.Out)
	m, key := t.Map("hists"), uint32(0)
	return app.Report(env, c.Every, "Sampling run queue length... Hit Ctrl-C to end.", func() error {
		env.Out.ReportStart(c.Timestamp)
		cpus, err := bpfmap.PerCPU[histogram](m, &key)
		if err != nil {
			return err
		}
		// Reset by writing zeros for every CPU: a per-CPU array update takes them all at once.
		if err := bpfmap.Update(m, &key, &make([]histogram, len(cpus))[0]); err != nil {
			return err
		}
		hists := cpus
		if !c.PerCPU {
			hists = []histogram{sum(cpus)}
		}
		for i := range hists {
			if c.Occupancy {
				o := occupancy{cpu: uint64(i)}
				for n, v := range hists[i].Slots {
					o.samples += uint64(v)
					if n > 0 {
						o.queued += uint64(v)
					}
				}
				occ.Write(&o)
				continue
			}
			h := render.Hist{Counts: render.Counts(hists[i].Slots[:])}
			if c.PerCPU {
				h.Caption = "cpu = " + strconv.Itoa(i) + "\n"
				h.Labels = []string{strconv.Itoa(i)}
			}
			env.Out.Histogram(decl, &h)
		}
		return nil
	})
}

func sum(cpus []histogram) histogram {
	var total histogram
	for _, h := range cpus {
		for i, v := range h.Slots {
			total.Slots[i] += v
		}
	}
	return total
}
