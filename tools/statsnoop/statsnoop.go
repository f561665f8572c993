// Package statsnoop traces the stat family of syscalls: who looked up which path, and how it went.
package statsnoop

import (
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/dentrypath"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// event mirrors struct statsnoop_event in bpf/statsnoop.h.
type event struct {
	TsNs     uint64
	Pid      uint32
	Tid      uint32
	Ret      int32
	Call     uint32
	NameLen  uint16
	DirLen   uint16
	Base     uint32
	DirState uint32
	Comm     [16]byte
	Path     [4096 + 8192]byte
}

var pathOffset = unsafe.Offsetof(event{}.Path)

// enum statsnoop_base
const (
	baseNone = iota
	baseDir
	baseFile
)

// callNames are libbpf-tools' names, indexed by enum statsnoop_call.
var callNames = [...]string{"N/A", "statfs", "newstat", "statx", "newfstat", "newfstatat", "newlstat"}

// eventsSize: stat storms (ls -lR, find) are as dense as open storms; opensnoop's measured size.
const eventsSize = 1 << 20

type config struct {
	Pid                        uint32
	Failed, Timestamp, Sysname bool
}

// rodata mirrors statsnoop's const volatile globals.
type rodata struct {
	Tgid   uint32 `bpf:"targ_tgid"`
	Failed bool   `bpf:"targ_failed"`
}

var Tool = app.Define(app.Def[config]{
	Name:      "statsnoop",
	Usage:     "Trace stat syscalls",
	ArgsUsage: " ",
	Object:    "statsnoop",
	Caps:      []string{"CAP_DAC_READ_SEARCH"},
	Layouts:   map[string]any{"statsnoop_event": event{}},
	Consts: map[string]int64{
		"STATSNOOP_STATFS": 1, "STATSNOOP_NEWLSTAT": int64(len(callNames) - 1),
		"STATSNOOP_BASE_DIR": baseDir, "STATSNOOP_BASE_FILE": baseFile,
	},
	Examples: `
    statsnoop             # trace all stat syscalls
    statsnoop -t          # include timestamps
    statsnoop -s          # include syscall name
    statsnoop -x          # only show failed stats
    statsnoop -p 1216     # only trace PID 1216`,
	Flags: func(c *config) []cli.Flag {
		return []cli.Flag{
			app.PID(&c.Pid, "pid p", "Process ID to trace", "pid"),
			app.Bool(&c.Failed, "failed x", "Only show failed stats"),
			app.Timestamp(&c.Timestamp, "timestamp t"),
			app.Bool(&c.Sysname, "sysname s", "Include syscall name on output"),
		}
	},
	Spec:    spec,
	Outputs: func(c *config) []render.Describer { return []render.Describer{records(c)} },
	Run:     run,
})

func spec(c *config) tracer.Spec {
	probe := func(call string) tracer.Probe {
		return tracer.Probe{
			What:  call,
			Hooks: []tracer.Hook{{Prog: call + "_exit", Kind: tracer.Tracepoint, Target: "syscalls:sys_exit_" + call}},
			// As libbpf-tools: each call only where the architecture has it; statx() all have.
			Optional: call != "statx",
		}
	}
	var probes []tracer.Probe
	for _, call := range callNames[1:] {
		probes = append(probes, probe(call))
	}
	return tracer.Spec{
		Rodata: rodata{Tgid: c.Pid, Failed: c.Failed},
		Probes: probes,
		Events: eventsSize,
	}
}

// row is one call as the columns read it.
type row struct {
	e          *event
	comm, path []byte
	ret, errno int64
	since      float64
}

func records(c *config) *render.Records[row] {
	return render.NewRecords(render.KindEvent,
		render.Float("TIME(s)", -14, 9, "time_s", func(r *row) float64 { return r.since }).
			Note("seconds since the first event").If(c.Timestamp),
		render.Uint("PID", -7, "pid", func(r *row) uint64 { return uint64(r.e.Pid) }),
		render.JSONOnly(render.Uint("TID", 0, "tid", func(r *row) uint64 { return uint64(r.e.Tid) })),
		render.Text("COMM", -20, "comm", func(r *row) []byte { return r.comm }),
		render.Int("RET", -4, "ret", func(r *row) int64 { return r.ret }).Note("-1 when the call failed"),
		render.Int("ERR", -4, "err", func(r *row) int64 { return r.errno }),
		render.Str("SYSCALL", -10, "syscall", func(r *row) string { return callName(r.e.Call) }).TextIf(c.Sysname),
		render.Text("PATH", 0, "path", func(r *row) []byte { return r.path }).
			Note("relative names completed from the directory they were resolved from; fstat's file"),
	)
}

func callName(call uint32) string {
	if int(call) < len(callNames) {
		return callNames[call]
	}
	return callNames[0]
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	recs := records(c).To(env.Out)
	h := &handler{recs: recs}
	return app.Stream(env, t, app.StreamOptions{Header: recs}, h.handle)
}

// handler turns records into rows; it allocates nothing once its path buffer has grown.
type handler struct {
	recs    *render.Records[row]
	r       row
	firstTs uint64
	full    []byte
}

func (h *handler) handle(rec []byte) {
	e := tracer.Cast[event](rec, pathOffset)
	if e == nil {
		return
	}
	name, dir, ok := dentrypath.Split(rec[pathOffset:], int(e.NameLen), int(e.DirLen))
	if !ok {
		return
	}
	if h.firstTs == 0 {
		h.firstTs = e.TsNs
	}
	r := &h.r
	r.e, r.comm = e, filter.CommBytes(e.Comm[:])
	r.since = float64(e.TsNs-h.firstTs) / 1e9
	r.ret, r.errno = int64(e.Ret), 0
	if e.Ret < 0 {
		r.ret, r.errno = -1, -int64(e.Ret)
	}
	state := dentrypath.State(e.DirState)
	switch {
	case state == dentrypath.None:
		r.path = name
	case e.Base == baseFile:
		h.full = dentrypath.Append(h.full[:0], dir, state)
		r.path = h.full
	default:
		h.full = dentrypath.Join(h.full[:0], dir, state, name)
		r.path = h.full
	}
	h.recs.Write(r)
}
