// Package wakeuptime sums the time threads spend blocked by who woke them up and the kernel
// stack of the wakeup.
package wakeuptime

import (
	"math"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/stacks"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// key mirrors struct wakeup_key in bpf/wakeuptime.h.
type key struct {
	Waker     [16]byte
	Target    [16]byte
	WKStackId int32
}

// config is wakeuptime's command line.
type config struct {
	PID         uint32
	UserThreads bool
	Folded      bool
	Block       stacks.BlockTimes
	Storage     stacks.Storage
	Duration    time.Duration
}

// rodata mirrors wakeuptime's const volatile globals.
type rodata struct {
	TargetTgid      uint32 `bpf:"target_tgid"`
	UserThreadsOnly bool   `bpf:"user_threads_only"`
	MinBlockNs      uint64 `bpf:"min_block_ns"`
	MaxBlockNs      uint64 `bpf:"max_block_ns"`
}

var Tool = app.Define(app.Def[config]{
	Name:      "wakeuptime",
	Usage:     "Summarize sleep to wakeup time by waker kernel stack",
	ArgsUsage: "[duration]",
	Object:    "wakeuptime",
	Caps:      []string{"CAP_SYSLOG"},
	Layouts:   map[string]any{"wakeup_key": key{}},
	Examples: `
    wakeuptime          # trace blocked time with waker stacks
    wakeuptime 5        # trace for 5 seconds only
    wakeuptime -f 5     # 5 seconds, and output in folded format
    wakeuptime -u       # don't include kernel threads (user only)
    wakeuptime -p 185   # trace for PID 185 only`,
	Flags: func(c *config) []cli.Flag {
		flags := []cli.Flag{
			app.PID(&c.PID, "pid p", "trace this PID only", "pid"),
			app.Bool(&c.UserThreads, "user-threads-only u", "user threads only (no kernel threads)"),
			app.Bool(&c.Folded, "folded f", "output folded format"),
		}
		flags = append(flags, stacks.BlockTimeOptions(&c.Block)...)
		return append(flags, stacks.StorageOptions(&c.Storage)...)
	},
	Args: func(c *config) []app.Arg { return app.DurationArg(&c.Duration) },
	Check: func(c *config) error {
		if c.UserThreads && c.PID != 0 {
			return app.Usagef("use either -u or -p")
		}
		return c.Block.Check()
	},
	Spec: spec,
	// Options with values that change what is loaded; the switches are tried alone anyway.
	Variants: [][]string{
		{"-m", "1000", "-M", "1000000"},
		{"--stack-storage-size", "16384", "--perf-max-stack-depth", "20"},
	},
	Outputs: func(c *config) []render.Describer { return []render.Describer{output()} },
	Run:     run,
})

func spec(c *config) tracer.Spec {
	s := tracer.Spec{
		Rodata: rodata{
			TargetTgid: c.PID, UserThreadsOnly: c.UserThreads,
			MinBlockNs: usToNs(c.Block.MinUs), MaxBlockNs: usToNs(c.Block.MaxUs),
		},
		Probes: []tracer.Probe{
			tracer.BTFTracepoint("context switches", "switch", "sched:sched_switch"),
			wakeupProbe,
		},
	}
	c.Storage.Configure(&s)
	return s
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

func output() *stacks.Output {
	return &stacks.Output{
		ValueKey: "total_us", ValueNote: "microseconds the target was blocked until these wakeups", Wakeups: true,
	}
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	symbolizer := stacks.NewSymbolizer(true, env.Warnf)
	banner := stacks.Banner(env.Out, c.Folded, "Tracing blocked time (us) by kernel stack")
	style := &stacks.Style{Wakeup: true, Folded: c.Folded}
	out := output()
	return app.ReportOnce(env, c.Duration, banner, func() error {
		counts, err := bpfmap.Entries[key, uint64](t.Map("counts"), false)
		if err != nil {
			return err
		}
		r := stacks.NewReader(t.Map("stackmap"), symbolizer)
		entries := make([]stacks.Entry, 0, len(counts))
		for _, e := range counts {
			entries = append(entries, stacks.Entry{
				Comm: filter.CommString(e.Key.Waker[:]), Target: filter.CommString(e.Key.Target[:]),
				Kernel: r.Kernel(e.Key.WKStackId), User: stacks.Stack{State: stacks.Absent}, Value: e.Value / 1000,
			})
		}
		return out.Report(env.Out, style, r, entries)
	})
}
