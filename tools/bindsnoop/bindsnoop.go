// Package bindsnoop traces bind() on IPv4 and IPv6 sockets: the task, the result, the
// protocol, the socket options that shape a bind, the bound interface, port and address.
package bindsnoop

import (
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/inet"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// event mirrors struct bindsnoop_event in bpf/bindsnoop.h.
type event struct {
	Addr       [16]byte
	TsUs       uint64
	Pid        uint32
	BoundDevIf uint32
	Ret        int32
	Port       uint16
	Proto      uint16
	Opts       uint8
	Ver        uint8
	Comm       [16]byte
	Pad        [2]byte
}

// Bits of event.Opts (enum bindsnoop_opt), in the order OPTS prints them: FTNRr.
const (
	optFreebind      = 1
	optTransparent   = 2
	optBindNoPort    = 4
	optReuseAddr     = 8
	optReusePort     = 16
	ipprotoTCP       = 6
	ipprotoUDP       = 17
	optLetters       = "FTNRr"
	defaultAddrWidth = -48
)

// config is bindsnoop's command line.
type config struct {
	Timestamp, Failed bool
	PID               uint32
	Ports             []uint16
	Cgroup            string
}

// rodata mirrors bindsnoop's const volatile globals (and inet.bpf.h's filter_lport).
type rodata struct {
	PID          int32 `bpf:"target_pid"`
	IgnoreErrors bool  `bpf:"ignore_errors"`
	FilterLport  bool  `bpf:"filter_lport"`
}

var Tool = app.Define(app.Def[config]{
	Name:    "bindsnoop",
	Usage:   "Trace bind syscalls.",
	Object:  "bindsnoop",
	Caps:    []string{"CAP_DAC_READ_SEARCH"},
	Layouts: map[string]any{"bindsnoop_event": event{}},
	Consts: map[string]int64{
		"BINDSNOOP_FREEBIND": optFreebind, "BINDSNOOP_TRANSPARENT": optTransparent,
		"BINDSNOOP_BIND_ADDRESS_NO_PORT": optBindNoPort, "BINDSNOOP_REUSEADDR": optReuseAddr,
		"BINDSNOOP_REUSEPORT": optReusePort,
	},
	Examples: `
    bindsnoop             # trace all bind syscall
    bindsnoop -t          # include timestamps
    bindsnoop -x          # include errors on output
    bindsnoop -p 1216     # only trace PID 1216
    bindsnoop -c CG       # Trace process under cgroupsPath CG
    bindsnoop -P 80,81    # only trace port 80 and 81

    # Socket options are reported as:
    #   SOL_IP     IP_FREEBIND              F....
    #   SOL_IP     IP_TRANSPARENT           .T...
    #   SOL_IP     IP_BIND_ADDRESS_NO_PORT  ..N..
    #   SOL_SOCKET SO_REUSEADDR             ...R.
    #   SOL_SOCKET SO_REUSEPORT             ....r`,
	Flags: func(c *config) []cli.Flag {
		return []cli.Flag{
			app.Bool(&c.Timestamp, "timestamp t", "Include timestamp on output"),
			app.Cgroup(&c.Cgroup, "cgroup c", "Trace process in cgroup `PATH`"),
			// -E/--errors is how BCC's Python bindsnoop spells it.
			app.Bool(&c.Failed, "failed x errors E", "Include errors on output."),
			app.PID(&c.PID, "pid p", "Process `PID` to trace", "pid"),
			inet.PortsFlag(&c.Ports, "ports P", "Comma-separated list of `PORTS` to trace.", "ports"),
		}
	},
	Variants: [][]string{{"-P", "80"}},
	Spec:     spec,
	Outputs:  func(c *config) []render.Describer { return []render.Describer{records(c)} },
	Run:      run,
})

func spec(c *config) tracer.Spec {
	binds := func(version, kprobe, target string) tracer.Probe {
		return tracer.Probe{What: "IPv" + version + " binds", Hooks: []tracer.Hook{
			{Prog: kprobe, Kind: tracer.Kprobe, Target: target},
			{Prog: "bind_enter_tp", Kind: tracer.Tracepoint, Target: "syscalls:sys_enter_bind"},
		}}
	}
	returns := func(version, kretprobe, target string) tracer.Probe {
		return tracer.Probe{What: "IPv" + version + " bind returns", Hooks: []tracer.Hook{
			{Prog: kretprobe, Kind: tracer.Kretprobe, Target: target},
			{Prog: "bind_exit_tp", Kind: tracer.Tracepoint, Target: "syscalls:sys_exit_bind"},
		}}
	}
	return tracer.Spec{
		Rodata: rodata{PID: int32(c.PID), IgnoreErrors: !c.Failed, FilterLport: len(c.Ports) > 0},
		Probes: []tracer.Probe{
			binds("4", "bind_v4_kprobe", "inet_bind"), binds("6", "bind_v6_kprobe", "inet6_bind"),
			returns("4", "bind_v4_kretprobe", "inet_bind"), returns("6", "bind_v6_kretprobe", "inet6_bind"),
		},
		Cgroup: c.Cgroup,
	}
}

func protoName(e *event) string {
	switch e.Proto {
	case ipprotoTCP:
		return "TCP"
	case ipprotoUDP:
		return "UDP"
	}
	return "UNK"
}

// appendOpts writes the option letters FTNRr, '.' for each unset.
func appendOpts(b []byte, opts uint8) []byte {
	for i := 0; i < len(optLetters); i++ {
		if opts&(1<<i) != 0 {
			b = append(b, optLetters[i])
		} else {
			b = append(b, '.')
		}
	}
	return b
}

func family(e *event) (uint16, *[16]byte) {
	if e.Ver == 4 {
		return inet.AFInet, &e.Addr
	}
	return inet.AFInet6, &e.Addr
}

// records declares bindsnoop's lines.
func records(c *config) *render.Records[event] {
	var opts []byte
	return render.NewRecords(render.KindEvent,
		render.Clock[event]("TIME(s)", -8, false).If(c.Timestamp),
		render.Uint("PID", -7, "pid", func(e *event) uint64 { return uint64(e.Pid) }),
		render.Text("COMM", -16, "comm", func(e *event) []byte { return filter.CommBytes(e.Comm[:]) }),
		render.Int("RET", -3, "ret", func(e *event) int64 { return int64(e.Ret) }).Note("0, or the negative errno of a failed bind (-x)"),
		render.Str("PROTO", -5, "proto", protoName).Note("TCP, UDP or UNK"),
		render.Custom("OPTS", -5, func(l *render.Line, e *event) { l.Append(appendOpts(l.Bytes(), e.Opts)) }).
			JSONBytes("opts", func(e *event) []byte { opts = appendOpts(opts[:0], e.Opts); return opts }).
			Note("F freebind, T transparent, N bind-address-no-port, R SO_REUSEADDR, r SO_REUSEPORT; . unset"),
		render.Uint("IF", -4, "bound_dev_if", func(e *event) uint64 { return uint64(e.BoundDevIf) }),
		render.Uint("PORT", -5, "port", func(e *event) uint64 { return uint64(e.Port) }),
		render.JSONOnly(render.Uint("", 0, "ip", func(e *event) uint64 { return uint64(e.Ver) })),
		inet.AddrColumn("ADDR", defaultAddrWidth, "addr", family),
	)
}

var eventSize = unsafe.Sizeof(event{})

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	if err := inet.FillPorts(t, "lports", c.Ports); err != nil {
		return err
	}
	if env.Verbose && t.Uses("bind_exit_tp") {
		env.Warnf("bindsnoop: no kprobes on inet_bind/inet6_bind: bind(2) system calls are traced, binds made inside the kernel are not, and with -x a bind refused before reaching the socket (bad fd, bad address) is reported too")
	}
	recs := records(c).To(env.Out)
	return app.Stream(env, t, app.StreamOptions{Header: recs}, app.WriteEvents(recs, eventSize))
}
