// Package fsslower traces a filesystem's reads, writes, opens and fsyncs slower than a
// threshold.
package fsslower

import (
	"fmt"
	"math"
	"strconv"
	"time"
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/fsops"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// event mirrors struct fsslower_event in bpf/fsslower.h.
type event struct {
	DeltaUs uint64
	EndNs   uint64
	Offset  int64
	Size    int64
	Pid     uint32
	Op      uint32
	File    [32]byte
	Task    [16]byte
}

var eventSize = unsafe.Sizeof(event{})

// config is fsslower's command line.
type config struct {
	FS       *fsops.FS
	CSV      bool
	Duration time.Duration
	Pid      uint32
	MinMs    uint64
}

// rodata mirrors fsslower's const volatile globals.
type rodata struct {
	Tgid     uint32 `bpf:"targ_tgid"`
	Magic    uint64 `bpf:"fs_magic"`
	MinLatNs uint64 `bpf:"min_lat_ns"`
}

// ops are the operations fsslower times.
var ops = []fsops.Op{fsops.Read, fsops.Write, fsops.Open, fsops.Fsync}

// opLetters are libbpf-tools' T column.
var opLetters = [fsops.NumOps]byte{'R', 'W', 'O', 'F', 'G'}

var Tool = app.Define(app.Def[config]{
	Name:      "fsslower",
	Usage:     "Trace file system operations slower than a threshold.",
	ArgsUsage: " ",
	Object:    "fsslower",
	// The system-call tracepoints: their ids are read in tracefs.
	Caps:    []string{"CAP_DAC_READ_SEARCH"},
	Layouts: map[string]any{"fsslower_event": event{}},
	Consts: map[string]int64{
		"FS_READ": int64(fsops.Read), "FS_WRITE": int64(fsops.Write), "FS_OPEN": int64(fsops.Open),
		"FS_FSYNC": int64(fsops.Fsync), "FS_GETATTR": int64(fsops.Getattr), "FS_OPS": int64(fsops.NumOps),
	},
	Aliases: fsops.Aliases("slower", "Trace %s operations slower than a threshold."),
	Examples: `
    fsslower -t ext4             # trace ext4 operations slower than 10 ms
    fsslower -t nfs -p 1216      # trace nfs operations with PID 1216 only
    fsslower -t xfs -c -d 1      # trace xfs operations for 1s with csv output`,
	Flags: func(c *config) []cli.Flag {
		c.MinMs = 10
		return []cli.Flag{
			app.Bool(&c.CSV, "csv c", "Output as csv"),
			app.Duration(&c.Duration),
			app.PID(&c.Pid, "pid p", "Process ID to trace", "PID"),
			app.Value(&c.MinMs, "min m", "Min latency to trace, in ms (default 10)", parseMin),
			fsops.TypeFlag(&c.FS),
		}
	},
	Check: func(c *config) error { return fsops.Check(c.FS) },
	// Every filesystem loads the same programs; only their targets differ.
	Variants: [][]string{{"-t", "ext4"}, {"-t", "ext4", "-m", "0"}},
	Spec: func(c *config) tracer.Spec {
		return tracer.Spec{
			Rodata: rodata{Tgid: c.Pid, Magic: c.FS.Magic, MinLatNs: c.MinMs * 1000 * 1000},
			Probes: fsops.Probes(c.FS, ops),
		}
	},
	Outputs: func(c *config) []render.Describer { return []render.Describer{records()} },
	Run:     run,
})

func parseMin(s string) (uint64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/1000000 {
		return 0, fmt.Errorf("invalid latency (in ms): %s", s)
	}
	return uint64(n), nil
}

// records declares fsslower's lines; in text, bytes of an fsync of the whole file are LL_MAX
// as libbpf-tools prints them (JSON: null).
func records() *render.Records[event] {
	return render.NewRecords(render.KindEvent,
		render.Clock[event]("TIME", -8, false),
		render.Text("COMM", -16, "comm", func(e *event) []byte { return filter.CommBytes(e.Task[:]) }),
		render.Uint("PID", -7, "pid", func(e *event) uint64 { return uint64(e.Pid) }),
		render.Custom("T", 1, func(l *render.Line, e *event) { l.Byte(opLetter(e.Op)) }).
			JSONWith("op", "string", func(j *render.JSON, key string, e *event) { j.Str(key, fsops.Op(e.Op).String()) }),
		render.Custom("BYTES", -7, func(l *render.Line, e *event) {
			if e.Size == math.MaxInt64 {
				l.Str("LL_MAX", -7)
			} else {
				l.Int(e.Size, -7)
			}
		}).JSONWith("bytes", "number|null", func(j *render.JSON, key string, e *event) {
			if e.Size == math.MaxInt64 {
				j.Null(key)
			} else {
				j.Int(key, e.Size)
			}
		}),
		render.Int("OFF_KB", -8, "offset", func(e *event) int64 { return e.Offset / 1024 }).
			JSONInt("offset", func(e *event) int64 { return e.Offset }),
		render.Float("LAT(ms)", 7, 2, "latency_ms", func(e *event) float64 { return float64(e.DeltaUs) / 1000 }).
			JSONUint("latency_us", func(e *event) uint64 { return e.DeltaUs }),
		render.Text("FILENAME", 0, "file", func(e *event) []byte { return filter.CommBytes(e.File[:]) }),
	)
}

func opLetter(op uint32) byte {
	if op < uint32(fsops.NumOps) {
		return opLetters[op]
	}
	return '?'
}

func banner(c *config) string {
	s := fmt.Sprintf("Tracing %s operations", c.FS.Name)
	if c.MinMs > 0 {
		s += fmt.Sprintf(" slower than %d ms", c.MinMs)
	}
	if c.Duration > 0 {
		return s + fmt.Sprintf(" for %d secs.", c.Duration/time.Second)
	}
	return s + "... Hit Ctrl-C to end."
}

// csvHeader is all libbpf-tools prints before -c's rows.
const csvHeader = "ENDTIME_ns,TASK,PID,TYPE,BYTES,OFFSET_b,LATENCY_us,FILE"

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	fsops.WarnSyscalls(env, t, c.FS, ops)
	recs := records().To(env.Out)
	opts := app.StreamOptions{Duration: c.Duration, Header: recs, Banner: banner(c)}
	handle := app.WriteEvents(recs, eventSize)
	if c.CSV && env.Out.Text() {
		opts.Banner, opts.Header = csvHeader, nil
		handle = func(rec []byte) {
			if e := tracer.Cast[event](rec, eventSize); e != nil {
				writeCSV(env.Out, e)
			}
		}
	}
	return app.Stream(env, t, opts, handle)
}

func writeCSV(out *render.Sink, e *event) {
	size := "LL_MAX"
	if e.Size != math.MaxInt64 {
		size = strconv.FormatInt(e.Size, 10)
	}
	out.Printf("%d,%s,%d,%c,%s,%d,%d,%s\n", e.EndNs, out.Escape(filter.CommString(e.Task[:])), e.Pid,
		opLetter(e.Op), size, e.Offset, e.DeltaUs, out.Escape(filter.CommString(e.File[:])))
}
