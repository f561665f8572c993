// Package offcputime sums the time threads spend blocked, off a CPU, by the stacks they
// blocked in.
package offcputime

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/stacks"
	"github.com/bpfutils/bpfutils/pkg/syms"
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

// maxIDs is OFFCPU_MAX_IDS in bpf/offcputime.h.
const maxIDs = 30

var Tool = app.Tool{
	Name:      "offcputime",
	Usage:     "Summarize off-CPU time by stack trace",
	ArgsUsage: "[duration]",
	Object:    "offcputime",
	Layouts:   map[string]any{"offcpu_key": key{}, "offcpu_val": value{}},
	Examples: `
    offcputime             # trace off-CPU stack time until Ctrl-C
    offcputime 5           # trace for 5 seconds only
    offcputime -f 5        # 5 seconds, and output in folded format
    offcputime -m 1000     # trace only events that last more than 1000 usec
    offcputime -M 10000    # trace only events that last less than 10000 usec
    offcputime -p 185,175,165 # only trace threads for PID 185,175,165
    offcputime -t 188,120,134 # only trace threads 188,120,134
    offcputime -u          # only trace user threads (no kernel)
    offcputime -k          # only trace kernel threads (no user)
    offcputime -U          # only show user space stacks (no kernel)
    offcputime -K          # only show kernel space stacks (no user)`,
	Flags: slices.Concat([]cli.Flag{
		&cli.StringFlag{Name: "pid", Aliases: []string{"p"}, Usage: "Trace these PIDs only, comma-separated list"},
		&cli.StringFlag{Name: "tid", Aliases: []string{"t"}, Usage: "Trace these TIDs only, comma-separated list"},
		&cli.BoolFlag{Name: "user-threads-only", Aliases: []string{"u"}, Usage: "User threads only (no kernel threads)"},
		&cli.BoolFlag{Name: "kernel-threads-only", Aliases: []string{"k"}, Usage: "Kernel threads only (no user threads)"},
	}, stacks.ModeFlags(), stacks.BlockTimeFlags(), []cli.Flag{
		&cli.StringFlag{Name: "state", Usage: "filter on this thread state bitmask (eg, 2 == TASK_UNINTERRUPTIBLE) see include/linux/sched.h"},
	}, stacks.StorageFlags()),
	Action: run,
}

func run(c *cli.Context) error {
	duration, err := app.Duration(c)
	if err != nil {
		return err
	}
	pids, err := app.IDs(c, "pid", maxIDs)
	if err != nil {
		return err
	}
	tids, err := app.IDs(c, "tid", maxIDs)
	if err != nil {
		return err
	}
	userThreads, kernelThreads := c.Bool("user-threads-only"), c.Bool("kernel-threads-only")
	if userThreads && kernelThreads {
		return app.Usagef("user_threads_only and kernel_threads_only cannot be used together.")
	}
	userStacks, kernelStacks, err := stacks.OnlySide(c)
	if err != nil {
		return app.UsageError{Err: err}
	}
	if kernelThreads && userStacks {
		return app.Usagef("displaying user stacks for kernel threads doesn't make sense.")
	}
	minUs, maxUs, err := stacks.ParseBlockTimes(c)
	if err != nil {
		return app.UsageError{Err: err}
	}
	state := int64(-1)
	if s := c.String("state"); s != "" {
		if state, err = strconv.ParseInt(s, 10, 64); err != nil || state < 0 || state > 2 {
			return app.Usagef("Invalid task state: %s", s)
		}
	}
	storage, err := stacks.ParseStorage(c)
	if err != nil {
		return app.UsageError{Err: err}
	}

	spec := tracer.Spec{
		Object: "offcputime",
		Rodata: map[string]any{
			"filter_by_tgid": pids != nil, "filter_by_pid": tids != nil,
			"user_threads_only": userThreads, "kernel_threads_only": kernelThreads,
			"user_stacks": !kernelStacks, "kernel_stacks": !userStacks,
			"state": state, "min_block_us": minUs, "max_block_us": maxUs,
		},
		Probes: []tracer.Probe{tracer.BTFTracepoint("context switches", "switch", "sched:sched_switch")},
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
	// Until the sets are filled the filters let nothing through.
	if err := bpfmap.AddKeys(t.Map("tgids"), pids, uint8(0)); err != nil {
		return err
	}
	if err := bpfmap.AddKeys(t.Map("pids"), tids, uint8(0)); err != nil {
		return err
	}
	if kernErr != nil && !userStacks {
		app.Warnf("kernel symbols unavailable: %v", kernErr)
	}

	w := app.Output
	folded := c.Bool("folded")
	if !folded {
		printHeader(pids, tids, duration)
		w.Flush()
	}
	// -v (libbpf-tools) and -f (Python) never met: folded output stays flame-graph input.
	style := stacks.Style{Folded: folded, Delimited: c.Bool("delimited")}
	if !folded {
		style.Verbose, style.UnknownKernel, style.Numbered, style.MissedTo = c.Bool("verbose"), "unknown", true, os.Stderr
	}
	return app.ReportOnce(c.Context, duration, func() error { return printMap(t, symbolizer, style) })
}

func printHeader(pids, tids []uint32, duration time.Duration) {
	w := app.Output
	fmt.Fprint(w, "Tracing off-CPU time (us) of")
	if pids != nil {
		fmt.Fprintf(w, " PID %s", stacks.IDList(pids))
	}
	if tids != nil {
		fmt.Fprintf(w, " TID %s", stacks.IDList(tids))
	}
	if pids == nil && tids == nil {
		fmt.Fprint(w, " all threads")
	}
	if secs := int(duration.Seconds()); secs > 0 {
		fmt.Fprintf(w, " for %d secs.\n", secs)
	} else {
		fmt.Fprint(w, "... Hit Ctrl-C to end.\n")
	}
}

// printMap prints the blocked time of every stack, the longest last (Python offcputime's
// order: it stays on screen).
func printMap(t *tracer.Tracer, s *syms.Symbolizer, style stacks.Style) error {
	info, err := bpfmap.Entries[key, value](t.Map("info"), false)
	if err != nil {
		return err
	}
	r := stacks.NewReader(t.Map("stackmap"), s)
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
	if !style.Verbose {
		entries = stacks.Merge(entries)
	}
	stacks.Sort(entries, false)
	w := app.Output
	for i := range entries {
		style.Write(w, &entries[i])
	}
	return w.Flush()
}
