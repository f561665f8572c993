// Package tcptop shows, every interval, the bytes each process sent and received over each of
// its TCP connections, top first, like top(1).
package tcptop

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/inet"
	"github.com/bpfutils/bpfutils/pkg/loadavg"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

const maxEntries = 10240 // TCPTOP_MAX_ENTRIES, also libbpf-tools' cap on -r

// key mirrors struct tcptop_key in bpf/tcptop.h.
type key struct {
	Saddr  [16]byte
	Daddr  [16]byte
	Pid    uint32
	Comm   [16]byte
	Lport  uint16
	Dport  uint16
	Family uint16
	Pad    uint16
}

// traffic mirrors struct tcptop_traffic.
type traffic struct {
	Sent     uint64
	Received uint64
}

type flow = bpfmap.Entry[key, traffic]

// config is tcptop's command line.
type config struct {
	PID                uint32
	Cgroup             string
	Family             inet.Family
	NoSummary, NoClear bool
	Sort               string
	Rows               int
	Every              app.Every
}

// rodata mirrors tcptop's const volatile globals (and inet.bpf.h's target_family).
type rodata struct {
	PID    int32  `bpf:"target_pid"`
	Family uint16 `bpf:"target_family"`
}

var Tool = app.Define(app.Def[config]{
	Name:      "tcptop",
	Usage:     "Summarize the top active TCP sessions - like top, but for TCP",
	ArgsUsage: "[interval] [count]",
	Object:    "tcptop",
	Caps:      []string{"CAP_DAC_READ_SEARCH"},
	Layouts:   map[string]any{"tcptop_key": key{}, "tcptop_traffic": traffic{}},
	Consts:    map[string]int64{"max_entries:traffic": maxEntries},
	Examples: `
    tcptop            # TCP top, refresh every 1s
    tcptop -p 1216    # only trace PID 1216
    tcptop -c path    # only trace the given cgroup path
    tcptop 5 10       # 5s summaries, 10 times`,
	Flags: func(c *config) []cli.Flag {
		return append(append([]cli.Flag{
			app.PID(&c.PID, "pid p", "Process `PID` to trace", "PID"),
			app.Cgroup(&c.Cgroup, "cgroup c", "Trace process in cgroup `PATH`"),
		}, inet.FamilyFlags(&c.Family, "trace IPv4 family only", "trace IPv6 family only")...),
			app.Bool(&c.NoSummary, "nosummary S", "Skip system summary line"),
			app.Bool(&c.NoClear, "noclear C", "Don't clear the screen"),
			app.SortFlag(&c.Sort, "all", "all", "sent", "received"),
			app.RowsFlag(&c.Rows, maxEntries),
		)
	},
	Args: func(c *config) []app.Arg {
		c.Every.Interval = time.Second
		return app.IntervalArgs(&c.Every)
	},
	Check: func(c *config) error { return c.Family.Check() },
	Spec:  spec,
	Outputs: func(c *config) []render.Describer {
		return []render.Describer{records(defaultPIDWidth, false)}
	},
	Run: run,
})

func spec(c *config) tracer.Spec {
	// Each direction is a pair of probes: the call and its return. fexit and the tracepoints see
	// both at once and serve both probes of a pair (a program chosen twice is attached once);
	// kprobes need their kretprobes, which nothing else needs: a kretprobe on these hot paths
	// costs every send and receive.
	direction := func(what, target, fexit, kprobe, kretprobe, tp, tpTarget string) []tracer.Probe {
		return []tracer.Probe{
			{What: what, Hooks: []tracer.Hook{
				{Prog: fexit, Kind: tracer.Fexit, Target: target},
				{Prog: kprobe, Kind: tracer.Kprobe, Target: target},
				{Prog: tp, Kind: tracer.Tracepoint, Target: tpTarget},
			}},
			{What: what + " (returns)", Hooks: []tracer.Hook{
				{Prog: fexit, Kind: tracer.Fexit, Target: target},
				{Prog: kretprobe, Kind: tracer.Kretprobe, Target: target},
				{Prog: tp, Kind: tracer.Tracepoint, Target: tpTarget},
			}},
		}
	}
	return tracer.Spec{
		Rodata: rodata{PID: int32(c.PID), Family: c.Family.AF()},
		Probes: append(
			direction("TCP sends", "tcp_sendmsg", "send_fexit", "send_kprobe", "send_kretprobe", "send_tp", "sock:sock_send_length"),
			direction("TCP receives", "tcp_recvmsg", "recv_fexit", "recv_kprobe", "recv_kretprobe", "recv_tp", "sock:sock_recv_length")...),
		Cgroup: c.Cgroup,
	}
}

// defaultPIDWidth is the PID column's width when pid_max cannot be read: libbpf-tools'
// minimum.
const defaultPIDWidth = 6

// pidWidth is the PID column's width as libbpf-tools makes it: the length of pid_max, at
// least 6.
func pidWidth() int {
	b, err := os.ReadFile("/proc/sys/kernel/pid_max")
	if err != nil {
		return defaultPIDWidth
	}
	return max(len(strings.TrimSpace(string(b))), defaultPIDWidth)
}

// records declares one block of the table: IPv4 flows (addr:port columns 21 wide) or IPv6
// ones (51 wide, headed LADDR6 and RADDR6).
func records(pidWidth int, v6 bool) *render.Records[flow] {
	width, suffix := -21, ""
	if v6 {
		width, suffix = -51, "6"
	}
	var scratch []byte
	endpoint := func(header, key string, get func(*key) (*[16]byte, uint16)) render.Column[flow] {
		return render.Custom(header+suffix, width, func(l *render.Line, f *flow) {
			addr, port := get(&f.Key)
			b := inet.AppendAddr(l.Bytes(), f.Key.Family, addr)
			l.Append(strconv.AppendUint(append(b, ':'), uint64(port), 10))
		}).JSONBytes(key, func(f *flow) []byte {
			addr, _ := get(&f.Key)
			scratch = inet.AppendAddr(scratch[:0], f.Key.Family, addr)
			return scratch
		})
	}
	return render.NewRecords(render.KindTable,
		render.Uint("PID", -pidWidth, "pid", func(f *flow) uint64 { return uint64(f.Key.Pid) }),
		render.Text("COMM", -12, "comm", func(f *flow) []byte { return filter.CommBytes(f.Key.Comm[:]) }).Max(12),
		render.JSONOnly(render.Uint("IP", 0, "ip", func(f *flow) uint64 { return inet.Version(f.Key.Family) })),
		endpoint("LADDR", "laddr", func(k *key) (*[16]byte, uint16) { return &k.Saddr, k.Lport }),
		render.JSONOnly(render.Uint("LPORT", 0, "lport", func(f *flow) uint64 { return uint64(f.Key.Lport) })),
		endpoint("RADDR", "raddr", func(k *key) (*[16]byte, uint16) { return &k.Daddr, k.Dport }),
		render.JSONOnly(render.Uint("RPORT", 0, "rport", func(f *flow) uint64 { return uint64(f.Key.Dport) })),
		render.Uint("RX_KB", 6, "rx_kb", func(f *flow) uint64 { return f.Value.Received / 1024 }).
			JSONUint("rx_bytes", func(f *flow) uint64 { return f.Value.Received }).Note("bytes received in the interval"),
		render.Uint("TX_KB", 6, "tx_kb", func(f *flow) uint64 { return f.Value.Sent / 1024 }).
			JSONUint("tx_bytes", func(f *flow) uint64 { return f.Value.Sent }).Note("bytes sent in the interval"),
	)
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	if env.Verbose && (t.Uses("send_tp") || t.Uses("recv_tp")) {
		env.Warnf("tcptop: through sock:sock_send_length/sock_recv_length (no fentry or kprobe on tcp_sendmsg/tcp_recvmsg): " +
			"bytes passing sock_sendmsg/sock_recvmsg only (TCP sockets with a kTLS layer count as TCP, MPTCP does not)")
	}
	width := pidWidth()
	v4, v6 := records(width, false).To(env.Out), records(width, true).To(env.Out)
	flows := t.Map("traffic")
	uncounted := app.NewMapFull(t.Map("uncounted"), func(n uint64) string {
		return fmt.Sprintf("%d TCP sends or receives not counted: the table of %d flows was full", n, maxEntries)
	})
	return app.Report(env, c.Every, "", func() error {
		rows, err := bpfmap.Drain[key, traffic](flows)
		if err != nil {
			return err
		}
		uncounted.Report(env.Out)
		if env.Out.Text() {
			if !c.NoClear {
				env.Out.Printf("%s", loadavg.ClearScreen)
			}
			if load, ok := loadavg.Read(); ok && !c.NoSummary {
				env.Out.Printf("%8s loadavg: %s\n\n", time.Now().Format("15:04:05"), render.Escape(string(load)))
			}
		}
		v4.Header()
		sortFlows(rows, c.Sort)
		v6Header := false
		for i := range rows[:min(len(rows), c.Rows)] {
			if rows[i].Key.Family != inet.AFInet6 {
				v4.Write(&rows[i])
				continue
			}
			if !v6Header {
				env.Out.Printf("\n")
				v6.Header()
				v6Header = true
			}
			v6.Write(&rows[i])
		}
		env.Out.Printf("\n")
		return nil
	})
}

// sortFlows puts IPv4 flows before IPv6 ones and, within each, the most bytes first: sent,
// received, or both as -s asks.
func sortFlows(rows []flow, by string) {
	bytes := func(t traffic) uint64 {
		switch by {
		case "sent":
			return t.Sent
		case "received":
			return t.Received
		}
		return t.Sent + t.Received
	}
	slices.SortStableFunc(rows, func(a, b flow) int {
		return cmp.Or(cmp.Compare(a.Key.Family, b.Key.Family), cmp.Compare(bytes(b.Value), bytes(a.Value)))
	})
}
