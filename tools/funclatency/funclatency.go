// Package funclatency times the calls of one kernel or user-space function and shows their
// latency as a log2 histogram.
package funclatency

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
	"github.com/bpfutils/bpfutils/pkg/uprobe"
)

// histogram mirrors struct funclatency_hist in bpf/funclatency.h.
type histogram struct {
	Slots   [64]uint32
	Untimed uint64
}

// calls mirrors struct funclatency_calls: one thread's calls in progress.
type calls struct {
	Start [8]uint64
	Depth uint32
	Pad   uint32
}

// maxThreads is the size of the calls map: threads inside the function at once that are timed.
const maxThreads = 10240

// Units of the histogram, as bpf/funclatency.h numbers them.
const (
	unitNsec int32 = iota
	unitUsec
	unitMsec
)

// config is funclatency's command line.
type config struct {
	Millis, Micros, Timestamp, Kprobes bool
	Pid                                uint32
	Interval, Duration                 int
	Cgroup                             string
	Function                           string
}

// rodata mirrors funclatency's const volatile globals.
type rodata struct {
	Tgid  uint32 `bpf:"targ_tgid"`
	Units int32  `bpf:"units"`
}

// user splits FUNCTION into the binary and the function of a user-space probe ("c:read",
// ":foo", "/bin/bash:readline"); ok is false for a kernel function.
func (c *config) user() (binary, function string, ok bool) {
	return strings.Cut(c.Function, ":")
}

var Tool = app.Define(app.Def[config]{
	Name:      "funclatency",
	Usage:     "Time functions and print latency as a histogram",
	ArgsUsage: "FUNCTION",
	Object:    "funclatency",
	Layouts:   map[string]any{"funclatency_hist": histogram{}, "funclatency_calls": calls{}},
	Consts:    map[string]int64{"max_entries:calls": maxThreads},
	// Creating a uprobe takes CAP_SYS_ADMIN; CAP_PERFMON is not enough.
	Caps:     []string{"CAP_SYS_ADMIN"},
	CapsNote: "CAP_SYS_PTRACE with -p of another user's process (its /proc/PID/maps)",
	Examples: `
    funclatency do_sys_open         # time the do_sys_open() kernel function
    funclatency -m do_nanosleep     # time do_nanosleep(), in milliseconds
    funclatency -c CG vfs_read      # Trace process under cgroupsPath CG
    funclatency -u vfs_read         # time vfs_read(), in microseconds
    funclatency -p 181 vfs_read     # time process 181 only
    funclatency -p 181 c:read       # time the read() C library function
    funclatency -p 181 :foo         # time foo() from pid 181's userspace
    funclatency -i 2 -d 10 vfs_read # output every 2 seconds, for 10s
    funclatency -mTi 5 vfs_read     # output every 5 seconds, with timestamps
    funclatency bash:readline       # time readline() of the program bash`,
	Flags: func(c *config) []cli.Flag {
		seconds := func(what string) func(string) (int, error) {
			return func(s string) (int, error) { return filter.Positive(what, s) }
		}
		return []cli.Flag{
			app.Bool(&c.Millis, "milliseconds m", "Output in milliseconds"),
			app.Bool(&c.Micros, "microseconds u", "Output in microseconds"),
			app.PID(&c.Pid, "pid p", "Process ID to trace", "PID"),
			app.Value(&c.Interval, "interval i", "Summary `INTERVAL` in seconds", seconds("interval")),
			app.Cgroup(&c.Cgroup, "cgroup c", "Trace process in cgroup `PATH`"),
			app.Value(&c.Duration, "duration d", "`DURATION` to trace", seconds("duration")),
			app.Timestamp(&c.Timestamp, "timestamp T"),
			app.Bool(&c.Kprobes, "kprobes k", "Use kprobes instead of fentry"),
		}
	},
	Args: func(c *config) []app.Arg {
		return []app.Arg{{Name: "FUNCTION", Set: func(s string) error {
			if s == "" {
				return fmt.Errorf("FUNCTION is empty")
			}
			c.Function = s
			return nil
		}}}
	},
	Check: check,
	Spec:  spec,
	// The function is part of every spec; -p and -c change what the verifier sees.
	Variants: [][]string{{"vfs_read"}, {"c:malloc"}, {"-m", "-p", "1", "-c", "/sys/fs/cgroup", "vfs_read"}},
	Outputs:  func(c *config) []render.Describer { return []render.Describer{histograms(c)} },
	Run:      run,
})

// kernelName is what a kernel function's name may look like (static functions the compiler
// specialised carry suffixes: "foo.isra.0", "bar.cold").
var kernelName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)

func check(c *config) error {
	if c.Millis && c.Micros {
		return app.Usagef("only set one of -m or -u")
	}
	if c.Function == "" {
		return app.Usagef("Need a function to trace")
	}
	bin, fn, isUser := c.user()
	if isUser {
		if fn == "" {
			return app.Usagef("no function after the ':' of %s", c.Function)
		}
		if bin == "" && c.Pid == 0 {
			return app.Usagef(":%s needs -p PID: it names a function of that process's executable", fn)
		}
		return nil
	}
	if !kernelName.MatchString(c.Function) {
		return app.Usagef("invalid FUNCTION %q: a kernel function name, or BINARY:FUNCTION", c.Function)
	}
	// Where kallsyms cannot be read, the tracer names what it misses.
	if f, err := os.Open("/proc/kallsyms"); err == nil {
		f.Close()
		if !tracer.KernelFuncExists(c.Function) {
			return app.Usagef("no kernel function %s", c.Function)
		}
	}
	return nil
}

func spec(c *config) tracer.Spec {
	units := unitNsec
	switch {
	case c.Micros:
		units = unitUsec
	case c.Millis:
		units = unitMsec
	}
	s := tracer.Spec{Rodata: rodata{Tgid: c.Pid, Units: units}, Cgroup: c.Cgroup}
	if _, _, isUser := c.user(); isUser {
		s.Manual = []string{"entry_uprobe", "return_uprobe"}
		return s
	}
	fn := c.Function
	entry := []tracer.Hook{
		{Prog: "entry_fentry", Kind: tracer.Fentry, Target: fn},
		{Prog: "entry_kprobe", Kind: tracer.Kprobe, Target: fn},
	}
	ret := []tracer.Hook{
		{Prog: "return_fexit", Kind: tracer.Fexit, Target: fn},
		{Prog: "return_kretprobe", Kind: tracer.Kretprobe, Target: fn},
	}
	if c.Kprobes {
		entry[0], entry[1] = entry[1], entry[0]
		ret[0], ret[1] = ret[1], ret[0]
	}
	// Returns first: a call that begins between the two attaches would otherwise never end.
	s.Probes = []tracer.Probe{
		{What: "returns of " + fn, Hooks: ret},
		{What: "calls of " + fn, Hooks: entry},
	}
	return s
}

// histograms declares the one histogram, labelled with the function in JSON.
func histograms(c *config) *render.Histograms {
	switch {
	case c.Micros:
		return &render.Histograms{Unit: "usecs", Axis: "usec", Labels: []string{"function"}}
	case c.Millis:
		return &render.Histograms{Unit: "msecs", Axis: "msec", Labels: []string{"function"}}
	}
	return &render.Histograms{Unit: "nsecs", Axis: "nsec", Labels: []string{"function"}}
}

// every is the reports -i and -d ask for, as libbpf-tools counts them: an interval longer than
// the duration shrinks to it, and the duration holds as many whole intervals as fit.
func every(c *config) app.Every {
	e := app.Every{Interval: app.Forever, Count: -1}
	if c.Interval > 0 {
		e.Interval = time.Duration(c.Interval) * time.Second
	}
	if c.Duration > 0 {
		interval := min(c.Interval, c.Duration)
		if interval == 0 {
			interval = c.Duration
		}
		e.Interval = time.Duration(interval) * time.Second
		e.Count = c.Duration / interval
	}
	return e
}

// attachUser puts the uprobes on the user function FUNCTION names.
func attachUser(env *app.Env, c *config, t *tracer.Tracer) error {
	bin, fn, _ := c.user()
	path, err := userBinary(c, bin, fn)
	if err != nil {
		return err
	}
	offset, err := uprobe.FuncOffset(path, fn)
	if err != nil {
		return fmt.Errorf("could not find %s in %s", fn, path)
	}
	pid := -1
	if c.Pid != 0 {
		pid = int(c.Pid)
	}
	// Returns first, as for kernel functions (spec).
	if err := t.AttachUprobe("return_uprobe", pid, path, offset, true); err != nil {
		return err
	}
	if err := t.AttachUprobe("entry_uprobe", pid, path, offset, false); err != nil {
		return err
	}
	if env.Verbose {
		env.Warnf("uprobes on %s at %#x of %s", fn, offset, env.Out.Escape(path))
	}
	return nil
}

// userBinary resolves the binary part of LIB:FUNC, PROGRAM:FUNC or :FUNC. With -p, a
// library the process does not map cannot be what it calls: a process linked statically has
// the function in its executable, and that is used then.
func userBinary(c *config, bin, fn string) (string, error) {
	exe := fmt.Sprintf("/proc/%d/exe", c.Pid)
	if bin == "" {
		if _, err := os.Stat(exe); err != nil {
			return "", fmt.Errorf("no process %d", c.Pid)
		}
		return exe, nil
	}
	path, err := uprobe.FindBinary(int(c.Pid), bin)
	mapped := strings.HasPrefix(path, "/proc/")
	if c.Pid != 0 && !strings.Contains(bin, "/") && !mapped && uprobe.HasSymbol(exe, fn) {
		return exe, nil
	}
	return path, err
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	if _, _, isUser := c.user(); isUser {
		if err := attachUser(env, c, t); err != nil {
			return err
		}
	}
	decl := histograms(c)
	m := t.Map("hist")
	var last histogram
	name := env.Out.Escape(c.Function)
	err := app.Report(env, every(c), fmt.Sprintf("Tracing %s.  Hit Ctrl-C to exit", name), func() error {
		env.Out.ReportStart(c.Timestamp)
		var zero uint32
		now, _ := bpfmap.Lookup[histogram](m, &zero)
		h := render.Hist{Labels: []string{c.Function}, Counts: make([]uint64, len(now.Slots))}
		for i := range now.Slots {
			// Differences of the cumulative counts, modulo 2^32 as the counters wrap.
			h.Counts[i] = uint64(now.Slots[i] - last.Slots[i])
		}
		env.Out.Histogram(decl, &h)
		if n := now.Untimed - last.Untimed; n > 0 {
			env.Out.LostWhy(n, "untimed", fmt.Sprintf("%d calls of %s not timed: more than %d threads in it at once, or more than %d nested calls",
				n, name, maxThreads, len(calls{}.Start)))
		}
		last = now
		return nil
	})
	if err != nil {
		return err
	}
	env.Out.Printf("Exiting trace of %s\n", name)
	return nil
}
