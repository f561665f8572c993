// Package tcppktlat traces how long received TCP data waits on its socket until a thread
// reads it: per read, the reader, the connection and the latency.
package tcppktlat

import (
	"fmt"
	"strconv"
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/inet"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// event mirrors struct tcppktlat_event in bpf/tcppktlat.h.
type event struct {
	Saddr   [16]byte
	Daddr   [16]byte
	DeltaUs uint64
	Pid     uint32
	Tid     uint32
	Lport   uint16
	Rport   uint16
	Family  uint16
	Pad     uint16
	Comm    [16]byte
}

// maxUnread is the size of the start map: the sockets with unread data whose arrival is timed.
const maxUnread = 10240

// config is tcppktlat's command line.
type config struct {
	Pid, Tid        uint32
	Timestamp, Wide bool
	Lports, Rports  []uint16
	MinUs           uint64
}

// rodata mirrors tcppktlat's const volatile globals and those of inet.bpf.h it sets.
type rodata struct {
	Pid         uint32 `bpf:"targ_pid"`
	Tid         uint32 `bpf:"targ_tid"`
	MinUs       uint64 `bpf:"targ_min_us"`
	FilterLport bool   `bpf:"filter_lport"`
	FilterRport bool   `bpf:"filter_rport"`
}

var Tool = app.Define(app.Def[config]{
	Name:      "tcppktlat",
	Usage:     "Trace latency between TCP received pkt and picked up by userspace thread.",
	ArgsUsage: "[min_us]",
	Object:    "tcppktlat",
	Layouts:   map[string]any{"tcppktlat_event": event{}},
	Consts: map[string]int64{"max_entries:lports": inet.MaxPorts, "max_entries:rports": inet.MaxPorts,
		"max_entries:start": maxUnread},
	Examples: `
    tcppktlat             # Trace all TCP packet picked up latency
    tcppktlat -T          # summarize with timestamps
    tcppktlat -p 185      # filter for pid
    tcppktlat -t 185      # filter for tid
    tcppktlat -l 80       # filter for local port
    tcppktlat -r 80       # filter for remote port
    tcppktlat 1000        # filter for latency higher than 1000us`,
	Flags: func(c *config) []cli.Flag {
		return []cli.Flag{
			app.PID(&c.Pid, "pid p", "Process `PID` to trace", "pid"),
			app.PID(&c.Tid, "tid t", "Thread `TID` to trace", "tid"),
			app.Timestamp(&c.Timestamp, "timestamp T"),
			inet.PortsFlag(&c.Lports, "lport l", "filter for local port (`LPORT`, or a comma list)", "lport"),
			inet.PortsFlag(&c.Rports, "rport r", "filter for remote port (`RPORT`, or a comma list)", "rport"),
			app.Bool(&c.Wide, "wide w", "Wide column output (fits IPv6 addresses)"),
		}
	},
	Args: func(c *config) []app.Arg {
		return []app.Arg{{Name: "min_us", Set: func(s string) error {
			n, err := strconv.ParseUint(s, 10, 63)
			if err != nil || n == 0 {
				return app.Usagef("Invalid delay (in us): %q: must be a positive number of microseconds", s)
			}
			c.MinUs = n
			return nil
		}}}
	},
	// The filters change what the verifier sees.
	Variants: [][]string{{"-p", "1", "-t", "1", "-l", "80", "-r", "80", "1000"}},
	Spec:     spec,
	Outputs:  func(c *config) []render.Describer { return []render.Describer{records(c)} },
	Run:      run,
})

func spec(c *config) tracer.Spec {
	arrivals := tracer.BTFTracepoint("data segments received", "rcv_probe", "tcp:tcp_probe")
	arrivals.Hooks = append([]tracer.Hook{
		{Prog: "rcv_fentry", Kind: tracer.Fentry, Target: "tcp_rcv_established"},
		{Prog: "rcv_kprobe", Kind: tracer.Kprobe, Target: "tcp_rcv_established"},
	}, arrivals.Hooks...)
	reads := tracer.BTFTracepoint("reads of received data", "adjust_tp", "tcp:tcp_rcv_space_adjust")
	reads.Hooks = append([]tracer.Hook{
		{Prog: "adjust_fentry", Kind: tracer.Fentry, Target: "tcp_rcv_space_adjust"},
		{Prog: "adjust_kprobe", Kind: tracer.Kprobe, Target: "tcp_rcv_space_adjust"},
	}, reads.Hooks...)
	return tracer.Spec{
		Rodata: rodata{Pid: c.Pid, Tid: c.Tid, MinUs: c.MinUs, FilterLport: len(c.Lports) > 0, FilterRport: len(c.Rports) > 0},
		Probes: []tracer.Probe{arrivals, reads, tracer.BTFTracepoint("socket destruction", "destroy_tp", "tcp:tcp_destroy_sock")},
	}
}

// records declares tcppktlat's lines; -w widens the address columns from 15 to 26.
func records(c *config) *render.Records[event] {
	addrWidth := -15
	if c.Wide {
		addrWidth = -26
	}
	return render.NewRecords(render.KindEvent,
		render.Clock[event]("TIME(s)", -8, false).If(c.Timestamp),
		render.Uint("PID", -7, "pid", func(e *event) uint64 { return uint64(e.Pid) }),
		render.Uint("TID", -7, "tid", func(e *event) uint64 { return uint64(e.Tid) }),
		render.Text("COMM", -16, "comm", func(e *event) []byte { return filter.CommBytes(e.Comm[:]) }),
		inet.AddrColumn("LADDR", addrWidth, "laddr", func(e *event) (uint16, *[16]byte) { return e.Family, &e.Saddr }),
		render.Uint("LPORT", -5, "lport", func(e *event) uint64 { return uint64(e.Lport) }),
		inet.AddrColumn("RADDR", addrWidth, "raddr", func(e *event) (uint16, *[16]byte) { return e.Family, &e.Daddr }),
		render.Uint("RPORT", -5, "rport", func(e *event) uint64 { return uint64(e.Rport) }),
		render.Float("MS", 0, 2, "latency_ms", func(e *event) float64 { return float64(e.DeltaUs) / 1000 }).
			JSONUint("latency_us", func(e *event) uint64 { return e.DeltaUs }),
	)
}

var eventSize = unsafe.Sizeof(event{})

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	if err := inet.FillPortSets(t, c.Lports, c.Rports); err != nil {
		return err
	}
	recs := records(c).To(env.Out)
	untimed := app.NewMapFull(t.Map("untimed"), func(n uint64) string {
		return fmt.Sprintf("%d data segments not timed: the table of %d sockets with unread data was full", n, maxUnread)
	})
	lossCheck := func() { untimed.Report(env.Out) }
	return app.Stream(env, t, app.StreamOptions{Header: recs, LossCheck: lossCheck}, app.WriteEvents(recs, eventSize))
}
