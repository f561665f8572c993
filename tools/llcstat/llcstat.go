// Package llcstat samples last-level cache references and misses per process and CPU.
package llcstat

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/perfevent"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// key mirrors struct llcstat_key in bpf/llcstat.h.
type key struct {
	CPU uint32
	Pid uint32
	Tid uint32
}

// value mirrors struct llcstat_value.
type value struct {
	Ref  uint64
	Miss uint64
	Comm [16]byte
}

// entry is one process (or thread) on one CPU, as the llc map holds it.
type entry = bpfmap.Entry[key, value]

// config is llcstat's command line.
type config struct {
	Period    uint64
	PerThread bool
	Duration  time.Duration
}

// rodata mirrors llcstat's const volatile globals.
type rodata struct {
	PerThread bool `bpf:"per_thread"`
}

var Tool = app.Define(app.Def[config]{
	Name:      "llcstat",
	Usage:     "Summarize cache references and misses by PID.",
	ArgsUsage: "[duration]",
	Object:    "llcstat",
	Layouts:   map[string]any{"llcstat_key": key{}, "llcstat_value": value{}},
	Examples: `
    llcstat             # sample for 10 seconds
    llcstat 20          # sample for 20 seconds
    llcstat -c 1000     # one sample per 1000 cache references / misses
    llcstat -t          # also split by thread`,
	Flags: func(c *config) []cli.Flag {
		c.Period = 100
		period := app.Value(&c.Period, "sample_period c", "Sample one in this many number of cache reference / miss events", parsePeriod)
		period.(*cli.GenericFlag).DefaultText = strconv.FormatUint(c.Period, 10)
		return []cli.Flag{
			period,
			app.Bool(&c.PerThread, "tid t", "Summarize cache references and misses by PID/TID"),
		}
	},
	Args: func(c *config) []app.Arg {
		c.Duration = 10 * time.Second
		return app.DurationArg(&c.Duration)
	},
	Spec: func(c *config) tracer.Spec {
		return tracer.Spec{Rodata: rodata{PerThread: c.PerThread}, Manual: []string{"llc_miss", "llc_ref"}}
	},
	Outputs: func(c *config) []render.Describer { return []render.Describer{records(c.PerThread)} },
	Run:     run,
})

func parsePeriod(s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 63)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("invalid sample period: %s", s)
	}
	return n, nil
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	for _, ev := range []struct {
		config uint64
		prog   string
	}{
		{unix.PERF_COUNT_HW_CACHE_MISSES, "llc_miss"},
		{unix.PERF_COUNT_HW_CACHE_REFERENCES, "llc_ref"},
	} {
		set, err := perfevent.OpenPerCPU(unix.PERF_TYPE_HARDWARE, ev.config, perfevent.Every(c.Period))
		if errors.Is(err, perfevent.ErrUnsupported) {
			return fmt.Errorf("no hardware cache counters on this machine (%v)", err)
		}
		if err != nil {
			return err
		}
		err = set.AttachTo(t, ev.prog)
		set.Close()
		if err != nil {
			return err
		}
	}
	banner := fmt.Sprintf("Running for %d seconds or Hit Ctrl-C to end.", int64(c.Duration/time.Second))
	llc := t.Map("llc")
	return app.ReportOnce(env, c.Duration, banner, func() error {
		entries, err := bpfmap.Entries[key, value](llc, false)
		if err != nil {
			return err
		}
		report(env.Out, c.PerThread, entries)
		return nil
	})
}

// records declares the report's rows: libbpf-tools' "%-8u " pid, with -t "%-8u " tid, then
// "%-16s %-4u %12llu %12llu %6.2f%%".
func records(perThread bool) *render.Records[entry] {
	return render.NewRecords(render.KindTable,
		render.Uint("PID", -8, "pid", func(e *entry) uint64 { return uint64(e.Key.Pid) }),
		render.Uint("TID", -8, "tid", func(e *entry) uint64 { return uint64(e.Key.Tid) }).If(perThread),
		render.Text("NAME", -16, "comm", func(e *entry) []byte { return filter.CommBytes(e.Value.Comm[:]) }),
		render.Uint("CPU", -4, "cpu", func(e *entry) uint64 { return uint64(e.Key.CPU) }),
		render.Uint("REFERENCE", 12, "references", func(e *entry) uint64 { return e.Value.Ref }),
		render.Uint("MISS", 12, "misses", func(e *entry) uint64 { return e.Value.Miss }),
		render.Custom("HIT%", 7, func(l *render.Line, e *entry) { l.Float(entryHitRate(e), 6, 2).Byte('%') }).
			JSONFloat("hit_percent", entryHitRate),
	)
}

// report prints a row per process (or thread) and CPU, then, in text, the totals.
func report(out *render.Sink, perThread bool, entries []entry) {
	slices.SortFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.Key.Pid, b.Key.Pid), cmp.Compare(a.Key.Tid, b.Key.Tid), cmp.Compare(a.Key.CPU, b.Key.CPU))
	})
	rows := records(perThread).To(out)
	rows.Header()
	var refs, misses uint64
	for i := range entries {
		rows.Write(&entries[i])
		refs += entries[i].Value.Ref
		misses += entries[i].Value.Miss
	}
	out.Printf("Total References: %d Total Misses: %d Hit Rate: %.2f%%\n", refs, misses, hitRate(refs, misses))
}

func entryHitRate(e *entry) float64 { return hitRate(e.Value.Ref, e.Value.Miss) }

// hitRate is the share of references that did not miss, in percent. Samples of the two events
// are independent, so a row can show more misses than references: that counts as 0% hits.
func hitRate(refs, misses uint64) float64 {
	if refs == 0 || misses >= refs {
		return 0
	}
	return float64(refs-misses) / float64(refs) * 100
}
