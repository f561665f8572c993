// Package runqslower traces scheduling events where a task waited on the run queue for longer
// than a threshold.
package runqslower

import (
	"fmt"
	"os"
	"strconv"
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

const defaultMinUs = 10000

// event mirrors struct runqslower_event in bpf/runqslower.h.
type event struct {
	Task     [16]byte
	PrevTask [16]byte
	DeltaUs  uint64
	Pid      uint32
	PrevPid  uint32
}

var Tool = app.Tool{
	Name:      "runqslower",
	Usage:     "Trace high run queue latency",
	ArgsUsage: "[min_us]",
	Object:    "runqslower",
	Layouts:   map[string]any{"runqslower_event": event{}},
	Examples: `
    runqslower         # trace latency higher than 10000 us (default)
    runqslower 1000    # trace latency higher than 1000 us
    runqslower -p 123  # trace pid 123
    runqslower -t 123  # trace tid 123 (use for threads only)
    runqslower -c ksof # Trace processes with names starting with 'ksof'
    runqslower -P      # also show previous task name and TID`,
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "pid", Aliases: []string{"p"}, Usage: "process PID to trace"},
		&cli.StringFlag{Name: "tid", Aliases: []string{"t"}, Usage: "thread TID to trace"},
		&cli.StringFlag{Name: "comm", Aliases: []string{"c"}, Usage: "filter processes by command name prefix"},
		&cli.BoolFlag{Name: "previous", Aliases: []string{"P"}, Usage: "also show previous task name and TID"},
	},
	Action: run,
}

func run(c *cli.Context) error {
	minUs := uint64(defaultMinUs)
	switch c.NArg() {
	case 0:
	case 1:
		n, err := strconv.ParseInt(c.Args().First(), 10, 64)
		if err != nil || n <= 0 {
			return app.Usagef("invalid delay (in us): %s", c.Args().First())
		}
		minUs = uint64(n)
	default:
		return app.Usagef("unrecognized positional argument: %s", c.Args().Get(1))
	}
	var tgid, tid uint32
	var err error
	if s := c.String("pid"); s != "" {
		if tgid, err = filter.PID("pid", s); err != nil {
			return app.UsageError{Err: err}
		}
	}
	if s := c.String("tid"); s != "" {
		if tid, err = filter.PID("tid", s); err != nil {
			return app.UsageError{Err: err}
		}
	}
	comm := c.String("comm")
	if len(comm) >= 16 {
		fmt.Fprintf(os.Stderr, "Warning: Command name '%.15s...'is too long (max 16), truncated to: '%.15s'\n", comm, comm)
	}

	t, err := app.Start(tracer.Spec{
		Object: "runqslower",
		Rodata: map[string]any{
			"min_us": minUs, "target_tgid": tgid, "target_tid": tid, "target_comm": filter.Comm(comm),
		},
		Probes: []tracer.Probe{
			tracer.BTFTracepoint("task wakeups", "wakeup", "sched:sched_wakeup"),
			tracer.BTFTracepoint("new task wakeups", "wakeup_new", "sched:sched_wakeup_new"),
			tracer.BTFTracepoint("context switches", "switch", "sched:sched_switch"),
		},
	})
	if err != nil {
		return err
	}
	defer t.Close()

	w := app.Output
	previous := c.Bool("previous")
	fmt.Fprintf(w, "Tracing run queue latency higher than %d us\n", minUs)
	if previous {
		fmt.Fprintf(w, "%-8s %-16s %-6s %14s %-16s %-6s\n", "TIME", "COMM", "TID", "LAT(us)", "PREV COMM", "PREV TID")
	} else {
		fmt.Fprintf(w, "%-8s %-16s %-6s %14s\n", "TIME", "COMM", "TID", "LAT(us)")
	}
	w.Flush()
	return app.Stream(c.Context, t, app.StreamOptions{LostFormat: "Lost %d events!"}, func(rec []byte) {
		e := tracer.Cast[event](rec, unsafe.Sizeof(event{}))
		if e == nil {
			return
		}
		ts := app.Timestamp()
		if previous {
			fmt.Fprintf(w, "%-8s %-16s %-6d %14d %-16s %-6d\n", ts, filter.CommString(e.Task[:]), e.Pid,
				e.DeltaUs, filter.CommString(e.PrevTask[:]), e.PrevPid)
		} else {
			fmt.Fprintf(w, "%-8s %-16s %-6d %14d\n", ts, filter.CommString(e.Task[:]), e.Pid, e.DeltaUs)
		}
	})
}
