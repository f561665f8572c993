// Package profile samples the stacks of whatever runs on the CPUs at a timed interval, and
// counts them.
package profile

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/perfevent"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/stacks"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// key mirrors struct profile_key in bpf/profile.h.
type key struct {
	Pid         uint32
	UserStackId int32
	KernStackId int32
	Comm        [16]byte
}

// maxIDs is PROFILE_MAX_IDS in bpf/profile.h, the size of the pids and tids maps
// (Def.Consts holds it to the object).
const maxIDs = 30

const defaultFreq = 49

// config is profile's command line.
type config struct {
	PIDs, TIDs            []uint32
	Freq                  int
	Period                uint64
	Annotate, IncludeIdle bool
	CPU                   int
	Cgroup                string
	Mode                  stacks.Mode
	Storage               stacks.Storage
	Duration              time.Duration
	// The tool's pid namespace (Check), in which samples name their tasks.
	pidns pidns
}

type pidns struct {
	known    bool
	dev, ino uint64
}

// rodata mirrors profile's const volatile globals.
type rodata struct {
	UserStacksOnly   bool   `bpf:"user_stacks_only"`
	KernelStacksOnly bool   `bpf:"kernel_stacks_only"`
	IncludeIdle      bool   `bpf:"include_idle"`
	FilterByPid      bool   `bpf:"filter_by_pid"`
	FilterByTid      bool   `bpf:"filter_by_tid"`
	UsePidns         bool   `bpf:"use_pidns"`
	PidnsDev         uint64 `bpf:"pidns_dev"`
	PidnsIno         uint64 `bpf:"pidns_ino"`
}

var Tool = app.Define(app.Def[config]{
	Name:      "profile",
	Usage:     "Profile CPU usage by sampling stack traces at a timed interval",
	ArgsUsage: "[duration]",
	Object:    "profile",
	Caps:      []string{"CAP_SYSLOG"},
	CapsNote:  "user symbols: see below",
	Consts:    map[string]int64{"max_entries:pids": maxIDs, "max_entries:tids": maxIDs},
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
	Flags: func(c *config) []cli.Flag {
		flags := []cli.Flag{
			app.IDs(&c.PIDs, "pid p", "profile processes with one or more comma-separated PIDs only", "pid", maxIDs),
			app.IDs(&c.TIDs, "tid L", "profile threads with one or more comma-separated TIDs only", "tid", maxIDs),
			app.Value(&c.Freq, "frequency F", "sample frequency, Hertz", parseFreq),
			app.Value(&c.Period, "count c", "sample period, number of events (nanoseconds of CPU time)", parsePeriod),
			app.Bool(&c.Annotate, "annotations a", "add _[k] annotations to kernel frames"),
			app.Bool(&c.IncludeIdle, "include-idle I", "include CPU idle stacks"),
			app.CPU(&c.CPU, "cpu C", "cpu number to run profile on"),
			app.Cgroup(&c.Cgroup, "cgroup", "profile processes in this cgroup-v2 directory only"),
		}
		flags = append(flags, stacks.ModeOptions(&c.Mode)...)
		return append(flags, stacks.StorageOptions(&c.Storage)...)
	},
	Args:  func(c *config) []app.Arg { return app.DurationArg(&c.Duration) },
	Check: check,
	Spec:  spec,
	// Options with values that change what is loaded; the switches are tried alone anyway.
	Variants: [][]string{
		{"--stack-storage-size", "16384", "--perf-max-stack-depth", "20"},
	},
	Outputs: func(c *config) []render.Describer { return []render.Describer{output()} },
	Run:     run,
})

func parseFreq(s string) (int, error) {
	n, err := filter.Positive("FREQUENCY", s)
	if err != nil {
		return 0, err
	}
	if limit := perfevent.MaxSampleRate(); limit > 0 && n > limit {
		return 0, fmt.Errorf("invalid FREQUENCY %d: above the kernel's limit of %d Hz (kernel.perf_event_max_sample_rate)", n, limit)
	}
	return n, nil
}

func parsePeriod(s string) (uint64, error) {
	n, err := filter.Positive("count", s)
	return uint64(n), err
}

func check(c *config) error {
	if c.PIDs != nil && c.TIDs != nil {
		return app.Usagef("-p and -L cannot be used together")
	}
	if c.Freq != 0 && c.Period != 0 {
		return app.Usagef("-F and -c cannot be used together")
	}
	if c.Freq == 0 && c.Period == 0 {
		c.Freq = defaultFreq
	}
	if err := c.Mode.Check(); err != nil {
		return err
	}
	// Samples name tasks by their ids in our pid namespace, the ones the user typed.
	var ns unix.Stat_t
	if err := unix.Stat("/proc/self/ns/pid", &ns); err == nil {
		c.pidns = pidns{known: true, dev: ns.Dev, ino: ns.Ino}
	}
	return nil
}

func spec(c *config) tracer.Spec {
	s := tracer.Spec{
		Rodata: rodata{
			UserStacksOnly: c.Mode.UserOnly, KernelStacksOnly: c.Mode.KernelOnly, IncludeIdle: c.IncludeIdle,
			FilterByPid: c.PIDs != nil, FilterByTid: c.TIDs != nil,
			UsePidns: c.pidns.known, PidnsDev: c.pidns.dev, PidnsIno: c.pidns.ino,
		},
		Manual: []string{"sample"},
		Cgroup: c.Cgroup,
	}
	c.Storage.Configure(&s)
	return s
}

func output() *stacks.Output {
	return &stacks.Output{
		ValueKey: "count", ValueNote: "samples of this stack", PIDNote: "process id", LargestFirst: true,
	}
}

func sampling(c *config) perfevent.Sampling {
	s := perfevent.Sampling{Freq: c.Freq, Period: c.Period}
	if c.CPU >= 0 {
		s.CPUs = []int{c.CPU}
	}
	return s
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	if err := stacks.FillSets(t, map[string][]uint32{"pids": c.PIDs, "tids": c.TIDs}); err != nil {
		return err
	}
	symbolizer := stacks.NewSymbolizer(!c.Mode.UserOnly, env.Warnf)
	s := sampling(c)
	if err := perfevent.AttachSampler(t, "sample", s); err != nil {
		return err
	}
	banner := stacks.Banner(env.Out, c.Mode.Folded, header(c, s))
	style := &stacks.Style{
		Folded: c.Mode.Folded, Delimited: c.Mode.Delimited, Verbose: env.Verbose, Annotate: c.Annotate,
	}
	out := output()
	return app.ReportOnce(env, c.Duration, banner, func() error {
		counts, err := bpfmap.Entries[key, uint64](t.Map("counts"), false)
		if err != nil {
			return err
		}
		r := stacks.NewReader(t.Map("stackmap"), symbolizer)
		// A sample that caught a BPF program running is CPU time spent in it: keep its frames.
		r.KeepTracerFrames = true
		entries := make([]stacks.Entry, 0, len(counts))
		for _, e := range counts {
			if e.Value == 0 {
				continue
			}
			kernel, user := r.Stacks(e.Key.KernStackId, e.Key.UserStackId, e.Key.Pid)
			entries = append(entries, stacks.Entry{
				Comm: filter.CommString(e.Key.Comm[:]), PID: e.Key.Pid, Kernel: kernel, User: user, Value: e.Value,
			})
		}
		return out.Report(env.Out, style, r, entries)
	})
}

// header is libbpf-tools' first line: "Sampling at 49 Hertz of PID [181] by user + kernel on
// CPU#0 for 5 secs.".
func header(c *config, s perfevent.Sampling) string {
	what := fmt.Sprintf("Sampling at %d Hertz of", s.Freq)
	if s.Freq == 0 {
		what = fmt.Sprintf("Sampling at every %d events of", s.Period)
	}
	how := " by user + kernel"
	switch {
	case c.Mode.UserOnly:
		how = " by user"
	case c.Mode.KernelOnly:
		how = " by kernel"
	}
	if s.CPUs != nil {
		how += fmt.Sprintf(" on CPU#%d", s.CPUs[0])
	}
	return stacks.Header(what, c.PIDs, c.TIDs, how, c.Duration)
}
