// Package softirqslower reports soft interrupts that waited too long to run, or ran too long.
package softirqslower

import (
	"fmt"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/filter"
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

var stages = []string{"irq(hard) to softirq", "softirq runtime"}

var Tool = app.Tool{
	Name:      "softirqslower",
	Usage:     "Trace slow soft IRQ (interrupt).",
	ArgsUsage: "[min_us]",
	Object:    "softirqslower",
	Layouts:   map[string]any{"softirqslower_event": event{}},
	Examples: `
    softirqslower        # trace softirq latency higher than 10000 us (default)
    softirqslower 100000 # trace softirq latency higher than 100000 us
    softirqslower -c 1   # trace softirq latency on CPU 1 only`,
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "cpu", Aliases: []string{"c"}, Usage: "Trace this CPU only"},
	},
	Action: run,
}

func run(c *cli.Context) error {
	minUs := uint64(10000)
	switch c.NArg() {
	case 0:
	case 1:
		n, err := strconv.ParseUint(c.Args().First(), 10, 63)
		if err != nil || n == 0 {
			return app.Usagef("Invalid min latency (in us): %s", c.Args().First())
		}
		minUs = n
	default:
		return app.Usagef("Unrecognized positional argument: %s", c.Args().Get(1))
	}
	onlyCPU, err := app.CPU(c, "cpu")
	if err != nil {
		return err
	}

	t, err := app.Start(tracer.Spec{
		Object: "softirqslower",
		Rodata: map[string]any{"min_us": minUs, "only_cpu": int32(onlyCPU)},
		Probes: []tracer.Probe{
			tracer.BTFTracepoint("softirq raise", "sirq_raise", "irq:softirq_raise"),
			tracer.BTFTracepoint("softirq entry", "sirq_entry", "irq:softirq_entry"),
			tracer.BTFTracepoint("softirq exit", "sirq_exit", "irq:softirq_exit"),
		},
	})
	if err != nil {
		return err
	}
	defer t.Close()

	w := app.Output
	fmt.Fprintf(w, "Tracing softirq latency higher than %d us... Hit Ctrl-C to end.\n", minUs)
	fmt.Fprintf(w, "%-8s %-20s %-8s %-14s %-6s %-16s\n", "TIME", "STAGE", "SOFTIRQ", "LAT(us)", "CPU", "COMM")
	w.Flush()
	return app.Stream(c.Context, t, app.StreamOptions{LostFormat: "Lost %d events!"}, func(rec []byte) {
		e := tracer.Cast[event](rec, 36)
		if e == nil {
			return
		}
		fmt.Fprintf(w, "%-8s %-20s %-8s %-14d %-6d %-16s\n", app.Timestamp(), name(stages, e.Stage),
			name(softirqs.Vectors, e.Vec), e.DeltaUs, e.CPU, filter.CommString(e.Comm[:]))
	})
}

func name(names []string, i uint32) string {
	if int(i) < len(names) {
		return names[i]
	}
	return "unknown"
}
