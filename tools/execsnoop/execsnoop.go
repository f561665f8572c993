// Package execsnoop traces new processes: every execve() with its arguments.
package execsnoop

import (
	"bytes"
	"fmt"
	"time"
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

const (
	defaultMaxArgs = 20
	maxArgsLimit   = 60
)

// event mirrors struct execsnoop_event in bpf/execsnoop.h.
type event struct {
	Pid       uint32
	Ppid      uint32
	Uid       uint32
	Retval    int32
	ArgsCount int32
	ArgsSize  uint32
	Comm      [16]byte
	Args      [128 * 60]byte
}

var Tool = app.Tool{
	Name:    "execsnoop",
	Usage:   "Trace exec syscalls",
	Object:  "execsnoop",
	Layouts: map[string]any{"execsnoop_event": event{}},
	Examples: `
    execsnoop           # trace all exec() syscalls
    execsnoop -x        # include failed exec()s
    execsnoop -T        # include time (HH:MM:SS)
    execsnoop -U        # include UID
    execsnoop -u 1000   # only trace UID 1000
    execsnoop -t        # include timestamps
    execsnoop -q        # add "quotemarks" around arguments
    execsnoop -n main   # only print command lines containing "main"
    execsnoop -l tpkg   # only print command where arguments contains "tpkg"
    execsnoop -c CG     # Trace process under cgroupsPath CG`,
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "time", Aliases: []string{"T"}, Usage: "include time column on output (HH:MM:SS)"},
		&cli.BoolFlag{Name: "timestamp", Aliases: []string{"t"}, Usage: "include timestamp on output"},
		&cli.BoolFlag{Name: "fails", Aliases: []string{"x"}, Usage: "include failed exec()s"},
		&cli.StringFlag{Name: "uid", Aliases: []string{"u"}, Usage: "trace this UID only"},
		&cli.BoolFlag{Name: "quote", Aliases: []string{"q"}, Usage: "add quotemarks (\") around arguments"},
		&cli.StringFlag{Name: "name", Aliases: []string{"n"}, Usage: "only print commands matching this name, any arg"},
		&cli.StringFlag{Name: "line", Aliases: []string{"l"}, Usage: "only print commands where arg contains this line"},
		&cli.BoolFlag{Name: "print-uid", Aliases: []string{"U"}, Usage: "print UID column"},
		&cli.IntFlag{Name: "max-args", Value: defaultMaxArgs, Usage: "maximum number of arguments parsed and displayed"},
		&cli.StringFlag{Name: "cgroup", Aliases: []string{"c"}, Usage: "trace process in cgroup path"},
	},
	Action: run,
}

func run(c *cli.Context) error {
	if c.NArg() > 0 {
		return app.Usagef("unrecognized positional argument: %s", c.Args().First())
	}
	maxArgs := c.Int("max-args")
	if maxArgs < 1 || maxArgs > maxArgsLimit {
		return app.Usagef("invalid max-args %d: must be between 1 and %d", maxArgs, maxArgsLimit)
	}
	uid := uint32(0xffffffff)
	if s := c.String("uid"); s != "" {
		var err error
		if uid, err = filter.UID(s); err != nil {
			return app.UsageError{Err: err}
		}
	}

	t, err := app.Start(tracer.Spec{
		Object: "execsnoop",
		Rodata: map[string]any{
			"ignore_failed": !c.Bool("fails"),
			"target_uid":    uid,
			"max_args":      int32(maxArgs),
		},
		Probes: []tracer.Probe{
			{What: "execve entry", Hooks: []tracer.Hook{{Prog: "execve_enter", Kind: tracer.Tracepoint, Target: "syscalls:sys_enter_execve"}}},
			{What: "execve exit", Hooks: []tracer.Hook{{Prog: "execve_exit", Kind: tracer.Tracepoint, Target: "syscalls:sys_exit_execve"}}},
		},
		Cgroup: c.String("cgroup"),
	})
	if err != nil {
		return err
	}
	defer t.Close()

	p := printer{
		time: c.Bool("time"), timestamp: c.Bool("timestamp"), printUID: c.Bool("print-uid"),
		quote: c.Bool("quote"), name: []byte(c.String("name")), line: []byte(c.String("line")),
		maxArgs: maxArgs, start: time.Now(),
	}
	p.header()
	return app.Stream(c.Context, t, app.StreamOptions{LostFormat: "Lost %d events!"}, p.print)
}

type printer struct {
	time, timestamp, printUID, quote bool
	name, line                       []byte
	maxArgs                          int
	start                            time.Time
	argv                             []byte
	out                              app.Line
}

func (p *printer) header() {
	w := app.Output
	if p.time {
		fmt.Fprintf(w, "%-9s", "TIME")
	}
	if p.timestamp {
		fmt.Fprintf(w, "%-8s ", "TIME(s)")
	}
	if p.printUID {
		fmt.Fprintf(w, "%-6s ", "UID")
	}
	fmt.Fprintf(w, "%-16s %-6s %-6s %3s %s\n", "PCOMM", "PID", "PPID", "RET", "ARGS")
	w.Flush()
}

var argsOffset = unsafe.Offsetof(event{}.Args)

func (p *printer) print(rec []byte) {
	e := tracer.Cast[event](rec, argsOffset)
	if e == nil {
		return
	}
	comm := e.Comm[:]
	if i := bytes.IndexByte(comm, 0); i >= 0 {
		comm = comm[:i]
	}
	if len(p.name) > 0 && !bytes.Contains(comm, p.name) {
		return
	}
	args := rec[argsOffset:]
	if int(e.ArgsSize) < len(args) {
		args = args[:e.ArgsSize]
	}
	p.formatArgs(args, int(e.ArgsCount))
	if len(p.line) > 0 && !bytes.Contains(p.argv, p.line) {
		return
	}
	l := p.out.Reset()
	if p.time {
		l.Str(app.Timestamp(), -8).Byte(' ')
	}
	if p.timestamp {
		l.Float(time.Since(p.start).Seconds(), -8, 3)
	}
	if p.printUID {
		l.Uint(uint64(e.Uid), -6)
	}
	l.Text(comm, -16).Byte(' ').Uint(uint64(e.Pid), -6).Byte(' ').Uint(uint64(e.Ppid), -6).Byte(' ')
	l.Int(int64(e.Retval), 3).Byte(' ').Text(p.argv, 0).Byte('\n')
	l.WriteTo(app.Output)
}

// formatArgs renders the NUL-separated argv into p.argv.
func (p *printer) formatArgs(args []byte, count int) {
	b := p.argv[:0]
	args = bytes.TrimRight(args, "\x00")
	for i := 0; len(args) > 0 || i == 0; i++ {
		arg := args
		if j := bytes.IndexByte(args, 0); j >= 0 {
			arg, args = args[:j], args[j+1:]
		} else {
			args = nil
		}
		if i > 0 {
			b = append(b, ' ')
		}
		if !p.quote {
			b = append(b, arg...)
			continue
		}
		b = append(b, '"')
		for _, ch := range arg {
			switch ch {
			case '"':
				b = append(b, `\"`...)
			case '\t':
				b = append(b, `\t`...)
			case '\n':
				b = append(b, `\n`...)
			default:
				b = append(b, ch)
			}
		}
		b = append(b, '"')
	}
	if count > p.maxArgs {
		b = append(b, " ..."...)
	}
	p.argv = b
}
