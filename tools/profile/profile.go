// Package profile samples the stacks of whatever runs on the CPUs at a timed interval, and
// counts them.
package profile

import (
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/perfevent"
	"github.com/bpfutils/bpfutils/pkg/stacks"
	"github.com/bpfutils/bpfutils/pkg/syms"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// key mirrors struct profile_key in bpf/profile.h.
type key struct {
	Pid         uint32
	UserStackId int32
	KernStackId int32
	Comm        [16]byte
}

// maxIDs is PROFILE_MAX_IDS in bpf/profile.h.
const maxIDs = 30

const defaultFreq = 49

var Tool = app.Tool{
	Name:      "profile",
	Usage:     "Profile CPU usage by sampling stack traces at a timed interval",
	ArgsUsage: "[duration]",
	Object:    "profile",
	Layouts:   map[string]any{"profile_key": key{}},
	Examples: `
    profile             # profile stack traces at 49 Hertz until Ctrl-C
    profile -F 99       # profile stack traces at 99 Hertz
    profile -c 1000000  # profile stack traces every 1 in a million events
    profile 5           # profile at 49 Hertz for 5 seconds only
    profile -f          # output in folded format for flame graphs
    profile -p 185      # only profile process with PID 185
    profile -L 185      # only profile thread with TID 185
    profile -U          # only show user space stacks (no kernel)
    profile -K          # only show kernel space stacks (no user)`,
	Flags: slices.Concat([]cli.Flag{
		&cli.StringFlag{Name: "pid", Aliases: []string{"p"}, Usage: "profile processes with one or more comma-separated PIDs only"},
		&cli.StringFlag{Name: "tid", Aliases: []string{"L"}, Usage: "profile threads with one or more comma-separated TIDs only"},
		&cli.StringFlag{Name: "frequency", Aliases: []string{"F"}, Usage: "sample frequency, Hertz"},
		&cli.StringFlag{Name: "count", Aliases: []string{"c"}, Usage: "sample period, number of events (nanoseconds of CPU time)"},
		&cli.BoolFlag{Name: "annotations", Aliases: []string{"a"}, Usage: "add _[k] annotations to kernel frames"},
		&cli.BoolFlag{Name: "include-idle", Aliases: []string{"I"}, Usage: "include CPU idle stacks"},
		&cli.StringFlag{Name: "cpu", Aliases: []string{"C"}, Usage: "cpu number to run profile on"},
		&cli.StringFlag{Name: "cgroup", Usage: "profile processes in this cgroup-v2 directory only"},
	}, stacks.ModeFlags(), stacks.StorageFlags()),
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
	if pids != nil && tids != nil {
		return app.Usagef("-p and -L cannot be used together")
	}
	userOnly, kernelOnly, err := stacks.OnlySide(c)
	if err != nil {
		return app.UsageError{Err: err}
	}
	sampling, err := parseSampling(c)
	if err != nil {
		return err
	}
	storage, err := stacks.ParseStorage(c)
	if err != nil {
		return app.UsageError{Err: err}
	}

	rodata := map[string]any{
		"user_stacks_only": userOnly, "kernel_stacks_only": kernelOnly,
		"include_idle": c.Bool("include-idle"), "filter_by_pid": pids != nil, "filter_by_tid": tids != nil,
	}
	// Samples name tasks by their ids in our pid namespace, the ones the user typed.
	var ns unix.Stat_t
	if err := unix.Stat("/proc/self/ns/pid", &ns); err == nil {
		rodata["use_pidns"], rodata["pidns_dev"], rodata["pidns_ino"] = true, ns.Dev, ns.Ino
	}
	spec := tracer.Spec{Object: "profile", Rodata: rodata, Manual: []string{"sample"}, Cgroup: c.String("cgroup")}
	storage.Configure(&spec)
	t, err := app.Start(spec)
	if err != nil {
		return err
	}
	defer t.Close()
	if err := bpfmap.AddKeys(t.Map("pids"), pids, uint8(0)); err != nil {
		return err
	}
	if err := bpfmap.AddKeys(t.Map("tids"), tids, uint8(0)); err != nil {
		return err
	}
	symbolizer := syms.New()
	if err := symbolizer.LoadKernel(); err != nil && !userOnly {
		app.Warnf("kernel symbols unavailable: %v", err)
	}
	if err := perfevent.AttachSampler(t, "sample", sampling); err != nil {
		return err
	}

	w := app.Output
	folded := c.Bool("folded")
	if !folded {
		printHeader(sampling, pids, tids, userOnly, kernelOnly, duration)
		w.Flush()
	}
	return app.ReportOnce(c.Context, duration, func() error {
		return printCounts(t, symbolizer, stacks.Style{
			Folded: folded, Delimited: c.Bool("delimited"), Verbose: c.Bool("verbose"), Annotate: c.Bool("annotations"),
		})
	})
}

// parseSampling reads -F, -c and -C.
func parseSampling(c *cli.Context) (perfevent.Sampling, error) {
	s := perfevent.Sampling{Freq: defaultFreq}
	freq, period := c.String("frequency"), c.String("count")
	if freq != "" && period != "" {
		return s, app.Usagef("-F and -c cannot be used together")
	}
	if freq != "" {
		n, err := filter.Positive("FREQUENCY", freq)
		if err != nil {
			return s, app.UsageError{Err: err}
		}
		if limit := perfevent.MaxSampleRate(); limit > 0 && n > limit {
			return s, app.Usagef("invalid FREQUENCY %d: above the kernel's limit of %d Hz (kernel.perf_event_max_sample_rate)", n, limit)
		}
		s.Freq = n
	}
	if period != "" {
		n, err := filter.Positive("count", period)
		if err != nil {
			return s, app.UsageError{Err: err}
		}
		s.Freq, s.Period = 0, uint64(n)
	}
	cpu, err := app.CPU(c, "cpu")
	if err != nil {
		return s, err
	}
	if cpu >= 0 {
		s.CPUs = []int{cpu}
	}
	return s, nil
}

func printHeader(s perfevent.Sampling, pids, tids []uint32, userOnly, kernelOnly bool, duration time.Duration) {
	w := app.Output
	if s.Freq > 0 {
		fmt.Fprintf(w, "Sampling at %d Hertz of", s.Freq)
	} else {
		fmt.Fprintf(w, "Sampling at every %d events of", s.Period)
	}
	switch {
	case pids != nil:
		fmt.Fprintf(w, " PID %s", stacks.IDList(pids))
	case tids != nil:
		fmt.Fprintf(w, " TID %s", stacks.IDList(tids))
	default:
		fmt.Fprint(w, " all threads")
	}
	switch {
	case userOnly:
		fmt.Fprint(w, " by user")
	case kernelOnly:
		fmt.Fprint(w, " by kernel")
	default:
		fmt.Fprint(w, " by user + kernel")
	}
	if s.CPUs != nil {
		fmt.Fprintf(w, " on CPU#%d", s.CPUs[0])
	}
	if secs := int(duration.Seconds()); secs > 0 {
		fmt.Fprintf(w, " for %d secs.\n", secs)
	} else {
		fmt.Fprint(w, "... Hit Ctrl-C to end.\n")
	}
}

// printCounts prints every sampled stack, the most frequent first.
func printCounts(t *tracer.Tracer, s *syms.Symbolizer, style stacks.Style) error {
	counts, err := bpfmap.Entries[key, uint64](t.Map("counts"), false)
	if err != nil {
		return err
	}
	r := stacks.NewReader(t.Map("stackmap"), s)
	// A sample that caught a BPF program running is CPU time spent in it: keep its frames.
	r.KeepTracerFrames = true
	entries := make([]stacks.Entry, 0, len(counts))
	for _, c := range counts {
		if c.Value == 0 {
			continue
		}
		kernel, user := r.Stacks(c.Key.KernStackId, c.Key.UserStackId, c.Key.Pid)
		entries = append(entries, stacks.Entry{
			Comm: filter.CommString(c.Key.Comm[:]), PID: c.Key.Pid, Kernel: kernel, User: user, Value: c.Value,
		})
	}
	if !style.Verbose {
		entries = stacks.Merge(entries)
	}
	stacks.Sort(entries, true)
	w := app.Output
	for i := range entries {
		style.Write(w, &entries[i])
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if n, collision := r.Missed(); n > 0 {
		advice := ""
		if collision {
			advice = " Consider increasing --stack-storage-size."
		}
		fmt.Fprintf(os.Stderr, "WARNING: %d stack traces could not be displayed.%s\n", n, advice)
	}
	return nil
}
