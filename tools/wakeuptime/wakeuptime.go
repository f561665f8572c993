// Package wakeuptime sums the time threads spend blocked by who woke them up and the kernel
// stack of the wakeup.
package wakeuptime

import (
	"cmp"
	"fmt"
	"math"
	"os"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/stacks"
	"github.com/bpfutils/bpfutils/pkg/syms"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// key mirrors struct wakeup_key in bpf/wakeuptime.h.
type key struct {
	Waker     [16]byte
	Target    [16]byte
	WKStackId int32
}

var Tool = app.Tool{
	Name:      "wakeuptime",
	Usage:     "Summarize sleep to wakeup time by waker kernel stack",
	ArgsUsage: "[duration]",
	Object:    "wakeuptime",
	Layouts:   map[string]any{"wakeup_key": key{}},
	Examples: `
    wakeuptime          # trace blocked time with waker stacks
    wakeuptime 5        # trace for 5 seconds only
    wakeuptime -f 5     # 5 seconds, and output in folded format
    wakeuptime -u       # don't include kernel threads (user only)
    wakeuptime -p 185   # trace for PID 185 only`,
	Flags: slices.Concat([]cli.Flag{
		&cli.StringFlag{Name: "pid", Aliases: []string{"p"}, Usage: "trace this PID only"},
		&cli.BoolFlag{Name: "user-threads-only", Aliases: []string{"u"}, Usage: "user threads only (no kernel threads)"},
		&cli.BoolFlag{Name: "folded", Aliases: []string{"f"}, Usage: "output folded format"},
	}, stacks.BlockTimeFlags(), stacks.StorageFlags()),
	Action: run,
}

func run(c *cli.Context) error {
	duration, err := app.Duration(c)
	if err != nil {
		return err
	}
	var pid uint32
	if s := c.String("pid"); s != "" {
		if pid, err = filter.PID("pid", s); err != nil {
			return app.UsageError{Err: err}
		}
	}
	userThreads := c.Bool("user-threads-only")
	if userThreads && pid != 0 {
		return app.Usagef("use either -u or -p")
	}
	minUs, maxUs, err := stacks.ParseBlockTimes(c)
	if err != nil {
		return app.UsageError{Err: err}
	}
	storage, err := stacks.ParseStorage(c)
	if err != nil {
		return app.UsageError{Err: err}
	}

	spec := tracer.Spec{
		Object: "wakeuptime",
		Rodata: map[string]any{
			"target_tgid": pid, "user_threads_only": userThreads, "min_block_ns": usToNs(minUs), "max_block_ns": usToNs(maxUs),
		},
		Probes: []tracer.Probe{
			tracer.BTFTracepoint("context switches", "switch", "sched:sched_switch"),
			wakeupProbe,
		},
	}
	storage.Configure(&spec)
	// Symbols first, as libbpf-tools: the duration then counts from the attach.
	symbolizer := syms.New()
	kernErr := symbolizer.LoadKernel()
	t, err := app.Start(spec)
	if err != nil {
		return err
	}
	defer t.Close()
	if kernErr != nil {
		app.Warnf("kernel symbols unavailable: %v", kernErr)
	}

	w := app.Output
	folded := c.Bool("folded")
	if !folded {
		fmt.Fprintln(w, "Tracing blocked time (us) by kernel stack")
		w.Flush()
	}
	return app.ReportOnce(c.Context, duration, func() error { return printMap(t, symbolizer, folded) })
}

func usToNs(us uint64) uint64 {
	if us > math.MaxUint64/1000 {
		return math.MaxUint64
	}
	return us * 1000
}

// wakeupProbe sees wakeups where the waker calls try_to_wake_up (sched_waking), else where
// the wakee is activated (sched_wakeup, libbpf-tools' choice: often an interrupt on the
// wakee's idle CPU, which makes swapper the waker).
var wakeupProbe = tracer.Probe{What: "wakeups", Hooks: append(
	tracer.BTFTracepoint("", "waking", "sched:sched_waking").Hooks,
	tracer.BTFTracepoint("", "wakeup", "sched:sched_wakeup").Hooks...)}

type wakeup struct {
	waker, target string
	stack         stacks.Stack
	us            uint64
}

// printMap prints the blocked time of every waker stack, the longest last.
func printMap(t *tracer.Tracer, s *syms.Symbolizer, folded bool) error {
	counts, err := bpfmap.Entries[key, uint64](t.Map("counts"), false)
	if err != nil {
		return err
	}
	r := stacks.NewReader(t.Map("stackmap"), s)
	wakeups := make([]wakeup, 0, len(counts))
	for _, e := range counts {
		wakeups = append(wakeups, wakeup{
			waker: filter.CommString(e.Key.Waker[:]), target: filter.CommString(e.Key.Target[:]),
			stack: r.Kernel(e.Key.WKStackId), us: e.Value / 1000,
		})
	}
	slices.SortStableFunc(wakeups, func(a, b wakeup) int {
		if c := cmp.Compare(a.us, b.us); c != 0 {
			return c
		}
		if c := cmp.Compare(a.waker, b.waker); c != 0 {
			return c
		}
		return cmp.Compare(a.target, b.target)
	})
	w := app.Output
	for _, wk := range wakeups {
		if folded {
			writeFolded(w, &wk)
		} else {
			writeMultiLine(w, &wk)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if n, _ := r.Missed(); n > 0 {
		fmt.Fprintf(os.Stderr, "WARNING: %d stack traces could not be displayed. Consider increasing --stack-storage-size.\n", n)
	}
	return nil
}
