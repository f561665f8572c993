// Package syncsnoop traces sync(), fsync() and the other calls that write cached data to disk.
package syncsnoop

import (
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// event mirrors struct syncsnoop_event in bpf/syncsnoop.h.
type event struct {
	TsNs uint64
	Pid  uint32
	Tid  uint32
	Call uint32
	Comm [16]byte
}

// callNames are the syscalls, indexed by enum syncsnoop_call.
var callNames = [...]string{"N/A", "sync", "fsync", "fdatasync", "msync",
	"sync_file_range", "sync_file_range2", "arm_sync_file_range", "syncfs"}

// optional are the calls only some architectures have (sync_file_range2 and the arm one; on
// x86-64 only sync_file_range exists).
var optional = map[string]bool{"sync_file_range": true, "sync_file_range2": true, "arm_sync_file_range": true}

type config struct{}

var Tool = app.Define(app.Def[config]{
	Name:      "syncsnoop",
	Usage:     "Trace sync syscalls",
	ArgsUsage: " ",
	Object:    "syncsnoop",
	Caps:      []string{"CAP_DAC_READ_SEARCH"},
	Layouts:   map[string]any{"syncsnoop_event": event{}},
	Consts:    map[string]int64{"SYNCSNOOP_SYNC": 1, "SYNCSNOOP_SYNCFS": int64(len(callNames) - 1)},
	Examples: `
    syncsnoop  # trace sync syscalls`,
	Flags: func(c *config) []cli.Flag { return nil },
	Spec: func(c *config) tracer.Spec {
		var probes []tracer.Probe
		for _, call := range callNames[1:] {
			probes = append(probes, tracer.Probe{
				What:     call,
				Hooks:    []tracer.Hook{{Prog: call + "_enter", Kind: tracer.Tracepoint, Target: "syscalls:sys_enter_" + call}},
				Optional: optional[call],
			})
		}
		return tracer.Spec{Probes: probes}
	},
	Outputs: func(c *config) []render.Describer { return []render.Describer{records()} },
	Run:     run,
})

// textSeconds is the TIME(s) libbpf-tools prints: microseconds since boot divided in single
// precision (a C float), so that it matches it digit for digit.
func textSeconds(e *event) float64 {
	return float64(float32(e.TsNs/1000) / 1e6)
}

func records() *render.Records[event] {
	return render.NewRecords(render.KindEvent,
		render.Custom("TIME(s)", -18, func(l *render.Line, e *event) { l.Float(textSeconds(e), -18, 9) }).
			JSONFloat("time_s", func(e *event) float64 { return float64(e.TsNs) / 1e9 }).
			Note("seconds since boot (CLOCK_MONOTONIC)"),
		render.JSONOnly(render.Uint("PID", 0, "pid", func(e *event) uint64 { return uint64(e.Pid) })),
		render.JSONOnly(render.Uint("TID", 0, "tid", func(e *event) uint64 { return uint64(e.Tid) })),
		render.Text("COMM", -16, "comm", func(e *event) []byte { return filter.CommBytes(e.Comm[:]) }),
		// libbpf-tools pads the last column of its rows, not of its header.
		render.Custom("CALL", 0, func(l *render.Line, e *event) { l.Str(callName(e.Call), -16) }).
			JSONWith("call", "string", func(j *render.JSON, key string, e *event) { j.Str(key, callName(e.Call)) }),
	)
}

func callName(call uint32) string {
	if int(call) < len(callNames) {
		return callNames[call]
	}
	return callNames[0]
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	recs := records().To(env.Out)
	return app.Stream(env, t, app.StreamOptions{Header: recs, LostFormat: "Lost %d events!"}, app.WriteEvents(recs, unsafe.Sizeof(event{})))
}
