// Package biosnoop traces block I/O: one line per completed request, with the task that
// started it, the disk, the operation, the size and the latency.
package biosnoop

import (
	"fmt"
	"strconv"
	"time"
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/blockdev"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// event mirrors struct biosnoop_event in bpf/biosnoop.h.
type event struct {
	Ts       uint64
	Delta    uint64
	Qdelta   int64
	Sector   uint64
	Len      uint32
	Pid      uint32
	CmdFlags uint32
	Dev      uint32
	Comm     [16]byte
	Pattern  uint32
	Pad      uint32
}

// request mirrors struct biosnoop_rq: a request in flight, in the requests map.
type request struct {
	Comm   [16]byte
	Pid    uint32
	Dev    uint32
	Start  uint64
	Insert uint64
	Issue  uint64
}

func (r *request) Times() (lastNews uint64, issued bool) {
	return max(r.Start, r.Insert, r.Issue), r.Issue != 0
}

// Pattern values of struct biosnoop_event (enum biosnoop_pattern).
const (
	patternSeq  = 1
	patternRand = 2
)

// config is biosnoop's command line.
type config struct {
	Queued, Timestamp, Pattern bool
	Disk                       app.Disk
	Cgroup                     string
	MinMs                      uint64
	Duration                   time.Duration
}

// rodata mirrors biosnoop's const volatile globals.
type rodata struct {
	Queued    bool   `bpf:"targ_queued"`
	FilterDev bool   `bpf:"filter_dev"`
	Dev       uint32 `bpf:"targ_dev"`
	MinNs     uint64 `bpf:"min_ns"`
	Pattern   bool   `bpf:"targ_pattern"`
}

var Tool = app.Define(app.Def[config]{
	Name:      "biosnoop",
	Usage:     "Trace block I/O",
	ArgsUsage: "[duration]",
	Object:    "biosnoop",
	Layouts:   map[string]any{"biosnoop_event": event{}, "biosnoop_rq": request{}},
	Consts:    map[string]int64{"BIOSNOOP_PATTERN_SEQ": patternSeq, "BIOSNOOP_PATTERN_RAND": patternRand},
	Examples: `
    biosnoop              # trace all block I/O
    biosnoop -Q           # include OS queued time in I/O time
    biosnoop -t           # use timestamps instead
    biosnoop 10           # trace for 10 seconds only
    biosnoop -d sdc       # trace sdc only
    biosnoop -c CG        # Trace process under cgroupsPath CG
    biosnoop -m 1         # trace for slower than 1ms
    biosnoop -P           # display block I/O pattern (sequential or random)`,
	Flags: func(c *config) []cli.Flag {
		return []cli.Flag{
			// --queue is how BCC's Python biosnoop spells it.
			app.Bool(&c.Queued, "queued Q queue", "Include OS queued time in I/O time"),
			app.DiskFlag(&c.Disk, "disk d", "Trace this `DISK` only"),
			app.Cgroup(&c.Cgroup, "cgroup c", ""),
			app.Value(&c.MinMs, "min m", "`MIN` latency to trace, in ms", parseMinMs),
			app.Bool(&c.Timestamp, "timestamp t", "Include timestamp on output"),
			app.Bool(&c.Pattern, "pattern P", "display block I/O pattern (sequential or random)"),
		}
	},
	Args:    func(c *config) []app.Arg { return app.DurationArg(&c.Duration) },
	Spec:    spec,
	Outputs: func(c *config) []render.Describer { return []render.Describer{records(c, nil)} },
	Run:     run,
})

func parseMinMs(s string) (uint64, error) {
	ms, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("invalid min latency %q: must be a number of milliseconds", s)
	}
	return ms, nil
}

func spec(c *config) tracer.Spec {
	// The origin of a request is taken where libbpf-tools takes it (block_io_start, else the
	// accounting function); kernels that have neither (6.1, where blk_account_io_start is
	// inlined) give it at allocation, else at insertion and, for requests issued without an I/O
	// scheduler, at issue: hooks that set origin_late (see bpf/biosnoop.bpf.c).
	const late = "origin_late"
	probes := []tracer.Probe{
		{What: "block I/O start", Hooks: []tracer.Hook{
			{Prog: "io_start_raw", Kind: tracer.RawTP, Target: "block:block_io_start"},
			{Prog: "io_start_btf", Kind: tracer.TPBTF, Target: "block:block_io_start"},
			{Prog: "io_start_fentry", Kind: tracer.Fentry, Target: "blk_account_io_start"},
			{Prog: "io_start_fentry", Kind: tracer.Fentry, Target: "__blk_account_io_start"},
			{Prog: "io_start_kprobe", Kind: tracer.Kprobe, Target: "blk_account_io_start"},
			{Prog: "io_start_kprobe", Kind: tracer.Kprobe, Target: "__blk_account_io_start"},
			{Prog: "io_alloc_fexit", Kind: tracer.Fexit, Target: "__blk_mq_alloc_requests", Sets: late},
			{Prog: "io_alloc_kretprobe", Kind: tracer.Kretprobe, Target: "__blk_mq_alloc_requests", Sets: late},
			{Prog: "rq_insert_raw", Kind: tracer.RawTP, Target: "block:block_rq_insert", Sets: late},
			{Prog: "rq_insert_btf", Kind: tracer.TPBTF, Target: "block:block_rq_insert", Sets: late},
		}},
		// Only re-attributes a request to the task that merged a bio into it.
		{What: "bio merges", Optional: true, Hooks: []tracer.Hook{
			{Prog: "io_merge_kprobe", Kind: tracer.Kprobe, Target: "blk_account_io_merge_bio"},
		}},
	}
	if c.Queued {
		// On the insertion fallback above this is the same program: it is attached once.
		probes = append(probes, tracer.BTFTracepoint("request insertion", "rq_insert", "block:block_rq_insert"))
	}
	probes = append(probes,
		tracer.BTFTracepoint("request issue", "rq_issue", "block:block_rq_issue"),
		tracer.BTFTracepoint("request completion", "rq_complete", "block:block_rq_complete"),
	)
	return tracer.Spec{
		Rodata: rodata{
			Queued: c.Queued, FilterDev: c.Disk.Filter, Dev: c.Disk.Dev,
			MinNs: c.MinMs * uint64(time.Millisecond), Pattern: c.Pattern,
		},
		Probes: probes,
		Cgroup: c.Cgroup,
		// Room for a few seconds of a fast disk's completions if the reader falls behind.
		Events: 1 << 20,
	}
}

// records declares biosnoop's lines; disks names the devices (nil: only the declaration).
func records(c *config, disks *blockdev.Table) *render.Records[event] {
	var firstTs uint64
	rwbs := make([]byte, 0, 8)
	sinceFirst := func(e *event) float64 {
		if firstTs == 0 {
			firstTs = e.Ts
		}
		return float64(e.Ts-firstTs) / 1e9
	}
	return render.NewRecords(render.KindEvent,
		render.Float("TIME(s)", -11, 6, "time_s", sinceFirst).Note("seconds since the first event").If(!c.Timestamp),
		render.Clock[event]("TIMESTAMP", -12, true).If(c.Timestamp),
		render.Text("COMM", -14, "comm", func(e *event) []byte { return filter.CommBytes(e.Comm[:]) }).Max(14),
		render.Uint("PID", -7, "pid", func(e *event) uint64 { return uint64(e.Pid) }),
		render.Str("DISK", -7, "disk", func(e *event) string { return diskName(disks, e.Dev) }),
		render.Custom("T", -4, func(l *render.Line, e *event) { l.Append(blockdev.AppendRWBS(l.Bytes(), e.CmdFlags)) }).
			JSONBytes("rwbs", func(e *event) []byte { rwbs = blockdev.AppendRWBS(rwbs[:0], e.CmdFlags); return rwbs }).
			Note("operation and flags, as blktrace's RWBS: R, W, D, F, then F (FUA), A (readahead), S (sync), M (metadata)"),
		render.Uint("SECTOR", -10, "sector", func(e *event) uint64 { return e.Sector }),
		render.Uint("BYTES", -7, "bytes", func(e *event) uint64 { return uint64(e.Len) }),
		render.Str("P", -1, "pattern", patternLetter).Note("S sequential, R random, ? first request seen").If(c.Pattern),
		render.Float("QUE(ms)", 7, 3, "queue_ms", queueMs).
			JSONInt("queue_ns", func(e *event) int64 { return e.Qdelta }).Note("-1 when the insertion was not seen").If(c.Queued),
		render.Float("LAT(ms)", 7, 3, "latency_ms", func(e *event) float64 { return float64(e.Delta) / 1e6 }).
			JSONUint("latency_ns", func(e *event) uint64 { return e.Delta }),
	)
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	disks, err := c.Disk.Table()
	if err != nil {
		return err
	}
	recs := records(c, disks).To(env.Out)
	// Requests whose completion was not seen are looked for, and reported, with lost events.
	inflight := blockdev.NewInflight(t.Map("requests"), t.Map("unseen_completions"), blockdev.TimesOf[request]())
	var sweepFailed bool
	sweep := func() {
		if _, err := inflight.Sweep(); err != nil && !sweepFailed {
			sweepFailed = true
			env.Warnf("%v", err)
		}
		inflight.Report(env.Out)
	}
	opts := app.StreamOptions{Duration: c.Duration, Header: recs, LossCheck: sweep}
	return app.Stream(env, t, opts, app.WriteEvents(recs, eventSize))
}

var eventSize = unsafe.Sizeof(event{})

func diskName(disks *blockdev.Table, dev uint32) string {
	if disks != nil {
		if name := disks.Name(dev); name != "" {
			return name
		}
	}
	return "Unknown"
}

func patternLetter(e *event) string {
	switch e.Pattern {
	case patternSeq:
		return "S"
	case patternRand:
		return "R"
	}
	return "?"
}

// queueMs is the time the request spent queued, or -1 where the insertion was not seen.
func queueMs(e *event) float64 {
	if e.Qdelta == -1 {
		return -1
	}
	return float64(e.Qdelta) / 1e6
}
