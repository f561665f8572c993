// Package syscount counts system calls, per syscall or per process, and with -L sums the time
// spent in them.
package syscount

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/syscalls"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// value mirrors struct syscount_value in bpf/syscount.h.
type value struct {
	Count   uint64
	TotalNs uint64
	Comm    [16]byte
}

// entry is one syscall (or process, -P) as the data map holds it: the key is its number (pid).
type entry = bpfmap.Entry[uint32, value]

// maxKeys is SYSCOUNT_KEYS, the syscalls or processes one report can hold.
const maxKeys = 8192

// config is syscount's command line.
type config struct {
	Pid                                            uint32
	Interval, Duration                             int // seconds; 0: none
	Top                                            int
	Cgroup                                         string
	Failures, Latency, Milliseconds, Process, List bool
	Errno                                          int32 // -e; 0 for any result
}

// rodata mirrors syscount's const volatile globals.
type rodata struct {
	ByProcess bool   `bpf:"count_by_process"`
	Latency   bool   `bpf:"measure_latency"`
	Failed    bool   `bpf:"filter_failed"`
	Errno     int32  `bpf:"filter_errno"`
	Pid       uint32 `bpf:"filter_pid"`
}

var Tool = app.Define(app.Def[config]{
	Name:    "syscount",
	Usage:   "Summarize syscall counts and latencies",
	Object:  "syscount",
	Caps:    []string{"CAP_DAC_READ_SEARCH"},
	Layouts: map[string]any{"syscount_value": value{}},
	Consts:  map[string]int64{"max_entries:data": maxKeys},
	Examples: `
    syscount                 # print top 10 syscalls by count every second
    syscount -p 1216         # look only at a particular process
    syscount -L              # measure and sort output by latency
    syscount -P              # group statistics by pid, not by syscall
    syscount -x -i 5         # count only failed syscalls
    syscount -e ENOENT -i 5  # count only syscalls failed with a given errno
    syscount -c CG           # Trace process under cgroupsPath CG`,
	Flags: func(c *config) []cli.Flag {
		c.Top = 10
		return []cli.Flag{
			app.PID(&c.Pid, "pid p", "Process `PID` to trace", "pid"),
			app.Value(&c.Interval, "interval i", "Print summary at this `INTERVAL` (seconds), 0 for infinite wait (default)",
				func(s string) (int, error) { return seconds("INTERVAL", s, 0) }),
			app.Value(&c.Duration, "duration d", "Total tracing `DURATION` (seconds)",
				func(s string) (int, error) { return seconds("DURATION", s, 1) }),
			app.Value(&c.Top, "top T", "Print only the `TOP` syscalls (default 10)",
				func(s string) (int, error) { return seconds("TOP", s, 1) }),
			app.Cgroup(&c.Cgroup, "cgroup c", ""),
			app.Bool(&c.Failures, "failures x", "Trace only failed syscalls"),
			app.Bool(&c.Latency, "latency L", "Collect syscall latency"),
			app.Bool(&c.Milliseconds, "milliseconds m", "Display latency in milliseconds (default: microseconds)"),
			app.Bool(&c.Process, "process P", "Count by process and not by syscall"),
			app.Value(&c.Errno, "errno e", "Trace only syscalls that return this `ERRNO` (numeric or EPERM, etc.)", parseErrno),
			app.Bool(&c.List, "list l", "Print list of recognized syscalls and exit"),
		}
	},
	Offline: func(c *config) bool { return c.List },
	Spec:    spec,
	Outputs: func(c *config) []render.Describer {
		if c.List {
			return []render.Describer{syscallList()}
		}
		return []render.Describer{rows(c)}
	},
	Run: run,
})

// seconds parses a whole number from min up, as libbpf-tools' "invalid INTERVAL" etc.
func seconds(what, s string, min int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < min || n > math.MaxInt32 {
		return 0, fmt.Errorf("invalid %s %q: must be a whole number from %d to %d", what, s, min, math.MaxInt32)
	}
	return n, nil
}

// errnoAliases are the second names some errno values have; unix.ErrnoName gives the first.
var errnoAliases = map[string]int32{"EWOULDBLOCK": 11, "EDEADLOCK": 35, "EOPNOTSUPP": 95}

// parseErrno reads -e: a positive number, or an errno name such as ENOENT.
func parseErrno(s string) (int32, error) {
	if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= math.MaxInt32 {
		return int32(n), nil
	}
	if n, ok := errnoAliases[s]; ok {
		return n, nil
	}
	for n := 1; n < 4096; n++ {
		if unix.ErrnoName(syscall.Errno(n)) == s {
			return int32(n), nil
		}
	}
	return 0, fmt.Errorf("invalid errno %q: want a positive number or a name such as ENOENT", s)
}

func spec(c *config) tracer.Spec {
	probes := []tracer.Probe{{What: "syscall exit", Hooks: []tracer.Hook{
		{Prog: "sys_exit", Kind: tracer.Tracepoint, Target: "raw_syscalls:sys_exit"}}}}
	if c.Latency {
		probes = append(probes, tracer.Probe{What: "syscall entry", Hooks: []tracer.Hook{
			{Prog: "sys_enter", Kind: tracer.Tracepoint, Target: "raw_syscalls:sys_enter"}}})
	}
	return tracer.Spec{
		Rodata: rodata{ByProcess: c.Process, Latency: c.Latency, Failed: c.Failures, Errno: c.Errno, Pid: c.Pid},
		Probes: probes,
		Cgroup: c.Cgroup,
	}
}

// rows declares a report's lines: "%-22s %8llu" and with -L " %16.3lf", the first column the
// syscall or, with -P, "%-6u %-15s" pid and comm.
func rows(c *config) *render.Records[entry] {
	timeHeader, div := "TIME (us)", 1e3
	if c.Milliseconds {
		timeHeader, div = "TIME (ms)", 1e6
	}
	return render.NewRecords(render.KindTable,
		render.Custom("SYSCALL", -22, writeSyscall).
			JSONWith("syscall", "string", func(j *render.JSON, key string, e *entry) {
				if name, ok := syscalls.Name(e.Key); ok {
					j.Str(key, name)
					return
				}
				j.Null(key)
			}).Note("null for a number this architecture's table does not name").If(!c.Process),
		render.JSONOnly(render.Uint("", 0, "nr", func(e *entry) uint64 { return uint64(e.Key) }).If(!c.Process)),
		render.Uint("PID", -6, "pid", func(e *entry) uint64 { return uint64(e.Key) }).If(c.Process),
		render.Text("COMM", -15, "comm", func(e *entry) []byte { return filter.CommBytes(e.Value.Comm[:]) }).If(c.Process),
		render.Uint("COUNT", 8, "count", func(e *entry) uint64 { return e.Value.Count }),
		render.Float(timeHeader, 16, 3, "", func(e *entry) float64 { return float64(e.Value.TotalNs) / div }).
			JSONUint("total_ns", func(e *entry) uint64 { return e.Value.TotalNs }).If(c.Latency),
	)
}

// listed is a line of --list.
type listed struct {
	nr   int
	name string
}

// syscallList declares --list's lines in JSON (the text keeps libbpf-tools' "%3d: %s").
func syscallList() *render.Records[listed] {
	return render.NewRecords(render.KindTable,
		render.Str("SYSCALL", 0, "syscall", func(l *listed) string { return l.name }),
		render.Uint("NR", 0, "nr", func(l *listed) uint64 { return uint64(l.nr) }),
	)
}

func writeSyscall(l *render.Line, e *entry) {
	if name, ok := syscalls.Name(e.Key); ok {
		l.Str(name, 0)
		return
	}
	l.Str("[unknown: ", 0).Uint(uint64(e.Key), 0).Byte(']')
}

// every turns -i and -d into the report rhythm: every interval until the duration is reached
// (the last report may come after it, as libbpf-tools counts whole intervals), or once at the
// end of the duration or at Ctrl-C.
func every(c *config) app.Every {
	secs := func(n int) time.Duration { return min(time.Duration(n)*time.Second, app.Forever) }
	switch {
	case c.Interval > 0 && c.Duration > 0:
		return app.Every{Interval: secs(c.Interval), Count: (c.Duration + c.Interval - 1) / c.Interval}
	case c.Interval > 0:
		return app.Every{Interval: secs(c.Interval), Count: -1}
	case c.Duration > 0:
		return app.Every{Interval: secs(c.Duration), Count: 1}
	}
	return app.Every{Interval: app.Forever, Count: 1}
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	if c.List {
		if env.Out.JSON() {
			list := syscallList().To(env.Out)
			syscalls.Each(func(nr int, name string) { list.Write(&listed{nr, name}) })
			return nil
		}
		w := env.Out.Writer()
		syscalls.Each(func(nr int, name string) { fmt.Fprintf(w, "%3d: %s\n", nr, name) })
		return nil
	}
	data := t.Map("data")
	recs := rows(c).To(env.Out)
	what := "syscalls"
	if c.Process {
		what = "processes"
	}
	uncounted := app.NewMapFull(t.Map("uncounted"), func(n uint64) string {
		return fmt.Sprintf("%d syscalls not counted: the table of %d %s was full", n, maxKeys, what)
	})
	banner := fmt.Sprintf("Tracing syscalls, printing top %d... Ctrl+C to quit.", c.Top)
	return app.Report(env, every(c), banner, func() error {
		entries, err := bpfmap.Entries[uint32, value](data, true)
		if err != nil {
			return err
		}
		uncounted.Report(env.Out)
		report(env.Out, c, recs, entries)
		return nil
	})
}

// report prints one report: nothing when no syscall was counted, else the time, the header and
// the top rows, by count or with -L by time, and an empty line.
func report(out *render.Sink, c *config, recs *render.Records[entry], entries []entry) {
	if len(entries) == 0 {
		return
	}
	slices.SortFunc(entries, func(a, b entry) int {
		if c.Latency {
			return cmp.Or(cmp.Compare(b.Value.TotalNs, a.Value.TotalNs), cmp.Compare(a.Key, b.Key))
		}
		return cmp.Or(cmp.Compare(b.Value.Count, a.Value.Count), cmp.Compare(a.Key, b.Key))
	})
	out.Printf("[%s]\n", out.Now().Format("15:04:05"))
	recs.Header()
	for i := range entries[:min(len(entries), c.Top)] {
		recs.Write(&entries[i])
	}
	out.Printf("\n")
}
