// Package tcpconnlat traces the latency of active TCP connects: from the connect call to the
// SYN-ACK, per connection, optionally only those slower than a threshold.
package tcpconnlat

import (
	"math"
	"strconv"
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/inet"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// event mirrors struct tcpconnlat_event in bpf/tcpconnlat.h.
type event struct {
	Saddr   [16]byte
	Daddr   [16]byte
	Comm    [16]byte
	DeltaUs uint64
	TsUs    uint64
	Tgid    uint32
	Family  uint32
	Lport   uint16
	Dport   uint16
	Pad     uint32
}

// start mirrors struct tcpconnlat_start, the start map's values.
type start struct {
	Comm [16]byte
	Ts   uint64
	Tgid uint32
	Pad  uint32
}

// config is tcpconnlat's command line.
type config struct {
	Timestamp, Lport bool
	PID              uint32
	MinUs            uint64
	Family           inet.Family
}

// rodata mirrors tcpconnlat's const volatile globals.
type rodata struct {
	MinUs  uint64 `bpf:"targ_min_us"`
	Tgid   int32  `bpf:"targ_tgid"`
	Family uint16 `bpf:"target_family"`
}

var Tool = app.Define(app.Def[config]{
	Name:      "tcpconnlat",
	Usage:     "Trace TCP connects and show connection latency.",
	ArgsUsage: "[min_ms]",
	Object:    "tcpconnlat",
	Caps:      []string{"CAP_DAC_READ_SEARCH"},
	Layouts:   map[string]any{"tcpconnlat_event": event{}, "tcpconnlat_start": start{}},
	Examples: `
    tcpconnlat              # summarize on-CPU time as a histogram
    tcpconnlat 1            # trace connection latency slower than 1 ms
    tcpconnlat 0.1          # trace connection latency slower than 100 us
    tcpconnlat -t           # 1s summaries, milliseconds, and timestamps
    tcpconnlat -p 185       # trace PID 185 only
    tcpconnlat -L           # include LPORT while printing outputs
    tcpconnlat -4           # trace IPv4 family only`,
	Flags: func(c *config) []cli.Flag {
		// -4 and -6 are BCC's Python tcpconnlat's.
		return append([]cli.Flag{
			app.Bool(&c.Timestamp, "timestamp t", "Include timestamp on output"),
			app.PID(&c.PID, "pid p", "Trace this `PID` only", "pid"),
			app.Bool(&c.Lport, "lport L", "Include LPORT on output"),
		}, inet.FamilyFlags(&c.Family, "trace IPv4 family only", "trace IPv6 family only")...)
	},
	Check: func(c *config) error { return c.Family.Check() },
	Args: func(c *config) []app.Arg {
		return []app.Arg{{Name: "min_ms", Set: func(s string) (err error) { c.MinUs, err = parseMinMs(s); return err }}}
	},
	Variants: [][]string{{"1"}},
	Spec:     spec,
	Outputs:  func(c *config) []render.Describer { return []render.Describer{records(c)} },
	Run:      run,
})

// parseMinMs reads the threshold in milliseconds (fractions allowed: 0.1 is 100 us).
func parseMinMs(s string) (uint64, error) {
	ms, err := strconv.ParseFloat(s, 64)
	us := ms * 1000
	if err != nil || !(us >= 1) || us > math.MaxInt64 {
		return 0, app.Usagef("invalid min_ms %q: must be a number of milliseconds of at least 0.001", s)
	}
	return uint64(us), nil
}

func spec(c *config) tracer.Spec {
	const stateTP = "sock:inet_sock_set_state"
	hooks := func(what, fentry, kprobe, target string) tracer.Probe {
		return tracer.Probe{What: what, Hooks: []tracer.Hook{
			{Prog: fentry, Kind: tracer.Fentry, Target: target},
			{Prog: kprobe, Kind: tracer.Kprobe, Target: target},
			{Prog: "state_tp", Kind: tracer.Tracepoint, Target: stateTP},
		}}
	}
	return tracer.Spec{
		Rodata: rodata{MinUs: c.MinUs, Tgid: int32(c.PID), Family: c.Family.AF()},
		Probes: []tracer.Probe{
			hooks("IPv4 connects", "connect_v4_fentry", "connect_v4_kprobe", "tcp_v4_connect"),
			hooks("IPv6 connects", "connect_v6_fentry", "connect_v6_kprobe", "tcp_v6_connect"),
			hooks("SYN-ACKs", "rcv_state_fentry", "rcv_state_kprobe", "tcp_rcv_state_process"),
			{What: "socket destruction", Hooks: []tracer.Hook{
				{Prog: "destroy_tp", Kind: tracer.Tracepoint, Target: "tcp:tcp_destroy_sock"},
			}},
		},
	}
}

// records declares tcpconnlat's lines; -L adds the local port.
func records(c *config) *render.Records[event] {
	var first uint64
	return render.NewRecords(render.KindEvent,
		render.Float("TIME(s)", -9, 3, "time_s", func(e *event) float64 {
			if first == 0 {
				first = e.TsUs
			}
			return float64(e.TsUs-first) / 1e6
		}).Note("seconds since the first event").If(c.Timestamp),
		render.Uint("PID", -6, "pid", func(e *event) uint64 { return uint64(e.Tgid) }),
		render.Text("COMM", -12, "comm", func(e *event) []byte { return filter.CommBytes(e.Comm[:]) }).Max(12),
		render.Uint("IP", -2, "ip", func(e *event) uint64 { return inet.Version(uint16(e.Family)) }),
		inet.AddrColumn("SADDR", -16, "saddr", func(e *event) (uint16, *[16]byte) { return uint16(e.Family), &e.Saddr }),
		render.Uint("LPORT", -6, "lport", func(e *event) uint64 { return uint64(e.Lport) }).TextIf(c.Lport),
		inet.AddrColumn("DADDR", -16, "daddr", func(e *event) (uint16, *[16]byte) { return uint16(e.Family), &e.Daddr }),
		render.Uint("DPORT", -5, "dport", func(e *event) uint64 { return uint64(e.Dport) }),
		render.Float("LAT(ms)", 0, 2, "latency_ms", func(e *event) float64 { return float64(e.DeltaUs) / 1000 }).
			JSONUint("latency_us", func(e *event) uint64 { return e.DeltaUs }),
	)
}

var eventSize = unsafe.Sizeof(event{})

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	if env.Verbose && t.Uses("state_tp") {
		env.Warnf("tcpconnlat: timing from the socket's change to SYN_SENT (inside tcp_v4/v6_connect, after the route lookup) to its change to ESTABLISHED (while the SYN-ACK is processed), for want of fentry or kprobes")
	}
	recs := records(c).To(env.Out)
	return app.Stream(env, t, app.StreamOptions{Header: recs}, app.WriteEvents(recs, eventSize))
}
