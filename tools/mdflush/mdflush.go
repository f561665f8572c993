// Package mdflush traces the flush requests sent to md (software RAID) devices.
package mdflush

import (
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// event mirrors struct mdflush_event in bpf/mdflush.h.
type event struct {
	Pid  uint32
	Comm [16]byte
	Disk [32]byte
}

type config struct{}

var Tool = app.Define(app.Def[config]{
	Name:      "mdflush",
	Usage:     "Trace md flush events.",
	ArgsUsage: " ",
	Object:    "mdflush",
	Layouts:   map[string]any{"mdflush_event": event{}},
	Examples: `
    mdflush   # trace md flush events`,
	Flags: func(c *config) []cli.Flag { return nil },
	Spec: func(c *config) tracer.Spec {
		return tracer.Spec{Probes: []tracer.Probe{{What: "md flush requests", Hooks: []tracer.Hook{
			{Prog: "md_flush_fentry", Kind: tracer.Fentry, Target: "md_flush_request"},
			{Prog: "md_flush_kprobe", Kind: tracer.Kprobe, Target: "md_flush_request"},
			{Prog: "bio_queue_raw", Kind: tracer.RawTP, Target: "block:block_bio_queue"},
			{Prog: "bio_queue_btf", Kind: tracer.TPBTF, Target: "block:block_bio_queue"},
		}}}}
	},
	Outputs: func(c *config) []render.Describer { return []render.Describer{records()} },
	Run:     run,
})

func records() *render.Records[event] {
	return render.NewRecords(render.KindEvent,
		render.Clock[event]("TIME", -8, false),
		render.Uint("PID", -7, "pid", func(e *event) uint64 { return uint64(e.Pid) }),
		render.Text("COMM", -16, "comm", func(e *event) []byte { return filter.CommBytes(e.Comm[:]) }),
		render.Text("DEVICE", 0, "device", func(e *event) []byte { return filter.CommBytes(e.Disk[:]) }),
	)
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	if env.Verbose && (t.Uses("bio_queue_raw") || t.Uses("bio_queue_btf")) {
		env.Warnf("mdflush: through the block:block_bio_queue tracepoint (no fentry or kprobe on md_flush_request, " +
			"or md not loaded yet): preflush bios queued to md devices, known by major 9 or an md name")
	}
	recs := records().To(env.Out)
	opts := app.StreamOptions{Banner: "Tracing md flush requests... Hit Ctrl-C to end.", Header: recs}
	return app.Stream(env, t, opts, app.WriteEvents(recs, unsafe.Sizeof(event{})))
}
