// Package exitsnoop traces process termination: who exited, how old it was, and with what
// status or signal.
package exitsnoop

import (
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/signame"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// event mirrors struct exitsnoop_event in bpf/exitsnoop.h.
type event struct {
	StartNs  uint64
	ExitNs   uint64
	Pid      uint32
	Tid      uint32
	Ppid     uint32
	Sig      uint32
	ExitCode int32
	Comm     [16]byte
}

// config is exitsnoop's command line.
type config struct {
	Timestamp, Failed, Threaded bool
	Pid                         uint32
	Cgroup                      string
}

// rodata mirrors exitsnoop's const volatile globals.
type rodata struct {
	Pid       uint32 `bpf:"target_pid"`
	Failed    bool   `bpf:"failed_only"`
	PerThread bool   `bpf:"per_thread"`
}

var Tool = app.Define(app.Def[config]{
	Name:    "exitsnoop",
	Usage:   "Trace process termination.",
	Object:  "exitsnoop",
	Caps:    []string{"CAP_DAC_READ_SEARCH"},
	Layouts: map[string]any{"exitsnoop_event": event{}},
	Examples: `
    exitsnoop             # trace process exit events
    exitsnoop -t          # include timestamps
    exitsnoop -x          # trace error exits only
    exitsnoop -p 1216     # only trace PID 1216
    exitsnoop -T          # trace by thread
    exitsnoop -c CG       # Trace process under cgroupsPath CG`,
	Flags: func(c *config) []cli.Flag {
		return []cli.Flag{
			app.Bool(&c.Timestamp, "timestamp t", "Include timestamp on output"),
			app.Bool(&c.Failed, "failed x", "Trace error exits only."),
			app.PID(&c.Pid, "pid p", "Process ID to trace (`PID`)", "pid"),
			app.Bool(&c.Threaded, "threaded T", "Trace by thread."),
			app.Cgroup(&c.Cgroup, "cgroup c", ""),
		}
	},
	Spec:    spec,
	Outputs: func(c *config) []render.Describer { return []render.Describer{records(c)} },
	Run:     run,
})

func spec(c *config) tracer.Spec {
	return tracer.Spec{
		Rodata: rodata{Pid: c.Pid, Failed: c.Failed, PerThread: c.Threaded},
		Probes: []tracer.Probe{{What: "process exit", Hooks: []tracer.Hook{
			{Prog: "process_exit", Kind: tracer.Tracepoint, Target: "sched:sched_process_exit"},
		}}},
		Cgroup: c.Cgroup,
	}
}

// record is one exit as the columns read it.
type record struct {
	e    *event
	comm []byte
}

func (r *record) signal() uint32   { return r.e.Sig & 0x7f }
func (r *record) coreDumped() bool { return r.e.Sig&0x80 != 0 }
func (r *record) ageSeconds() float64 {
	if r.e.ExitNs < r.e.StartNs {
		return 0
	}
	return float64(r.e.ExitNs-r.e.StartNs) / 1e9
}

// records declares exitsnoop's lines. The -t time is "%8s " under a "%-8s " header: both are
// eight characters wide.
func records(c *config) *render.Records[record] {
	return render.NewRecords(render.KindEvent,
		render.Clock[record]("TIME(s)", -8, false).If(c.Timestamp),
		render.Text("PCOMM", -16, "comm", func(r *record) []byte { return r.comm }),
		render.Uint("PID", -7, "pid", func(r *record) uint64 { return uint64(r.e.Pid) }),
		render.Uint("PPID", -7, "ppid", func(r *record) uint64 { return uint64(r.e.Ppid) }),
		render.Uint("TID", -7, "tid", func(r *record) uint64 { return uint64(r.e.Tid) }),
		render.Float("AGE(s)", -7, 2, "age_s", (*record).ageSeconds),
		render.Custom("EXIT_CODE", 0, writeStatus).
			JSONInt("exit_code", func(r *record) int64 { return int64(r.e.ExitCode) }).
			Note("the exit status; 0 when a signal ended the process"),
		render.JSONOnly(render.Uint("", 0, "signal", func(r *record) uint64 { return uint64(r.signal()) }).
			Note("the signal that ended the process, 0 for none")),
		render.JSONOnly(render.Custom[record]("", 0, nil).JSONWith("core_dumped", "boolean",
			func(j *render.JSON, key string, r *record) { j.Bool(key, r.coreDumped()) })),
	)
}

// writeStatus writes the EXIT_CODE column as libbpf-tools does: 0, "code N", or
// "signal N (description)" with ", core dumped" when the kernel dumped core.
func writeStatus(l *render.Line, r *record) {
	if r.e.Sig == 0 {
		if r.e.ExitCode == 0 {
			l.Byte('0')
			return
		}
		l.Str("code ", 0).Int(int64(r.e.ExitCode), 0)
		return
	}
	if sig := r.signal(); sig != 0 {
		l.Str("signal ", 0).Uint(uint64(sig), 0).Str(" (", 0).Str(signame.Description(int(sig)), 0).Byte(')')
	}
	if r.coreDumped() {
		l.Str(", core dumped", 0)
	}
}

var eventSize = unsafe.Sizeof(event{})

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	recs := records(c).To(env.Out)
	var r record
	return app.Stream(env, t, app.StreamOptions{Header: recs}, func(rec []byte) {
		e := tracer.Cast[event](rec, eventSize)
		if e == nil {
			return
		}
		r.e, r.comm = e, filter.CommBytes(e.Comm[:])
		recs.Write(&r)
	})
}
