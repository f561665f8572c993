// Package tcpsynbl summarizes how full TCP listeners' accept queues are when handshakes
// complete, as log2 histograms per backlog limit.
package tcpsynbl

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/inet"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// histogram mirrors struct tcpsynbl_hist in bpf/tcpsynbl.h.
type histogram struct {
	Slots [32]uint32
}

// config is tcpsynbl's command line.
type config struct {
	Timestamp bool
	Family    inet.Family
	Every     app.Every
}

var Tool = app.Define(app.Def[config]{
	Name:      "tcpsynbl",
	Usage:     "Summarize TCP SYN backlog as a histogram.",
	ArgsUsage: "[interval] [count]",
	Object:    "tcpsynbl",
	Layouts:   map[string]any{"tcpsynbl_hist": histogram{}},
	Consts:    map[string]int64{"max_entries:lports": inet.MaxPorts, "max_entries:rports": inet.MaxPorts},
	Examples: `
    tcpsynbl              # summarize TCP SYN backlog as a histogram
    tcpsynbl 1 10         # print 1 second summaries, 10 times
    tcpsynbl -T 1         # 1s summaries with timestamps
    tcpsynbl -4           # trace IPv4 family only
    tcpsynbl -6           # trace IPv6 family only`,
	Flags: func(c *config) []cli.Flag {
		return append([]cli.Flag{app.Timestamp(&c.Timestamp, "timestamp T")},
			inet.FamilyFlags(&c.Family, "Trace IPv4 family only", "Trace IPv6 family only")...)
	},
	Args:    func(c *config) []app.Arg { return app.IntervalArgs(&c.Every) },
	Check:   func(c *config) error { return c.Family.Check() },
	Spec:    spec,
	Outputs: func(c *config) []render.Describer { return []render.Describer{histograms} },
	Run:     run,
})

// stateTPSees names the globals that tell the tracepoint program which families it counts for.
var stateTPSees = map[int]string{4: "state_v4", 6: "state_v6"}

func spec(c *config) tracer.Spec {
	handshakes := func(version int) tracer.Probe {
		fn := fmt.Sprintf("tcp_v%d_syn_recv_sock", version)
		p := tracer.BTFTracepoint(fmt.Sprintf("IPv%d handshakes", version), "state", "sock:inet_sock_set_state")
		for i := range p.Hooks {
			p.Hooks[i].Sets = stateTPSees[version]
		}
		p.Hooks = append([]tracer.Hook{
			{Prog: fmt.Sprintf("syn_recv_v%d_fentry", version), Kind: tracer.Fentry, Target: fn},
			{Prog: fmt.Sprintf("syn_recv_v%d_kprobe", version), Kind: tracer.Kprobe, Target: fn},
		}, p.Hooks...)
		return p
	}
	var probes []tracer.Probe
	if !c.Family.V6 {
		probes = append(probes, handshakes(4))
	}
	if !c.Family.V4 {
		probes = append(probes, handshakes(6))
	}
	return tracer.Spec{Probes: probes}
}

var histograms = &render.Histograms{Unit: "backlog", Labels: []string{"backlog_max"}}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	if env.Verbose && (t.Uses("state_raw") || t.Uses("state_btf")) {
		env.Warnf("tcpsynbl: reading the listener's queue from the socket it clones at each handshake (sock:inet_sock_set_state), for want of fentry or kprobes: a handshake dropped because the queue is full is not seen")
	}
	hists := t.Map("hists")
	return app.Report(env, c.Every, "Tracing SYN backlog size. Ctrl-C to end.", func() error {
		env.Out.ReportStart(c.Timestamp)
		entries, err := bpfmap.Entries[uint64, histogram](hists, true)
		if err != nil {
			return err
		}
		slices.SortFunc(entries, func(a, b bpfmap.Entry[uint64, histogram]) int { return cmp.Compare(a.Key, b.Key) })
		for i := range entries {
			e := &entries[i]
			h := render.Hist{
				Caption: fmt.Sprintf("backlog_max = %d\n", e.Key),
				Labels:  []string{strconv.FormatUint(e.Key, 10)},
				Counts:  render.Counts(e.Value.Slots[:]),
			}
			env.Out.Histogram(histograms, &h)
		}
		return nil
	})
}
