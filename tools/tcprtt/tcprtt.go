// Package tcprtt summarizes the smoothed round-trip time of TCP sockets as log2 histograms,
// sampled at each segment an established socket receives: of all sockets, or per local or
// remote address.
package tcprtt

import (
	"bytes"
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/inet"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// key mirrors struct tcprtt_key in bpf/tcprtt.h.
type key struct {
	Family uint16
	Addr   [16]byte
}

// histogram mirrors struct tcprtt_hist.
type histogram struct {
	Total uint64
	Count uint64
	Slots [27]uint32
	Pad   uint32
}

// maxHists is the size of the hists map: the addresses one report can have histograms for.
const maxHists = 10240

// addrFilter is -a or -A: one IPv4 or IPv6 address.
type addrFilter struct {
	Family uint16 // 0: no filter
	Addr   [16]byte
}

func parseAddr(what string) func(string) (addrFilter, error) {
	return func(s string) (addrFilter, error) {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return addrFilter{}, fmt.Errorf("invalid %s %q: want an IPv4 or IPv6 address", what, s)
		}
		f := addrFilter{Family: inet.AFInet6, Addr: a.As16()}
		if a.Is4() {
			f.Family = inet.AFInet
			f.Addr = [16]byte{}
			copy(f.Addr[:4], a.AsSlice())
		}
		return f, nil
	}
}

// match is the address as the BPF side compares it, two 64-bit words.
func (f addrFilter) match() [2]uint64 {
	var w [2]uint64
	for i := range 2 {
		for j := 7; j >= 0; j-- {
			w[i] = w[i]<<8 | uint64(f.Addr[8*i+j])
		}
	}
	return w
}

// config is tcprtt's command line.
type config struct {
	Interval, Duration                             int
	Timestamp, Millis, ByLaddr, ByRaddr, Extension bool
	Lports, Rports                                 []uint16
	Laddr, Raddr                                   addrFilter
	Family                                         inet.Family
}

// rodata mirrors tcprtt's const volatile globals and those of inet.bpf.h it sets.
type rodata struct {
	ByLaddr      bool      `bpf:"by_laddr"`
	ByRaddr      bool      `bpf:"by_raddr"`
	Extension    bool      `bpf:"extension"`
	Millis       bool      `bpf:"in_ms"`
	LaddrFamily  uint16    `bpf:"laddr_family"`
	RaddrFamily  uint16    `bpf:"raddr_family"`
	LaddrMatch   [2]uint64 `bpf:"laddr_match"`
	RaddrMatch   [2]uint64 `bpf:"raddr_match"`
	FilterLport  bool      `bpf:"filter_lport"`
	FilterRport  bool      `bpf:"filter_rport"`
	TargetFamily uint16    `bpf:"target_family"`
}

var Tool = app.Define(app.Def[config]{
	Name:    "tcprtt",
	Usage:   "Summarize TCP RTT as a histogram.",
	Object:  "tcprtt",
	Layouts: map[string]any{"tcprtt_key": key{}, "tcprtt_hist": histogram{}},
	Consts: map[string]int64{"max_entries:lports": inet.MaxPorts, "max_entries:rports": inet.MaxPorts,
		"max_entries:hists": maxHists},
	Examples: `
    tcprtt                 # summarize TCP RTT
    tcprtt -i 1 -d 10      # print 1 second summaries, 10 times
    tcprtt -m -T           # summarize in millisecond, and timestamps
    tcprtt -p 80           # filter for local port
    tcprtt -P 80           # filter for remote port
    tcprtt -a 10.0.0.1     # filter for local address
    tcprtt -A 10.0.0.1     # filter for remote address
    tcprtt -b              # show sockets histogram by local address
    tcprtt -B              # show sockets histogram by remote address
    tcprtt -e              # show extension summary(average)
    tcprtt -6              # trace IPv6 sockets only`,
	Flags: func(c *config) []cli.Flag {
		seconds := func(what string) func(string) (int, error) {
			return func(s string) (int, error) { return filter.Positive(what, s) }
		}
		// -4 and -6 are BCC's Python tcprtt's, as is the long name --milliseconds.
		return append([]cli.Flag{
			app.Value(&c.Interval, "interval i", "summary `INTERVAL`, seconds", seconds("interval")),
			app.Value(&c.Duration, "duration d", "total `DURATION` of trace, seconds", seconds("duration")),
			app.Timestamp(&c.Timestamp, "timestamp T"),
			app.Bool(&c.Millis, "millisecond m milliseconds", "millisecond histogram"),
			inet.PortsFlag(&c.Lports, "lport p", "filter for local port (`LPORT`, or a comma list)", "lport"),
			inet.PortsFlag(&c.Rports, "rport P", "filter for remote port (`RPORT`, or a comma list)", "rport"),
			app.Value(&c.Laddr, "laddr a", "filter for local address (`LADDR`, IPv4 or IPv6)", parseAddr("local address")),
			app.Value(&c.Raddr, "raddr A", "filter for remote address (`RADDR`, IPv4 or IPv6)", parseAddr("remote address")),
			app.Bool(&c.ByLaddr, "byladdr b", "show sockets histogram by local address"),
			app.Bool(&c.ByRaddr, "byraddr B", "show sockets histogram by remote address"),
			app.Bool(&c.Extension, "extension e", "show extension summary(average)"),
		}, inet.FamilyFlags(&c.Family, "trace IPv4 family only", "trace IPv6 family only")...)
	},
	// Address and port filters change what the verifier sees.
	Variants: [][]string{{"-a", "10.0.0.1", "-A", "10.0.0.2", "-p", "80", "-P", "80"}, {"-a", "::1", "-A", "::2"}},
	Check:    check,
	Spec:     spec,
	Outputs:  func(c *config) []render.Describer { return []render.Describer{histograms(c), averages(c)} },
	Run:      run,
})

func check(c *config) error {
	if err := c.Family.Check(); err != nil {
		return err
	}
	if c.ByLaddr && c.ByRaddr {
		return app.Usagef("-b and -B cannot be used together: histograms are by local or by remote address")
	}
	if c.Laddr.Family != 0 && c.Raddr.Family != 0 && c.Laddr.Family != c.Raddr.Family {
		return fmt.Errorf("It is not permitted to filter by both IPv4 and IPv6")
	}
	for _, f := range []uint16{c.Laddr.Family, c.Raddr.Family} {
		if af := c.Family.AF(); f != 0 && af != 0 && f != af {
			return app.Usagef("-%d with an IPv%d address to filter for would trace nothing", inet.Version(af), inet.Version(f))
		}
	}
	return nil
}

func spec(c *config) tracer.Spec {
	segments := tracer.BTFTracepoint("received segments", "rcv_probe", "tcp:tcp_probe")
	segments.Hooks = append([]tracer.Hook{
		{Prog: "rcv_fentry", Kind: tracer.Fentry, Target: "tcp_rcv_established"},
		{Prog: "rcv_kprobe", Kind: tracer.Kprobe, Target: "tcp_rcv_established"},
	}, segments.Hooks...)
	return tracer.Spec{
		Rodata: rodata{
			ByLaddr: c.ByLaddr, ByRaddr: c.ByRaddr, Extension: c.Extension, Millis: c.Millis,
			LaddrFamily: c.Laddr.Family, RaddrFamily: c.Raddr.Family,
			LaddrMatch: c.Laddr.match(), RaddrMatch: c.Raddr.match(),
			FilterLport: len(c.Lports) > 0, FilterRport: len(c.Rports) > 0, TargetFamily: c.Family.AF(),
		},
		Probes: []tracer.Probe{segments},
	}
}

// label is the JSON label of the per-address histograms.
func label(c *config) string {
	switch {
	case c.ByLaddr:
		return "laddr"
	case c.ByRaddr:
		return "raddr"
	}
	return ""
}

func histograms(c *config) *render.Histograms {
	d := &render.Histograms{Unit: app.Units(c.Millis)}
	if l := label(c); l != "" {
		d.Labels = []string{l}
	}
	return d
}

// average is -e's figure for one histogram, a "table" line in JSON.
type average struct {
	addr       []byte
	unit       string
	avg, count uint64
}

func averages(c *config) *render.Records[average] {
	addr := render.Text("", 0, label(c), func(a *average) []byte { return a.addr })
	return render.NewRecords(render.KindTable,
		render.JSONOnly(addr).If(label(c) != ""),
		render.JSONOnly(render.Str("", 0, "unit", func(a *average) string { return a.unit })),
		render.JSONOnly(render.Uint("", 0, "avg", func(a *average) uint64 { return a.avg })),
		render.JSONOnly(render.Uint("", 0, "count", func(a *average) uint64 { return a.count })),
	)
}

// every is the reports -i and -d ask for: each interval, until the duration ran out. A
// duration without an interval is one report at its end, as in BCC's Python tcprtt.
func every(c *config) app.Every {
	e := app.Every{Interval: app.Forever, Count: -1}
	if c.Interval > 0 {
		e.Interval = time.Duration(c.Interval) * time.Second
	}
	if c.Duration > 0 {
		if c.Interval == 0 {
			e.Interval = time.Duration(c.Duration) * time.Second
		}
		e.Count = int((time.Duration(c.Duration)*time.Second + e.Interval - 1) / e.Interval)
	}
	return e
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	banner := "Tracing TCP RTT... Hit Ctrl-C to end."
	if c.Duration > 0 {
		banner = fmt.Sprintf("Tracing TCP RTT for %d secs.", c.Duration)
	}
	if err := inet.FillPortSets(t, c.Lports, c.Rports); err != nil {
		return err
	}
	decl, avgs := histograms(c), averages(c).To(env.Out)
	unit := app.Units(c.Millis)
	hists := t.Map("hists")
	uncounted := app.NewMapFull(t.Map("uncounted"), func(n uint64) string {
		return fmt.Sprintf("%d segments not counted: the table of %d histograms was full", n, maxHists)
	})
	var addr []byte
	return app.Report(env, every(c), banner, func() error {
		env.Out.ReportStart(c.Timestamp)
		entries, err := bpfmap.Entries[key, histogram](hists, true)
		if err != nil {
			return err
		}
		uncounted.Report(env.Out)
		slices.SortFunc(entries, func(a, b bpfmap.Entry[key, histogram]) int {
			return cmp.Or(cmp.Compare(a.Key.Family, b.Key.Family), bytes.Compare(a.Key.Addr[:], b.Key.Addr[:]))
		})
		for i := range entries {
			e := &entries[i]
			addr = inet.AppendAddr(addr[:0], e.Key.Family, &e.Key.Addr)
			h := render.Hist{Counts: render.Counts(e.Value.Slots[:])}
			switch {
			case c.ByLaddr:
				h.Caption = "Local Address = " + string(addr) + " "
			case c.ByRaddr:
				h.Caption = "Remote Address = " + string(addr) + " "
			default:
				h.Caption = "All Addresses = ****** "
			}
			if label(c) != "" {
				h.Labels = []string{string(addr)}
			}
			var avg uint64
			if e.Value.Count > 0 {
				avg = e.Value.Total / e.Value.Count
			}
			if c.Extension {
				h.Caption += fmt.Sprintf("[AVG %d]", avg)
			}
			h.Caption += "\n"
			env.Out.Histogram(decl, &h)
			if c.Extension && env.Out.JSON() && e.Value.Count > 0 {
				avgs.Write(&average{addr: addr, unit: unit, avg: avg, count: e.Value.Count})
			}
		}
		return nil
	})
}
