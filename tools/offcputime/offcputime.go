// Package offcputime sums the time threads spend blocked, off a CPU, by the stacks they
// blocked in.
package offcputime

import (
	"fmt"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/stacks"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// key mirrors struct offcpu_key in bpf/offcputime.h.
type key struct {
	Pid         uint32
	Tgid        uint32
	UserStackId int32
	KernStackId int32
}

// value mirrors struct offcpu_val in bpf/offcputime.h.
type value struct {
	Delta uint64
	Comm  [16]byte
}

// maxIDs is OFFCPU_MAX_IDS in bpf/offcputime.h, the size of the tgids and pids maps
// (Def.Consts holds it to the object).
const maxIDs = 30

// anyState is the state rodata when --state is absent.
const anyState = -1

// config is offcputime's command line.
type config struct {
	PIDs, TIDs                 []uint32
	UserThreads, KernelThreads bool
	Mode                       stacks.Mode
	Offsets                    bool
	Block                      stacks.BlockTimes
	State                      int64
	Storage                    stacks.Storage
	Duration                   time.Duration
}

// rodata mirrors offcputime's const volatile globals.
type rodata struct {
	FilterByTgid      bool   `bpf:"filter_by_tgid"`
	FilterByPid       bool   `bpf:"filter_by_pid"`
	UserThreadsOnly   bool   `bpf:"user_threads_only"`
	KernelThreadsOnly bool   `bpf:"kernel_threads_only"`
	UserStacks        bool   `bpf:"user_stacks"`
	KernelStacks      bool   `bpf:"kernel_stacks"`
	State             int64  `bpf:"state"`
	MinBlockUs        uint64 `bpf:"min_block_us"`
	MaxBlockUs        uint64 `bpf:"max_block_us"`
}

var Tool = app.Define(app.Def[config]{
	Name:      "offcputime",
	Usage:     "Summarize off-CPU time by stack trace",
	ArgsUsage: "[duration]",
	Object:    "offcputime",
	Caps:      []string{"CAP_SYSLOG"},
	CapsNote:  "user symbols: see below",
	Consts:    map[string]int64{"max_entries:tgids": maxIDs, "max_entries:pids": maxIDs},
	Layouts:   map[string]any{"offcpu_key": key{}, "offcpu_val": value{}},
	Examples: `
    offcputime             # trace off-CPU stack time until Ctrl-C
    offcputime 5           # trace for 5 seconds only
    offcputime -f 5        # 5 seconds, and output in folded format
    offcputime -s 5        # 5 seconds, and show symbol offsets
    offcputime -m 1000     # trace only events that last more than 1000 usec
    offcputime -M 10000    # trace only events that last less than 10000 usec
    offcputime -p 185,175,165 # only trace threads for PID 185,175,165
    offcputime -t 188,120,134 # only trace threads 188,120,134
    offcputime -u          # only trace user threads (no kernel)
    offcputime -k          # only trace kernel threads (no user)
    offcputime -U          # only show user space stacks (no kernel)
    offcputime -K          # only show kernel space stacks (no user)`,
	Flags: func(c *config) []cli.Flag {
		c.State = anyState
		flags := []cli.Flag{
			app.IDs(&c.PIDs, "pid p", "Trace these PIDs only, comma-separated list", "pid", maxIDs),
			app.IDs(&c.TIDs, "tid t", "Trace these TIDs only, comma-separated list", "tid", maxIDs),
			app.Bool(&c.UserThreads, "user-threads-only u", "User threads only (no kernel threads)"),
			app.Bool(&c.KernelThreads, "kernel-threads-only k", "Kernel threads only (no user threads)"),
		}
		flags = append(flags, stacks.ModeOptions(&c.Mode)...)
		// BCC's Python offcputime -s.
		flags = append(flags, app.Bool(&c.Offsets, "offset s", "show address offsets"))
		flags = append(flags, stacks.BlockTimeOptions(&c.Block)...)
		flags = append(flags, app.Value(&c.State, "state",
			"filter on this thread state bitmask (eg, 2 == TASK_UNINTERRUPTIBLE) see include/linux/sched.h", parseState))
		return append(flags, stacks.StorageOptions(&c.Storage)...)
	},
	Args:  func(c *config) []app.Arg { return app.DurationArg(&c.Duration) },
	Check: check,
	Spec:  spec,
	// Options with values that change what is loaded; the switches are tried alone anyway.
	Variants: [][]string{
		{"--state", "0"}, {"--state", "1"}, {"--state", "2"},
		{"-m", "1000", "-M", "1000000"},
		{"--stack-storage-size", "16384", "--perf-max-stack-depth", "20"},
	},
	Outputs: func(c *config) []render.Describer { return []render.Describer{output()} },
	Run:     run,
})

func parseState(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > 2 {
		return 0, fmt.Errorf("Invalid task state: %s", s)
	}
	return n, nil
}

func check(c *config) error {
	if c.UserThreads && c.KernelThreads {
		return app.Usagef("user_threads_only and kernel_threads_only cannot be used together.")
	}
	if err := c.Mode.Check(); err != nil {
		return err
	}
	if c.KernelThreads && c.Mode.UserOnly {
		return app.Usagef("displaying user stacks for kernel threads doesn't make sense.")
	}
	// As BCC's Python offcputime: folded lines stay flame-graph input.
	if c.Mode.Folded && c.Offsets {
		return app.Usagef("can only use -f or -s")
	}
	return c.Block.Check()
}

func spec(c *config) tracer.Spec {
	user, kernel := c.Mode.Sides()
	s := tracer.Spec{
		Rodata: rodata{
			FilterByTgid: c.PIDs != nil, FilterByPid: c.TIDs != nil,
			UserThreadsOnly: c.UserThreads, KernelThreadsOnly: c.KernelThreads,
			UserStacks: user, KernelStacks: kernel,
			State: c.State, MinBlockUs: c.Block.MinUs, MaxBlockUs: c.Block.MaxUs,
		},
		Probes: []tracer.Probe{tracer.BTFTracepoint("context switches", "switch", "sched:sched_switch")},
	}
	c.Storage.Configure(&s)
	return s
}

func output() *stacks.Output {
	return &stacks.Output{
		ValueKey: "total_us", ValueNote: "microseconds off-CPU in this stack", PIDNote: "thread id (the stacks are its process')",
	}
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	if err := stacks.FillSets(t, map[string][]uint32{"tgids": c.PIDs, "pids": c.TIDs}); err != nil {
		return err
	}
	symbolizer := stacks.NewSymbolizer(!c.Mode.UserOnly, env.Warnf)
	banner := stacks.Banner(env.Out, c.Mode.Folded, stacks.Header("Tracing off-CPU time (us) of", c.PIDs, c.TIDs, "", c.Duration))
	// -v (libbpf-tools) and -f (Python) never met: folded output stays flame-graph input.
	style := &stacks.Style{Folded: c.Mode.Folded, Delimited: c.Mode.Delimited}
	if !c.Mode.Folded {
		style.Verbose, style.Offsets = env.Verbose, c.Offsets
		style.UnknownKernel, style.Numbered, style.MissedTo = "unknown", true, env.Out.Stderr()
	}
	out := output()
	return app.ReportOnce(env, c.Duration, banner, func() error {
		info, err := bpfmap.Entries[key, value](t.Map("info"), false)
		if err != nil {
			return err
		}
		r := stacks.NewReader(t.Map("stackmap"), symbolizer)
		entries := make([]stacks.Entry, 0, len(info))
		for _, e := range info {
			if e.Value.Delta == 0 {
				continue // left the CPU, never came back (or outside -m/-M)
			}
			kernel, user := r.Stacks(e.Key.KernStackId, e.Key.UserStackId, e.Key.Tgid)
			entries = append(entries, stacks.Entry{
				Comm: filter.CommString(e.Value.Comm[:]), PID: e.Key.Pid, Kernel: kernel, User: user, Value: e.Value.Delta,
			})
		}
		return out.Report(env.Out, style, r, entries)
	})
}
