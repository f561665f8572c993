// Package tcpconnect traces active TCP connections: each successful connect() with the task,
// the addresses and the destination port, or with -c counts per flow printed at the end.
package tcpconnect

import (
	"bytes"
	"cmp"
	"slices"
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/inet"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// event mirrors struct tcpconnect_event in bpf/tcpconnect.h.
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
}

// flow mirrors struct tcpconnect_flow, the counts map's key.
type flow struct {
	Saddr  [16]byte
	Daddr  [16]byte
	Family uint32
	Sport  uint16
	Dport  uint16
}

// task mirrors struct tcpconnect_task, the awaiting map's values.
type task struct {
	TsUs uint64
	Pid  uint32
	Uid  uint32
	Comm [16]byte
}

// config is tcpconnect's command line.
type config struct {
	Timestamp, Count, PrintUID, SourcePort bool
	PID                                    uint32
	UID                                    *uint32
	Ports                                  []uint16
	Family                                 inet.Family
	CgroupMap, MntnsMap                    string
}

// rodata mirrors tcpconnect's const volatile globals (and those of inet.bpf.h it sets).
type rodata struct {
	PID         int32  `bpf:"filter_pid"`
	UID         uint32 `bpf:"filter_uid"`
	Count       bool   `bpf:"do_count"`
	SourcePort  bool   `bpf:"source_port"`
	FilterRport bool   `bpf:"filter_rport"`
	Family      uint16 `bpf:"target_family"`
}

var Tool = app.Define(app.Def[config]{
	Name:    "tcpconnect",
	Usage:   "Count/Trace active tcp connections",
	Object:  "tcpconnect",
	Caps:    []string{"CAP_DAC_READ_SEARCH"},
	Layouts: map[string]any{"tcpconnect_event": event{}, "tcpconnect_flow": flow{}, "tcpconnect_task": task{}},
	Examples: `
    tcpconnect             # trace all TCP connect()s
    tcpconnect -t          # include timestamps
    tcpconnect -p 181      # only trace PID 181
    tcpconnect -P 80       # only trace port 80
    tcpconnect -P 80,81    # only trace port 80 and 81
    tcpconnect -U          # include UID
    tcpconnect -u 1000     # only trace UID 1000
    tcpconnect -c          # count connects per src, dest, port
    tcpconnect -4          # only trace IPv4 connects`,
	Flags: func(c *config) []cli.Flag {
		return append([]cli.Flag{
			app.Bool(&c.Timestamp, "timestamp t", "Include timestamp on output"),
			app.Bool(&c.Count, "count c", "Count connects per src ip and dst ip/port"),
			app.Bool(&c.PrintUID, "print-uid U", "Include UID on output"),
			app.PID(&c.PID, "pid p", "Process `PID` to trace", "pid"),
			app.UID(&c.UID, "uid u", "Process `UID` to trace"),
			// -L/--lport is how BCC's Python tcpconnect spells it.
			app.Bool(&c.SourcePort, "source-port s lport L", "Consider source port when counting"),
			inet.PortsFlag(&c.Ports, "port P", "Comma-separated list of destination `PORTS` to trace", "PORT_LIST"),
			app.String(&c.CgroupMap, "cgroupmap C", "trace cgroups in the map at `PATH` (not implemented)"),
			app.String(&c.MntnsMap, "mntnsmap M", "trace mount namespaces in the map at `PATH` (not implemented)"),
		}, inet.FamilyFlags(&c.Family, "trace IPv4 family only", "trace IPv6 family only")...)
	},
	Variants: [][]string{{"-c", "-s"}, {"-P", "80"}},
	Check:    func(c *config) error { return c.Family.Check() },
	Spec:     spec,
	Outputs: func(c *config) []render.Describer {
		if c.Count {
			return []render.Describer{countRecords(c)}
		}
		return []render.Describer{records(c)}
	},
	Run: run,
})

func spec(c *config) tracer.Spec {
	uid := ^uint32(0)
	if c.UID != nil {
		uid = *c.UID
	}
	stateChange := tracer.Hook{Prog: "connect_tp", Kind: tracer.Tracepoint, Target: "sock:inet_sock_set_state"}
	// The kretprobes complete what the kprobes began; after fexit or the tracepoint they find
	// nothing to complete.
	returns := func(version, prog, target string) tracer.Probe {
		return tracer.Probe{What: "IPv" + version + " connect returns", Optional: true, Hooks: []tracer.Hook{
			{Prog: prog, Kind: tracer.Kretprobe, Target: target},
		}}
	}
	return tracer.Spec{
		Rodata: rodata{
			PID: int32(c.PID), UID: uid, Count: c.Count, SourcePort: c.SourcePort,
			FilterRport: len(c.Ports) > 0, Family: c.Family.AF(),
		},
		Probes: []tracer.Probe{
			inet.ConnectProbe("4", stateChange),
			inet.ConnectProbe("6", stateChange),
			returns("4", "connect_v4_kretprobe", "tcp_v4_connect"),
			returns("6", "connect_v6_kretprobe", "tcp_v6_connect"),
		},
	}
}

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
		render.Uint("PID", -6, "pid", func(e *event) uint64 { return uint64(e.Pid) }),
		render.Text("COMM", -16, "comm", func(e *event) []byte { return filter.CommBytes(e.Comm[:]) }).Max(16),
		render.Uint("IP", -2, "ip", func(e *event) uint64 { return inet.Version(uint16(e.Family)) }),
		inet.AddrColumn("SADDR", -16, "saddr", func(e *event) (uint16, *[16]byte) { return uint16(e.Family), &e.Saddr }),
		inet.AddrColumn("DADDR", -16, "daddr", func(e *event) (uint16, *[16]byte) { return uint16(e.Family), &e.Daddr }),
		render.Uint("SPORT", -5, "sport", func(e *event) uint64 { return uint64(e.Sport) }).If(c.SourcePort),
		render.Uint("DPORT", -5, "dport", func(e *event) uint64 { return uint64(e.Dport) }),
	)
}

// counted is one row of -c.
type counted struct {
	flow
	n uint64
}

// countRecords declares -c's table, as libbpf-tools prints it at the end.
func countRecords(c *config) *render.Records[counted] {
	family := func(r *counted) (uint16, *[16]byte) { return uint16(r.Family), &r.Saddr }
	return render.NewRecords(render.KindTable,
		inet.AddrColumn("LADDR", -25, "laddr", family),
		inet.AddrColumn("RADDR", -25, "raddr", func(r *counted) (uint16, *[16]byte) { return uint16(r.Family), &r.Daddr }),
		render.Uint("LPORT", -20, "lport", func(r *counted) uint64 { return uint64(r.Sport) }).If(c.SourcePort),
		render.Uint("RPORT", -20, "rport", func(r *counted) uint64 { return uint64(r.Dport) }),
		render.Uint("CONNECTS", -10, "connects", func(r *counted) uint64 { return r.n }),
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
	if err := inet.FillPorts(t, "rports", c.Ports); err != nil {
		return err
	}
	if env.Verbose && c.SourcePort && t.Uses("connect_tp") {
		env.Warnf("tcpconnect: no kprobe or fentry on tcp_v4/v6_connect: with -s, a connect is reported when its handshake ends (the source port is chosen after the connect began), and a connect that fails after choosing it is reported too")
	}
	if c.Count {
		recs := countRecords(c).To(env.Out)
		return app.ReportOnce(env, 0, "", func() error { return printCounts(env, t, recs) })
	}
	recs := records(c).To(env.Out)
	return app.Stream(env, t, app.StreamOptions{Header: recs, LostFormat: "Lost %d events!"}, app.WriteEvents(recs, eventSize))
}

// printCounts prints -c's table: an empty line, the header, IPv4 flows then IPv6 ones.
func printCounts(env *app.Env, t *tracer.Tracer, recs *render.Records[counted]) error {
	entries, err := bpfmap.Entries[flow, uint64](t.Map("counts"), false)
	if err != nil {
		return err
	}
	rows := make([]counted, len(entries))
	for i, e := range entries {
		rows[i] = counted{e.Key, e.Value}
	}
	slices.SortFunc(rows, func(a, b counted) int {
		return cmp.Or(cmp.Compare(a.Family, b.Family), bytes.Compare(a.Saddr[:], b.Saddr[:]),
			bytes.Compare(a.Daddr[:], b.Daddr[:]), cmp.Compare(a.Sport, b.Sport), cmp.Compare(a.Dport, b.Dport))
	})
	env.Out.Printf("\n")
	recs.Header()
	for i := range rows {
		recs.Write(&rows[i])
	}
	return nil
}
