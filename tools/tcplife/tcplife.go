// Package tcplife traces TCP sessions: one line per session when it closes, with the task that
// owned it, its endpoints, the kilobytes it sent and received, and how long it lasted.
package tcplife

import (
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/inet"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// event mirrors struct tcplife_event in bpf/tcplife.h.
type event struct {
	Saddr  [16]byte
	Daddr  [16]byte
	SpanUs uint64
	RxB    uint64
	TxB    uint64
	TsUs   uint64
	Pid    uint32
	Sport  uint16
	Dport  uint16
	Family uint16
	Pad    uint16
	Comm   [16]byte
	Pad2   uint32
}

// ident mirrors struct tcplife_ident, the idents map's values.
type ident struct {
	Pid  uint32
	Comm [16]byte
}

// config is tcplife's command line.
type config struct {
	PID                   uint32
	Time, Timestamp, Wide bool
	Family                inet.Family
	LocalPorts            []uint16
	RemotePorts           []uint16
}

// rodata mirrors tcplife's const volatile globals (and those of inet.bpf.h it sets).
type rodata struct {
	PID         int32  `bpf:"target_pid"`
	FilterLport bool   `bpf:"filter_lport"`
	FilterRport bool   `bpf:"filter_rport"`
	Family      uint16 `bpf:"target_family"`
}

var Tool = app.Define(app.Def[config]{
	Name:    "tcplife",
	Usage:   "Trace the lifespan of TCP sessions and summarize.",
	Object:  "tcplife",
	Caps:    []string{"CAP_DAC_READ_SEARCH"},
	Layouts: map[string]any{"tcplife_event": event{}, "tcplife_ident": ident{}},
	Examples: `
    tcplife -p 1215             # only trace PID 1215
    tcplife -p 1215 -4          # trace IPv4 only`,
	Flags: func(c *config) []cli.Flag {
		return append(append([]cli.Flag{
			app.PID(&c.PID, "pid p", "Process `PID` to trace", "pid"),
		}, inet.FamilyFlags(&c.Family, "Trace IPv4 only", "Trace IPv6 only")...),
			app.Bool(&c.Wide, "wide w", "Wide column output (fits IPv6 addresses)"),
			app.Bool(&c.Time, "time T", "Include timestamp on output"),
			// -t is BCC's Python tcplife's.
			app.Bool(&c.Timestamp, "timestamp t", "include timestamp on output (seconds)"),
			inet.PortsFlag(&c.LocalPorts, "localport L", "Comma-separated list of local ports (`LOCALPORT`,...) to trace.", "local ports"),
			inet.PortsFlag(&c.RemotePorts, "remoteport D", "Comma-separated list of remote ports (`REMOTEPORT`,...) to trace.", "remote ports"),
		)
	},
	Variants: [][]string{{"-L", "80", "-D", "80"}},
	Check:    func(c *config) error { return c.Family.Check() },
	Spec: func(c *config) tracer.Spec {
		return tracer.Spec{
			Rodata: rodata{PID: int32(c.PID), FilterLport: len(c.LocalPorts) > 0, FilterRport: len(c.RemotePorts) > 0, Family: c.Family.AF()},
			Probes: []tracer.Probe{{What: "TCP state changes", Hooks: []tracer.Hook{
				{Prog: "set_state", Kind: tracer.Tracepoint, Target: "sock:inet_sock_set_state"},
			}}},
		}
	},
	Outputs: func(c *config) []render.Describer { return []render.Describer{records(c)} },
	Run:     run,
})

// records declares tcplife's lines; -w widens the address columns to fit IPv6.
func records(c *config) *render.Records[event] {
	addrWidth := -15
	if c.Wide {
		addrWidth = -39
	}
	var first uint64
	return render.NewRecords(render.KindEvent,
		render.Clock[event]("TIME(s)", -8, false).If(c.Time),
		render.Float("TIME(s)", -9, 6, "time_s", func(e *event) float64 {
			if first == 0 {
				first = e.TsUs
			}
			return float64(e.TsUs-first) / 1e6
		}).Note("seconds since the first session's close").If(c.Timestamp),
		render.Uint("PID", -7, "pid", func(e *event) uint64 { return uint64(e.Pid) }),
		render.Text("COMM", -16, "comm", func(e *event) []byte { return filter.CommBytes(e.Comm[:]) }),
		render.JSONOnly(render.Uint("IP", 0, "ip", func(e *event) uint64 { return inet.Version(e.Family) })),
		inet.AddrColumn("LADDR", addrWidth, "laddr", func(e *event) (uint16, *[16]byte) { return e.Family, &e.Saddr }),
		render.Uint("LPORT", -5, "lport", func(e *event) uint64 { return uint64(e.Sport) }),
		inet.AddrColumn("RADDR", addrWidth, "raddr", func(e *event) (uint16, *[16]byte) { return e.Family, &e.Daddr }),
		render.Uint("RPORT", -5, "rport", func(e *event) uint64 { return uint64(e.Dport) }),
		render.Float("TX_KB", -6, 2, "tx_kb", func(e *event) float64 { return float64(e.TxB) / 1024 }).
			JSONUint("tx_bytes", func(e *event) uint64 { return e.TxB }).Note("bytes the peer acknowledged"),
		render.Float("RX_KB", -6, 2, "rx_kb", func(e *event) float64 { return float64(e.RxB) / 1024 }).
			JSONUint("rx_bytes", func(e *event) uint64 { return e.RxB }),
		render.Float("MS", 0, 2, "ms", func(e *event) float64 { return float64(e.SpanUs) / 1000 }).
			JSONUint("span_us", func(e *event) uint64 { return e.SpanUs }).
			Note("from the session's establishment to its close"),
	)
}

var eventSize = unsafe.Sizeof(event{})

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	if err := inet.FillPortSets(t, c.LocalPorts, c.RemotePorts); err != nil {
		return err
	}
	recs := records(c).To(env.Out)
	return app.Stream(env, t, app.StreamOptions{Header: recs}, app.WriteEvents(recs, eventSize))
}
