// Package biosnoop traces block I/O: one line per completed request, with the task that
// started it, the disk, the operation, the size and the latency.
package biosnoop

import (
	"strconv"
	"time"
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/blockdev"
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

// Pattern values of struct biosnoop_event.
const (
	patternSeq  = 1
	patternRand = 2
)

var Tool = app.Tool{
	Name:      "biosnoop",
	Usage:     "Trace block I/O",
	ArgsUsage: "[duration]",
	Object:    "biosnoop",
	Layouts:   map[string]any{"biosnoop_event": event{}},
	Examples: `
    biosnoop              # trace all block I/O
    biosnoop -Q           # include OS queued time in I/O time
    biosnoop -t           # use timestamps instead
    biosnoop 10           # trace for 10 seconds only
    biosnoop -d sdc       # trace sdc only
    biosnoop -c CG        # Trace process under cgroupsPath CG
    biosnoop -m 1         # trace for slower than 1ms
    biosnoop -P           # display block I/O pattern (sequential or random)`,
	Flags: []cli.Flag{
		// --queue is how BCC's Python biosnoop spells it.
		&cli.BoolFlag{Name: "queued", Aliases: []string{"Q", "queue"}, Usage: "Include OS queued time in I/O time"},
		&cli.StringFlag{Name: "disk", Aliases: []string{"d"}, Usage: "Trace this `DISK` only"},
		&cli.StringFlag{Name: "cgroup", Aliases: []string{"c"}, Usage: "Trace process in cgroup `PATH`"},
		&cli.StringFlag{Name: "min", Aliases: []string{"m"}, Usage: "`MIN` latency to trace, in ms"},
		&cli.BoolFlag{Name: "timestamp", Aliases: []string{"t"}, Usage: "Include timestamp on output"},
		&cli.BoolFlag{Name: "pattern", Aliases: []string{"P"}, Usage: "display block I/O pattern (sequential or random)"},
	},
	Action: run,
}

func run(c *cli.Context) error {
	duration, err := app.Duration(c)
	if err != nil {
		return err
	}
	var minNs uint64
	if s := c.String("min"); s != "" {
		ms, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return app.Usagef("invalid min latency %q: must be a number of milliseconds", s)
		}
		minNs = ms * uint64(time.Millisecond)
	}
	disks, dev, filterDev, err := app.DiskFilter(c, "disk")
	if err != nil {
		return err
	}
	queued, pattern := c.Bool("queued"), c.Bool("pattern")

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
	if queued {
		// On the insertion fallback above this is the same program: it is attached once.
		probes = append(probes, tracer.BTFTracepoint("request insertion", "rq_insert", "block:block_rq_insert"))
	}
	probes = append(probes,
		tracer.BTFTracepoint("request issue", "rq_issue", "block:block_rq_issue"),
		tracer.BTFTracepoint("request completion", "rq_complete", "block:block_rq_complete"),
	)

	t, err := app.Start(tracer.Spec{
		Object: "biosnoop",
		Rodata: map[string]any{
			"targ_queued":  queued,
			"filter_dev":   filterDev,
			"targ_dev":     dev,
			"min_ns":       minNs,
			"targ_pattern": pattern,
		},
		Probes: probes,
		Cgroup: c.String("cgroup"),
		// Room for a few seconds of a fast disk's completions if the reader falls behind.
		Events: 1 << 20,
	})
	if err != nil {
		return err
	}
	defer t.Close()

	p := &printer{disks: disks, queued: queued, pattern: pattern, timestamp: c.Bool("timestamp"),
		buf: make([]byte, 0, 256)}
	p.header()
	return app.Stream(c.Context, t, app.StreamOptions{Duration: duration}, p.print)
}

type printer struct {
	disks                      *blockdev.Table
	queued, pattern, timestamp bool
	startTs                    uint64
	buf                        []byte
}

func (p *printer) header() {
	b := p.buf[:0]
	if p.timestamp {
		b = padRight(b, "TIMESTAMP", 12)
	} else {
		b = padRight(b, "TIME(s)", 11)
	}
	b = append(b, ' ')
	for _, col := range []struct {
		name  string
		width int
	}{{"COMM", 14}, {"PID", 7}, {"DISK", 7}, {"T", 4}, {"SECTOR", 10}, {"BYTES", 7}} {
		b = append(padRight(b, col.name, col.width), ' ')
	}
	if p.pattern {
		b = append(b, "P "...)
	}
	if p.queued {
		b = append(padLeft(b, "QUE(ms)", 7), ' ')
	}
	b = append(padLeft(b, "LAT(ms)", 7), '\n')
	app.Output.Write(b)
	app.Output.Flush()
	p.buf = b
}

var eventSize = unsafe.Sizeof(event{})

// print formats one event straight into the output buffer: no allocation per event.
func (p *printer) print(rec []byte) {
	e := tracer.Cast[event](rec, eventSize)
	if e == nil {
		return
	}
	b := p.buf[:0]
	if p.timestamp {
		now := time.Now()
		h, m, s := now.Clock()
		b = appendTwo(b, h, ':')
		b = appendTwo(b, m, ':')
		b = appendTwo(b, s, '.')
		ms := now.Nanosecond() / 1e6
		b = append(b, byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), ' ')
	} else {
		if p.startTs == 0 {
			p.startTs = e.Ts
		}
		mark := len(b)
		b = strconv.AppendFloat(b, float64(e.Ts-p.startTs)/1e9, 'f', 6, 64)
		b = append(pad(b, mark, 11), ' ')
	}
	comm := e.Comm[:]
	for i, ch := range comm {
		if ch == 0 {
			comm = comm[:i]
			break
		}
	}
	if len(comm) > 14 {
		comm = comm[:14]
	}
	b = append(padRight(b, comm, 14), ' ')
	b = appendInt(b, int64(e.Pid), 7)
	disk := p.disks.Name(e.Dev)
	if disk == "" {
		disk = "Unknown"
	}
	b = append(padRight(b, disk, 7), ' ')
	mark := len(b)
	b = appendRWBS(b, e.CmdFlags)
	b = append(pad(b, mark, 4), ' ')
	b = appendInt(b, int64(e.Sector), 10)
	b = appendInt(b, int64(e.Len), 7)
	if p.pattern {
		switch e.Pattern {
		case patternSeq:
			b = append(b, "S "...)
		case patternRand:
			b = append(b, "R "...)
		default:
			b = append(b, "? "...)
		}
	}
	if p.queued {
		q := -1.0
		if e.Qdelta != -1 {
			q = float64(e.Qdelta) / 1e6
		}
		b = append(appendMs(b, q), ' ')
	}
	b = append(appendMs(b, float64(e.Delta)/1e6), '\n')
	app.Output.Write(b)
	p.buf = b
}

// appendMs is "%7.3f".
func appendMs(b []byte, ms float64) []byte {
	mark := len(b)
	b = strconv.AppendFloat(b, ms, 'f', 3, 64)
	if n := len(b) - mark; n < 7 {
		b = append(b, "       "[:7-n]...)
		copy(b[mark+7-n:], b[mark:mark+n])
		copy(b[mark:mark+7-n], "       ")
	}
	return b
}

// appendInt is "%-*d ".
func appendInt(b []byte, v int64, width int) []byte {
	mark := len(b)
	b = strconv.AppendInt(b, v, 10)
	return append(pad(b, mark, width), ' ')
}

func appendTwo(b []byte, v int, sep byte) []byte {
	return append(b, byte('0'+v/10), byte('0'+v%10), sep)
}

// pad left-justifies what was appended since mark in width columns.
func pad(b []byte, mark, width int) []byte {
	for n := len(b) - mark; n < width; n++ {
		b = append(b, ' ')
	}
	return b
}

func padRight[S string | []byte](b []byte, s S, width int) []byte {
	mark := len(b)
	return pad(append(b, s...), mark, width)
}

func padLeft(b []byte, s string, width int) []byte {
	for n := len(s); n < width; n++ {
		b = append(b, ' ')
	}
	return append(b, s...)
}
