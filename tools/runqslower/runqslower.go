// Package runqslower traces scheduling events where a task waited on the run queue for longer
// than a threshold.
package runqslower

import (
	"fmt"
	"strconv"
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

const defaultMinUs = 10000

// event mirrors struct runqslower_event in bpf/runqslower.h.
type event struct {
	Task     [16]byte
	PrevTask [16]byte
	DeltaUs  uint64
	Pid      uint32
	PrevPid  uint32
}

// config is runqslower's command line.
type config struct {
	Pid, Tid uint32
	Comm     string
	Previous bool
	MinUs    uint64
}

// rodata mirrors runqslower's const volatile globals.
type rodata struct {
	MinUs uint64   `bpf:"min_us"`
	Tgid  uint32   `bpf:"target_tgid"`
	Tid   uint32   `bpf:"target_tid"`
	Comm  [16]byte `bpf:"target_comm"`
}

var Tool = app.Define(app.Def[config]{
	Name:      "runqslower",
	Usage:     "Trace high run queue latency",
	ArgsUsage: "[min_us]",
	Object:    "runqslower",
	Layouts:   map[string]any{"runqslower_event": event{}},
	Examples: `
    runqslower         # trace latency higher than 10000 us (default)
    runqslower 1000    # trace latency higher than 1000 us
    runqslower -p 123  # trace pid 123
    runqslower -t 123  # trace tid 123 (use for threads only)
    runqslower -c ksof # Trace processes with names starting with 'ksof'
    runqslower -P      # also show previous task name and TID`,
	Flags: func(c *config) []cli.Flag {
		return []cli.Flag{
			app.PID(&c.Pid, "pid p", "process PID to trace", "pid"),
			app.PID(&c.Tid, "tid t", "thread TID to trace", "tid"),
			app.String(&c.Comm, "comm c", "filter processes by command name prefix"),
			app.Bool(&c.Previous, "previous P", "also show previous task name and TID"),
		}
	},
	Args: func(c *config) []app.Arg {
		c.MinUs = defaultMinUs
		return []app.Arg{{Name: "min_us", Set: func(s string) error {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n <= 0 {
				return fmt.Errorf("invalid delay (in us): %s", s)
			}
			c.MinUs = uint64(n)
			return nil
		}}}
	},
	Spec: func(c *config) tracer.Spec {
		return tracer.Spec{
			Rodata: rodata{MinUs: c.MinUs, Tgid: c.Pid, Tid: c.Tid, Comm: filter.Comm(c.Comm)},
			Probes: []tracer.Probe{
				tracer.BTFTracepoint("task wakeups", "wakeup", "sched:sched_wakeup"),
				tracer.BTFTracepoint("new task wakeups", "wakeup_new", "sched:sched_wakeup_new"),
				tracer.BTFTracepoint("context switches", "switch", "sched:sched_switch"),
			},
		}
	},
	Outputs: func(c *config) []render.Describer { return []render.Describer{records(c)} },
	Run:     run,
})

// records declares runqslower's lines: TIME, COMM, TID, LAT(us) and with -P the task that
// ran before.
func records(c *config) *render.Records[event] {
	return render.NewRecords(render.KindEvent,
		render.Clock[event]("TIME", -8, false),
		render.Text("COMM", -16, "comm", func(e *event) []byte { return filter.CommBytes(e.Task[:]) }),
		render.Uint("TID", -6, "tid", func(e *event) uint64 { return uint64(e.Pid) }),
		render.Uint("LAT(us)", 14, "latency_us", func(e *event) uint64 { return e.DeltaUs }),
		render.Text("PREV COMM", -16, "prev_comm", func(e *event) []byte { return filter.CommBytes(e.PrevTask[:]) }).If(c.Previous),
		render.Uint("PREV TID", -6, "prev_tid", func(e *event) uint64 { return uint64(e.PrevPid) }).If(c.Previous),
	)
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	if len(c.Comm) >= 16 {
		env.Warnf("Warning: Command name '%.15s...' is too long (max 16), truncated to: '%.15s'", render.Escape(c.Comm), render.Escape(c.Comm))
	}
	recs := records(c).To(env.Out)
	return app.Stream(env, t, app.StreamOptions{
		Banner:     fmt.Sprintf("Tracing run queue latency higher than %d us", c.MinUs),
		Header:     recs,
		LostFormat: "Lost %d events!",
	}, app.WriteEvents(recs, eventSize))
}

var eventSize = unsafe.Sizeof(event{})
