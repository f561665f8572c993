// Package tcptracer traces TCP connections: each established connect (C), accept (A) and
// close (X), with the task, the addresses and the ports.
package tcptracer

import (
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/inet"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// event mirrors struct tcptracer_event in bpf/tcptracer.h.
type event struct {
	Saddr  [16]byte
	Daddr  [16]byte
	Comm   [16]byte
	TsUs   uint64
	Family uint32
	Pid    uint32
	Uid    uint32
	Sport  uint16
	Dport  uint16
	Type   uint8
	Pad    [7]uint8
}

// task mirrors struct tcptracer_task, the connecting map's values.
type task struct {
	Pid  uint32
	Uid  uint32
	Comm [16]byte
}

// Event types (enum tcptracer_type).
const (
	typeConnect = 0
	typeAccept  = 1
	typeClose   = 2
)

// config is tcptracer's command line.
type config struct {
	Timestamp, PrintUID bool
	PID                 uint32
	UID                 *uint32
	CgroupMap, MntnsMap string
}

// rodata mirrors tcptracer's const volatile globals.
type rodata struct {
	PID int32  `bpf:"filter_pid"`
	UID uint32 `bpf:"filter_uid"`
}

var Tool = app.Define(app.Def[config]{
	Name:    "tcptracer",
	Usage:   "Trace TCP connections",
	Object:  "tcptracer",
	Caps:    []string{"CAP_DAC_READ_SEARCH"},
	Layouts: map[string]any{"tcptracer_event": event{}, "tcptracer_task": task{}},
	Consts: map[string]int64{
		"TCPTRACER_CONNECT": typeConnect, "TCPTRACER_ACCEPT": typeAccept, "TCPTRACER_CLOSE": typeClose,
	},
	Examples: `
    tcptracer             # trace all TCP connections
    tcptracer -t          # include timestamps
    tcptracer -p 181      # only trace PID 181
    tcptracer -U          # include UID
    tcptracer -u 1000     # only trace UID 1000
    tcptracer --C mappath # only trace cgroups in the map
    tcptracer --M mappath # only trace mount namespaces in the map`,
	Flags: func(c *config) []cli.Flag {
		return []cli.Flag{
			app.Bool(&c.Timestamp, "timestamp t", "Include timestamp on output"),
			app.Bool(&c.PrintUID, "print-uid U", "Include UID on output"),
			app.PID(&c.PID, "pid p", "Process `PID` to trace", "PID"),
			app.UID(&c.UID, "uid u", "Process `UID` to trace"),
			app.String(&c.CgroupMap, "cgroupmap C", "trace cgroups in the map at `PATH` (not implemented)"),
			app.String(&c.MntnsMap, "mntnsmap M", "trace mount namespaces in the map at `PATH` (not implemented)"),
		}
	},
	Spec: spec,
	Outputs: func(c *config) []render.Describer {
		return []render.Describer{records(c)}
	},
	Run: run,
})

// The state tracepoint stands in for several hooks; the globals its hooks set tell its program
// which roles it plays.
const stateTracepoint = "sock:inet_sock_set_state"

func spec(c *config) tracer.Spec {
	uid := ^uint32(0)
	if c.UID != nil {
		uid = *c.UID
	}
	connectState := tracer.Hook{Prog: "state_tp", Kind: tracer.Tracepoint, Target: stateTracepoint, Sets: "connect_by_state"}
	// The kretprobes complete what the kprobes began; fexit and the tracepoint need nothing
	// more and serve this probe too (a program chosen twice is attached once).
	returns := func(version, fexit, kretprobe, target string) tracer.Probe {
		return tracer.Probe{What: "IPv" + version + " connect returns", Hooks: []tracer.Hook{
			{Prog: fexit, Kind: tracer.Fexit, Target: target},
			{Prog: kretprobe, Kind: tracer.Kretprobe, Target: target},
			connectState,
		}}
	}
	// Without inet_csk_accept, accept(2) and accept4(2) returns: two tracepoints, so two probes,
	// which fexit or the kretprobe serve as one.
	accepts := func(what, tp, target string) tracer.Probe {
		return tracer.Probe{What: what, Hooks: []tracer.Hook{
			{Prog: "accept_fexit", Kind: tracer.Fexit, Target: "inet_csk_accept"},
			{Prog: "accept_kretprobe", Kind: tracer.Kretprobe, Target: "inet_csk_accept"},
			{Prog: tp, Kind: tracer.Tracepoint, Target: target},
		}}
	}
	return tracer.Spec{
		Rodata: rodata{PID: int32(c.PID), UID: uid},
		Probes: []tracer.Probe{
			inet.ConnectProbe("4", connectState),
			inet.ConnectProbe("6", connectState),
			returns("4", "connect_v4_fexit", "connect_v4_kretprobe", "tcp_v4_connect"),
			returns("6", "connect_v6_fexit", "connect_v6_kretprobe", "tcp_v6_connect"),
			{What: "established connections", Hooks: []tracer.Hook{
				{Prog: "set_state_fentry", Kind: tracer.Fentry, Target: "tcp_set_state"},
				{Prog: "set_state_kprobe", Kind: tracer.Kprobe, Target: "tcp_set_state"},
				{Prog: "state_tp", Kind: tracer.Tracepoint, Target: stateTracepoint, Sets: "established_by_state"},
			}},
			{What: "TCP closes", Hooks: []tracer.Hook{
				{Prog: "close_fentry", Kind: tracer.Fentry, Target: "tcp_close"},
				{Prog: "close_kprobe", Kind: tracer.Kprobe, Target: "tcp_close"},
				{Prog: "state_tp", Kind: tracer.Tracepoint, Target: stateTracepoint, Sets: "close_by_state"},
			}},
			accepts("TCP accepts (accept4)", "accept4_exit_tp", "syscalls:sys_exit_accept4"),
			accepts("TCP accepts (accept)", "accept_exit_tp", "syscalls:sys_exit_accept"),
		},
	}
}

var (
	typeLetters = [...]string{typeConnect: "C", typeAccept: "A", typeClose: "X"}
	typeNames   = [...][]byte{typeConnect: []byte("connect"), typeAccept: []byte("accept"), typeClose: []byte("close")}
	unknownType = []byte("unknown")
)

// records declares the event lines. libbpf-tools prints -t's and -U's headers and values
// without a separating space: the columns are tight, as there.
func records(c *config) *render.Records[event] {
	var first uint64
	return render.NewRecords(render.KindEvent,
		render.Float("TIME(s)", -9, 3, "time_s", func(e *event) float64 {
			if first == 0 {
				first = e.TsUs
			}
			return float64(e.TsUs-first) / 1e6
		}).Tight().Note("seconds since the first event").If(c.Timestamp),
		render.Uint("UID", -6, "uid", func(e *event) uint64 { return uint64(e.Uid) }).Tight().TextIf(c.PrintUID),
		render.Str("T", 0, "event", func(e *event) string {
			if int(e.Type) < len(typeLetters) {
				return typeLetters[e.Type]
			}
			return "-"
		}).JSONBytes("event", func(e *event) []byte {
			if int(e.Type) < len(typeNames) {
				return typeNames[e.Type]
			}
			return unknownType
		}).Note("connect, accept or close"),
		render.Uint("PID", -6, "pid", func(e *event) uint64 { return uint64(e.Pid) }),
		render.Text("COMM", -12, "comm", func(e *event) []byte { return filter.CommBytes(e.Comm[:]) }).Max(12),
		render.Uint("IP", -2, "ip", func(e *event) uint64 { return inet.Version(uint16(e.Family)) }),
		inet.AddrColumn("SADDR", -16, "saddr", func(e *event) (uint16, *[16]byte) { return uint16(e.Family), &e.Saddr }),
		inet.AddrColumn("DADDR", -16, "daddr", func(e *event) (uint16, *[16]byte) { return uint16(e.Family), &e.Daddr }),
		render.Uint("SPORT", -4, "sport", func(e *event) uint64 { return uint64(e.Sport) }),
		render.Uint("DPORT", -4, "dport", func(e *event) uint64 { return uint64(e.Dport) }),
	)
}

var eventSize = unsafe.Sizeof(event{})

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	if c.CgroupMap != "" {
		env.Warnf("not implemented: --cgroupmap")
	}
	if c.MntnsMap != "" {
		env.Warnf("not implemented: --mntnsmap")
	}
	if env.Verbose && t.Uses("state_tp") {
		env.Warnf("tcptracer: through sock:inet_sock_set_state (no fentry or kprobe on tcp_close, tcp_set_state or tcp_v4/v6_connect): " +
			"a close is the closing task's move of an established socket to FIN_WAIT1 (or of a CLOSE_WAIT one to LAST_ACK): " +
			"shutdown(2) reports it early, and closing a socket the peer had reset, or aborting one with unread data, is not seen")
	}
	if env.Verbose && t.Uses("accept4_exit_tp") {
		env.Warnf("tcptracer: through accept(2) and accept4(2) returns (no fentry or kprobe on inet_csk_accept): accepts inside the kernel (io_uring, kernel sockets) are not seen")
	}
	recs := records(c).To(env.Out)
	return app.Stream(env, t, app.StreamOptions{Header: recs, LostFormat: "Lost %d events!"}, app.WriteEvents(recs, eventSize))
}
