// Package softirqslower reports soft interrupts that waited too long to run, or ran too long.
package softirqslower

import (
	"strconv"
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
	"github.com/bpfutils/bpfutils/tools/softirqs"
)

// event mirrors struct softirqslower_event in bpf/softirqslower.h.
type event struct {
	DeltaUs uint64
	Stage   uint32
	Vec     uint32
	CPU     uint32
	Comm    [16]byte
}

var eventSize = unsafe.Sizeof(event{})

var stages = []string{"irq(hard) to softirq", "softirq runtime"}

// config is softirqslower's command line.
type config struct {
	MinUs uint64
	CPU   int
}

// rodata mirrors softirqslower's const volatile globals.
type rodata struct {
	MinUs   uint64 `bpf:"min_us"`
	OnlyCPU int32  `bpf:"only_cpu"`
}

var Tool = app.Define(app.Def[config]{
	Name:      "softirqslower",
	Usage:     "Trace slow soft IRQ (interrupt).",
	ArgsUsage: "[min_us]",
	Object:    "softirqslower",
	Layouts:   map[string]any{"softirqslower_event": event{}},
	Examples: `
    softirqslower        # trace softirq latency higher than 10000 us (default)
    softirqslower 100000 # trace softirq latency higher than 100000 us
    softirqslower -c 1   # trace softirq latency on CPU 1 only`,
	Flags: func(c *config) []cli.Flag {
		return []cli.Flag{app.CPU(&c.CPU, "cpu c", "Trace this CPU only")}
	},
	Args:    args,
	Spec:    spec,
	Outputs: func(*config) []render.Describer { return []render.Describer{records()} },
	Run:     run,
})

// args binds [min_us]. A second argument is refused in libbpf-tools' softirqslower's own
// words, which capitalise what the runtime says of extra arguments.
func args(c *config) []app.Arg {
	c.MinUs = 10000
	return []app.Arg{
		{Name: "min_us", Set: func(s string) error {
			n, err := strconv.ParseUint(s, 10, 63)
			if err != nil || n == 0 {
				return app.Usagef("Invalid min latency (in us): %s", s)
			}
			c.MinUs = n
			return nil
		}},
		{Name: "unexpected", Set: func(s string) error { return app.Usagef("Unrecognized positional argument: %s", s) }},
	}
}

func spec(c *config) tracer.Spec {
	return tracer.Spec{
		Rodata: rodata{MinUs: c.MinUs, OnlyCPU: int32(c.CPU)},
		Probes: []tracer.Probe{
			tracer.BTFTracepoint("softirq raise", "sirq_raise", "irq:softirq_raise"),
			tracer.BTFTracepoint("softirq entry", "sirq_entry", "irq:softirq_entry"),
			tracer.BTFTracepoint("softirq exit", "sirq_exit", "irq:softirq_exit"),
		},
	}
}

// records declares softirqslower's lines: libbpf-tools' "%-8s %-20s %-8s %-14llu %-6u %-16s".
// The clock is text only: JSON lines carry their time already.
func records() *render.Records[event] {
	return render.NewRecords(render.KindEvent,
		render.Clock[event]("TIME", -8, false),
		render.Str("STAGE", -20, "stage", func(e *event) string { return name(stages, e.Stage) }),
		render.Str("SOFTIRQ", -8, "vector", func(e *event) string { return name(softirqs.Vectors, e.Vec) }),
		render.Uint("LAT(us)", -14, "latency_us", func(e *event) uint64 { return e.DeltaUs }),
		render.Uint("CPU", -6, "cpu", func(e *event) uint64 { return uint64(e.CPU) }),
		render.Text("COMM", -16, "comm", func(e *event) []byte { return filter.CommBytes(e.Comm[:]) }),
	)
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	recs := records().To(env.Out)
	return app.Stream(env, t, app.StreamOptions{
		Banner:     "Tracing softirq latency higher than " + strconv.FormatUint(c.MinUs, 10) + " us... Hit Ctrl-C to end.",
		Header:     recs,
		LostFormat: "Lost %d events!",
	}, app.WriteEvents(recs, eventSize))
}

func name(names []string, i uint32) string {
	if int(i) < len(names) {
		return names[i]
	}
	return "unknown"
}
