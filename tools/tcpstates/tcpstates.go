// Package tcpstates traces TCP state changes: the socket, the task current at the change, the
// endpoints, old and new state, and how long the socket stayed in the old one.
package tcpstates

import (
	"strconv"
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/inet"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// event mirrors struct tcpstates_event in bpf/tcpstates.h.
type event struct {
	Skaddr   uint64
	DeltaUs  uint64
	Saddr    [16]byte
	Daddr    [16]byte
	Pid      uint32
	Oldstate int32
	Newstate int32
	Family   uint16
	Sport    uint16
	Dport    uint16
	Pad      uint16
	Comm     [16]byte
	Pad2     uint32
}

// config is tcpstates' command line.
type config struct {
	Timestamp, Wide bool
	Family          inet.Family
	LocalPorts      []uint16
	RemotePorts     []uint16
}

// rodata mirrors the globals of bpf/include/inet.bpf.h that tcpstates sets.
type rodata struct {
	FilterLport bool   `bpf:"filter_lport"`
	FilterRport bool   `bpf:"filter_rport"`
	Family      uint16 `bpf:"target_family"`
}

var Tool = app.Define(app.Def[config]{
	Name:    "tcpstates",
	Usage:   "Trace TCP session state changes and durations.",
	Object:  "tcpstates",
	Caps:    []string{"CAP_DAC_READ_SEARCH"},
	Layouts: map[string]any{"tcpstates_event": event{}},
	// The port sets of inet.bpf.h, which every network tool shares, hold inet.MaxPorts.
	Consts: map[string]int64{"max_entries:lports": inet.MaxPorts, "max_entries:rports": inet.MaxPorts},
	Examples: `
    tcpstates                  # trace all TCP state changes
    tcpstates -T               # include timestamps
    tcpstates -L 80            # only trace local port 80
    tcpstates -D 80            # only trace remote port 80`,
	Flags: func(c *config) []cli.Flag {
		return append([]cli.Flag{
			app.Bool(&c.Timestamp, "timestamp T", "Include timestamp on output"),
			app.Bool(&c.Wide, "wide w", "Wide column output (fits IPv6 addresses)"),
			inet.PortsFlag(&c.LocalPorts, "localport L", "Comma-separated list of local ports (`LPORT`,...) to trace.", "local ports"),
			inet.PortsFlag(&c.RemotePorts, "remoteport D", "Comma-separated list of remote ports (`DPORT`,...) to trace.", "remote ports"),
		}, inet.FamilyFlags(&c.Family, "Trace IPv4 family only", "Trace IPv6 family only")...)
	},
	Variants: [][]string{{"-L", "80", "-D", "80"}},
	Check:    func(c *config) error { return c.Family.Check() },
	Spec: func(c *config) tracer.Spec {
		return tracer.Spec{
			Rodata: rodata{FilterLport: len(c.LocalPorts) > 0, FilterRport: len(c.RemotePorts) > 0, Family: c.Family.AF()},
			Probes: []tracer.Probe{{What: "TCP state changes", Hooks: []tracer.Hook{
				{Prog: "set_state", Kind: tracer.Tracepoint, Target: "sock:inet_sock_set_state"},
			}}},
		}
	},
	Outputs: func(c *config) []render.Describer { return []render.Describer{records(c)} },
	Run:     run,
})

// records declares tcpstates' lines: the narrow layout, or with -w the one that fits IPv6.
func records(c *config) *render.Records[event] {
	addrWidth, commWidth := -15, -10
	if c.Wide {
		addrWidth, commWidth = -39, -16
	}
	comm := render.Text("COMM", commWidth, "comm", func(e *event) []byte { return filter.CommBytes(e.Comm[:]) })
	if !c.Wide {
		comm = comm.Max(10)
	}
	var hex []byte
	return render.NewRecords(render.KindEvent,
		render.Clock[event]("TIME(s)", -8, false).If(c.Timestamp),
		render.Custom("SKADDR", -16, func(l *render.Line, e *event) { l.Append(strconv.AppendUint(l.Bytes(), e.Skaddr, 16)) }).
			JSONBytes("skaddr", func(e *event) []byte { hex = strconv.AppendUint(append(hex[:0], "0x"...), e.Skaddr, 16); return hex }).
			Note("the socket's kernel address, as \"0xffff888103403780\""),
		render.Uint("PID", -7, "pid", func(e *event) uint64 { return uint64(e.Pid) }),
		comm,
		render.Uint("IP", -2, "ip", func(e *event) uint64 { return inet.Version(e.Family) }).TextIf(c.Wide),
		inet.AddrColumn("LADDR", addrWidth, "laddr", func(e *event) (uint16, *[16]byte) { return e.Family, &e.Saddr }),
		render.Uint("LPORT", -5, "lport", func(e *event) uint64 { return uint64(e.Sport) }),
		inet.AddrColumn("RADDR", addrWidth, "raddr", func(e *event) (uint16, *[16]byte) { return e.Family, &e.Daddr }),
		render.Uint("RPORT", -5, "rport", func(e *event) uint64 { return uint64(e.Dport) }),
		render.Str("OLDSTATE", -11, "oldstate", func(e *event) string { return inet.StateName(e.Oldstate) }),
		render.Custom("->", 0, func(l *render.Line, _ *event) { l.Str("->", 0) }),
		render.Str("NEWSTATE", -11, "newstate", func(e *event) string { return inet.StateName(e.Newstate) }),
		render.Float("MS", 0, 3, "ms", func(e *event) float64 { return float64(e.DeltaUs) / 1000 }).
			JSONUint("old_state_us", func(e *event) uint64 { return e.DeltaUs }).
			Note("time spent in the old state; 0 when the socket's entry into it was not seen"),
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
