// Package llcstat samples last-level cache references and misses per process and CPU.
package llcstat

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/perfevent"
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

var Tool = app.Tool{
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
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "sample_period", Aliases: []string{"c"}, Value: "100",
			Usage: "Sample one in this many number of cache reference / miss events"},
		&cli.BoolFlag{Name: "tid", Aliases: []string{"t"}, Usage: "Summarize cache references and misses by PID/TID"},
	},
	Action: run,
}

func run(c *cli.Context) error {
	period, err := strconv.ParseUint(c.String("sample_period"), 10, 63)
	if err != nil || period == 0 {
		return app.Usagef("invalid sample period: %s", c.String("sample_period"))
	}
	duration := 10 * time.Second
	if c.NArg() > 0 {
		if duration, err = app.Duration(c); err != nil {
			return err
		}
	}
	perThread := c.Bool("tid")

	t, err := app.Start(tracer.Spec{
		Object: "llcstat",
		Rodata: map[string]any{"per_thread": perThread},
		Manual: []string{"llc_miss", "llc_ref"},
	})
	if err != nil {
		return err
	}
	defer t.Close()
	for _, ev := range []struct {
		config uint64
		prog   string
	}{
		{unix.PERF_COUNT_HW_CACHE_MISSES, "llc_miss"},
		{unix.PERF_COUNT_HW_CACHE_REFERENCES, "llc_ref"},
	} {
		set, err := perfevent.OpenPerCPU(unix.PERF_TYPE_HARDWARE, ev.config, perfevent.Every(period))
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

	w := app.Output
	fmt.Fprintf(w, "Running for %d seconds or Hit Ctrl-C to end.\n", int64(duration/time.Second))
	w.Flush()
	// The tool's context ends on Ctrl-C.
	ctx, cancel := context.WithTimeout(c.Context, duration)
	defer cancel()
	<-ctx.Done()

	entries, err := bpfmap.Entries[key, value](t.Map("llc"), false)
	if err != nil {
		return err
	}
	report(w, entries, perThread)
	return w.Flush()
}

// report prints a row per process (or thread) and CPU, then the totals.
func report(w io.Writer, entries []bpfmap.Entry[key, value], perThread bool) {
	slices.SortFunc(entries, func(a, b bpfmap.Entry[key, value]) int {
		return cmp.Or(cmp.Compare(a.Key.Pid, b.Key.Pid), cmp.Compare(a.Key.Tid, b.Key.Tid), cmp.Compare(a.Key.CPU, b.Key.CPU))
	})
	fmt.Fprintf(w, "%-8s ", "PID")
	if perThread {
		fmt.Fprintf(w, "%-8s ", "TID")
	}
	fmt.Fprintf(w, "%-16s %-4s %12s %12s %7s\n", "NAME", "CPU", "REFERENCE", "MISS", "HIT%")
	var refs, misses uint64
	for _, e := range entries {
		v := e.Value
		fmt.Fprintf(w, "%-8d ", e.Key.Pid)
		if perThread {
			fmt.Fprintf(w, "%-8d ", e.Key.Tid)
		}
		fmt.Fprintf(w, "%-16s %-4d %12d %12d %6.2f%%\n", filter.CommString(v.Comm[:]), e.Key.CPU, v.Ref, v.Miss, hitRate(v.Ref, v.Miss))
		refs += v.Ref
		misses += v.Miss
	}
	fmt.Fprintf(w, "Total References: %d Total Misses: %d Hit Rate: %.2f%%\n", refs, misses, hitRate(refs, misses))
}

// hitRate is the share of references that did not miss, in percent. Samples of the two events
// are independent, so a row can show more misses than references: that counts as 0% hits.
func hitRate(refs, misses uint64) float64 {
	if refs == 0 || misses >= refs {
		return 0
	}
	return float64(refs-misses) / float64(refs) * 100
}
