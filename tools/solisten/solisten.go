// Package solisten traces listen() on IPv4 and IPv6 sockets: the task, the result, the
// backlog, the protocol and the address and port listened on.
package solisten

import (
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/inet"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// event mirrors struct solisten_event in bpf/solisten.h.
type event struct {
	Addr    [16]byte
	Pid     uint32
	Proto   uint32
	Backlog int32
	Ret     int32
	Port    uint16
	Comm    [16]byte
	Pad     uint16
}

// call mirrors struct solisten_call, the listening map's values.
type call struct {
	Socket  uint64
	Backlog int32
	Pad     uint32
}

// Socket types (SOCK_STREAM, SOCK_DGRAM) as the PROTO column names them.
const (
	sockStream = 1
	sockDgram  = 2
)

// config is solisten's command line.
type config struct {
	PID       uint32
	Timestamp bool
}

// rodata mirrors solisten's const volatile globals.
type rodata struct {
	PID int32 `bpf:"target_pid"`
}

var Tool = app.Define(app.Def[config]{
	Name:    "solisten",
	Usage:   "Trace IPv4 and IPv6 listen syscalls.",
	Object:  "solisten",
	Caps:    []string{"CAP_DAC_READ_SEARCH"},
	Layouts: map[string]any{"solisten_event": event{}, "solisten_call": call{}},
	Examples: `
    solisten           # trace listen syscalls
    solisten -t        # output with timestamp
    solisten -p 1216   # only trace PID 1216`,
	Flags: func(c *config) []cli.Flag {
		return []cli.Flag{
			app.PID(&c.PID, "pid p", "Process `PID` to trace", "pid"),
			app.Bool(&c.Timestamp, "timestamp t", "Include timestamp on output"),
		}
	},
	Spec: func(c *config) tracer.Spec {
		return tracer.Spec{
			Rodata: rodata{PID: int32(c.PID)},
			Probes: []tracer.Probe{
				{What: "listen", Hooks: []tracer.Hook{
					{Prog: "listen_fexit", Kind: tracer.Fexit, Target: "inet_listen"},
					{Prog: "listen_kprobe", Kind: tracer.Kprobe, Target: "inet_listen"},
					{Prog: "listen_enter_tp", Kind: tracer.Tracepoint, Target: "syscalls:sys_enter_listen", Sets: "from_syscall"},
				}},
				// Completes what the kprobe or the system call's entry began; after fexit it
				// finds nothing to complete.
				{What: "listen returns", Hooks: []tracer.Hook{
					{Prog: "listen_kretprobe", Kind: tracer.Kretprobe, Target: "inet_listen"},
					{Prog: "listen_exit_tp", Kind: tracer.Tracepoint, Target: "syscalls:sys_exit_listen"},
				}},
			},
		}
	},
	Outputs: func(c *config) []render.Describer { return []render.Describer{records(c)} },
	Run:     run,
})

// protoName is the PROTO column: TCP, UDP or UNK, then v4 or v6.
func protoName(e *event) string {
	v6 := e.Proto>>16 != inet.AFInet
	switch uint16(e.Proto) {
	case sockStream:
		return pick(v6, "TCPv6", "TCPv4")
	case sockDgram:
		return pick(v6, "UDPv6", "UDPv4")
	}
	return pick(v6, "UNKv6", "UNKv4")
}

func pick(cond bool, yes, no string) string {
	if cond {
		return yes
	}
	return no
}

// records declares solisten's lines.
func records(c *config) *render.Records[event] {
	return render.NewRecords(render.KindEvent,
		render.Clock[event]("TIME(s)", -8, false).If(c.Timestamp),
		render.Uint("PID", -7, "pid", func(e *event) uint64 { return uint64(e.Pid) }),
		render.Text("COMM", -16, "comm", func(e *event) []byte { return filter.CommBytes(e.Comm[:]) }),
		render.Int("RET", -3, "ret", func(e *event) int64 { return int64(e.Ret) }).Note("0, or the negative errno of a failed listen"),
		render.Int("BACKLOG", -7, "backlog", func(e *event) int64 { return int64(e.Backlog) }),
		render.Str("PROTO", -5, "proto", protoName).Note("TCP, UDP or UNK, then v4 or v6"),
		render.Uint("PORT", -5, "port", func(e *event) uint64 { return uint64(e.Port) }),
		inet.AddrColumn("ADDR", -32, "addr", func(e *event) (uint16, *[16]byte) { return uint16(e.Proto >> 16), &e.Addr }),
	)
}

var eventSize = unsafe.Sizeof(event{})

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	if env.Verbose && t.Uses("listen_exit_tp") {
		env.Warnf("solisten: no fentry or kprobe on inet_listen: listen(2) system calls on TCP sockets are traced, listens made inside the kernel are not, and a listen refused before reaching the socket (bad fd) is not seen")
	}
	recs := records(c).To(env.Out)
	return app.Stream(env, t, app.StreamOptions{Header: recs}, app.WriteEvents(recs, eventSize))
}
