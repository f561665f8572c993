// Package drsnoop traces direct reclaim: every time a task had to free memory itself before
// its allocation could go on, with how long it stalled and how many pages it reclaimed.
package drsnoop

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// Which reclaim stalled the task (enum drsnoop_kind).
const (
	kindDirect = 0
	kindMemcg  = 1
)

// event mirrors struct drsnoop_event in bpf/drsnoop.h.
type event struct {
	Task        [16]byte
	DeltaNs     uint64
	NrReclaimed uint64
	NrFreePages uint64
	Pid         uint32
	Kind        uint32
}

// config is drsnoop's command line.
type config struct {
	Duration  time.Duration
	Extended  bool
	Pid, Tid  uint32
	Memcg     bool
	zoneStat  uint64 // vm_zone_stat's address, resolved by Check for -e
	pageBytes uint64
}

// rodata mirrors drsnoop's const volatile globals.
type rodata struct {
	Tgid     uint32 `bpf:"targ_tgid"`
	Tid      uint32 `bpf:"targ_pid"`
	ZoneStat uint64 `bpf:"vm_zone_stat_kaddr"`
}

var Tool = app.Define(app.Def[config]{
	Name:    "drsnoop",
	Usage:   "Trace direct reclaim latency.",
	Object:  "drsnoop",
	Layouts: map[string]any{"drsnoop_event": event{}},
	Consts:  map[string]int64{"DRSNOOP_DIRECT": kindDirect, "DRSNOOP_MEMCG": kindMemcg},
	Examples: `
    drsnoop         # trace all direct reclaim events
    drsnoop -p 123  # trace pid 123
    drsnoop -t 123  # trace tid 123 (use for threads only)
    drsnoop -d 10   # trace for 10 seconds only
    drsnoop -e      # trace all direct reclaim events with extended fields
    drsnoop --memcg # also trace reclaim at memory cgroup limits`,
	Flags: func(c *config) []cli.Flag {
		return []cli.Flag{
			app.Duration(&c.Duration),
			app.Bool(&c.Extended, "extended e", "Extended fields output"),
			app.PID(&c.Pid, "pid p", "Process `PID` to trace", "PID"),
			app.PID(&c.Tid, "tid t", "Thread `TID` to trace", "TID"),
			app.Bool(&c.Memcg, "memcg", "also trace reclaim by tasks at their memory cgroup's limit (libbpf-tools traces the page allocator's only)"),
		}
	},
	Check: func(c *config) error {
		if c.Extended {
			c.pageBytes = uint64(os.Getpagesize())
			c.zoneStat = kernelSymbol("vm_zone_stat")
		}
		return nil
	},
	Spec: func(c *config) tracer.Spec {
		probes := []tracer.Probe{
			tracer.BTFTracepoint("direct reclaim start", "direct_begin", "vmscan:mm_vmscan_direct_reclaim_begin"),
			tracer.BTFTracepoint("direct reclaim end", "direct_end", "vmscan:mm_vmscan_direct_reclaim_end"),
		}
		if c.Memcg {
			probes = append(probes,
				tracer.BTFTracepoint("memcg reclaim start", "memcg_begin", "vmscan:mm_vmscan_memcg_reclaim_begin"),
				tracer.BTFTracepoint("memcg reclaim end", "memcg_end", "vmscan:mm_vmscan_memcg_reclaim_end"))
		}
		return tracer.Spec{
			Rodata: rodata{Tgid: c.Pid, Tid: c.Tid, ZoneStat: c.zoneStat},
			Probes: probes,
		}
	},
	Outputs: func(c *config) []render.Describer { return []render.Describer{records(c)} },
	Run:     run,
})

// reclaim is one event with the free memory it is printed with.
type reclaim struct {
	e      *event
	freeKB uint64
}

// records declares drsnoop's lines: TIME COMM TID LAT(ms) PAGES, and with -e FREE(KB).
func records(c *config) *render.Records[reclaim] {
	return render.NewRecords(render.KindEvent,
		render.Clock[reclaim]("TIME", -8, false),
		render.Text("COMM", -16, "comm", func(r *reclaim) []byte { return filter.CommBytes(r.e.Task[:]) }),
		render.Uint("TID", -6, "tid", func(r *reclaim) uint64 { return uint64(r.e.Pid) }),
		render.Float("LAT(ms)", 8, 3, "latency_ms", func(r *reclaim) float64 { return float64(r.e.DeltaNs) / 1e6 }).
			JSONUint("latency_ns", func(r *reclaim) uint64 { return r.e.DeltaNs }),
		render.Uint("PAGES", 5, "pages", func(r *reclaim) uint64 { return r.e.NrReclaimed }),
		render.Uint("FREE(KB)", 8, "free_kb", func(r *reclaim) uint64 { return r.freeKB }).If(c.Extended),
		render.JSONOnly(render.Str("", 0, "reclaim", func(r *reclaim) string {
			if r.e.Kind == kindMemcg {
				return "memcg"
			}
			return "direct"
		})).Note(`"direct": the page allocator's; "memcg": at a memory cgroup's limit (--memcg)`),
	)
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	if c.Extended && c.zoneStat == 0 && env.Verbose {
		env.Warnf("drsnoop: vm_zone_stat is not in /proc/kallsyms (CONFIG_KALLSYMS_ALL off): FREE(KB) is read from /proc/vmstat when an event is printed, not when the reclaim began")
	}
	banner := "Tracing direct reclaim events... Hit Ctrl-C to end."
	if c.Duration > 0 {
		banner = fmt.Sprintf("Tracing direct reclaim events for %d secs.", int64(c.Duration/time.Second))
	}
	recs := records(c).To(env.Out)
	var r reclaim
	return app.Stream(env, t, app.StreamOptions{Banner: banner, Header: recs, Duration: c.Duration}, func(rec []byte) {
		e := tracer.Cast[event](rec, eventSize)
		if e == nil {
			return
		}
		r.e = e
		if c.Extended {
			free := e.NrFreePages
			if c.zoneStat == 0 {
				free = vmstatFreePages()
			}
			r.freeKB = free * c.pageBytes / 1024
		}
		recs.Write(&r)
	})
}

// kernelSymbol is the address /proc/kallsyms gives name, or 0.
func kernelSymbol(name string) uint64 {
	f, err := os.Open("/proc/kallsyms")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	want := []byte(" " + name)
	for sc.Scan() {
		line := sc.Bytes()
		// "ffffffff82a1b2c0 D vm_zone_stat"
		if len(line) < 19 || !bytes.HasSuffix(line, want) || line[len(line)-len(want)-2] != ' ' {
			continue
		}
		addr, err := strconv.ParseUint(string(line[:bytes.IndexByte(line, ' ')]), 16, 64)
		if err == nil && addr != 0 {
			return addr
		}
	}
	return 0
}

// vmstatFreePages reads nr_free_pages from /proc/vmstat: the same counter, read later.
func vmstatFreePages() uint64 {
	data, err := os.ReadFile("/proc/vmstat")
	if err != nil {
		return 0
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("nr_free_pages ")); ok {
			n, _ := strconv.ParseUint(string(v), 10, 64)
			return n
		}
	}
	return 0
}

var eventSize = unsafe.Sizeof(event{})
