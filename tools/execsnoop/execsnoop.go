// Package execsnoop traces new processes: every execve() and execveat() with its arguments.
package execsnoop

import (
	"bytes"
	"fmt"
	"os/user"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
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

// config is execsnoop's command line.
type config struct {
	Time, Timestamp, Fails, Quote, PrintUID bool
	UID                                     *uint32 // -u: nil for every user
	PPID                                    uint32  // -P: 0 for every parent
	Name, Line                              string
	MaxArgs                                 int
	Cgroup                                  string
}

// rodata mirrors execsnoop's const volatile globals.
type rodata struct {
	IgnoreFailed bool   `bpf:"ignore_failed"`
	TargetUID    uint32 `bpf:"target_uid"`
	MaxArgs      int32  `bpf:"max_args"`
	TargetPPID   uint32 `bpf:"target_ppid"`
}

var Tool = app.Define(app.Def[config]{
	Name:    "execsnoop",
	Usage:   "Trace exec syscalls",
	Object:  "execsnoop",
	Caps:    []string{"CAP_DAC_READ_SEARCH"},
	Layouts: map[string]any{"execsnoop_event": event{}},
	Examples: `
    execsnoop           # trace all exec() syscalls
    execsnoop -x        # include failed exec()s
    execsnoop -T        # include time (HH:MM:SS)
    execsnoop -U        # include UID
    execsnoop -u 1000   # only trace UID 1000
    execsnoop -u user   # get user UID and trace only them
    execsnoop -P 181    # only trace new processes whose parent PID is 181
    execsnoop -t        # include timestamps
    execsnoop -q        # add "quotemarks" around arguments
    execsnoop -n main   # only print command lines containing "main"
    execsnoop -l tpkg   # only print command where arguments contains "tpkg"
    execsnoop -c CG     # Trace process under cgroupsPath CG`,
	Flags: func(c *config) []cli.Flag {
		c.MaxArgs = defaultMaxArgs
		return []cli.Flag{
			app.Bool(&c.Time, "time T", "include time column on output (HH:MM:SS)"),
			app.Bool(&c.Timestamp, "timestamp t", "include timestamp on output"),
			app.Bool(&c.Fails, "fails x", "include failed exec()s"),
			app.Value(&c.UID, "uid u", "trace this `UID` (or user name) only", app.Set(parseUser)),
			// -P is BCC's Python execsnoop's; libbpf-tools has no parent filter.
			app.PID(&c.PPID, "ppid P", "trace this parent `PID` only", "ppid"),
			app.Bool(&c.Quote, "quote q", "add quotemarks (\") around arguments"),
			app.String(&c.Name, "name n", "only print commands matching this name, any arg"),
			app.String(&c.Line, "line l", "only print commands where arg contains this line"),
			app.Bool(&c.PrintUID, "print-uid U", "print UID column"),
			app.Value(&c.MaxArgs, "max-args", "maximum number of arguments parsed and displayed", parseMaxArgs),
			app.Cgroup(&c.Cgroup, "cgroup c", ""),
		}
	},
	Spec: spec,
	// The parent filter is a branch the verifier sees only when it is set.
	Outputs: func(c *config) []render.Describer { return []render.Describer{records(c, nil)} },
	Run:     run,
})

// parseUser reads -u as BCC's Python execsnoop does: a number is a UID, anything else a user
// name, looked up in the user database (/etc/passwd: the binary is built with osusergo).
func parseUser(s string) (uint32, error) {
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return filter.UID(s)
	}
	u, err := user.Lookup(s)
	if err != nil {
		return 0, fmt.Errorf("unknown user %q: not a UID nor a user name", s)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("user %q has UID %q, not a number", s, u.Uid)
	}
	return uint32(uid), nil
}

func parseMaxArgs(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxArgsLimit {
		return 0, fmt.Errorf("invalid max-args %q: must be between 1 and %d", s, maxArgsLimit)
	}
	return n, nil
}

func spec(c *config) tracer.Spec {
	uid := ^uint32(0)
	if c.UID != nil {
		uid = *c.UID
	}
	return tracer.Spec{
		Rodata: rodata{IgnoreFailed: !c.Fails, TargetUID: uid, MaxArgs: int32(c.MaxArgs), TargetPPID: c.PPID},
		Probes: []tracer.Probe{
			{What: "execve entry", Hooks: []tracer.Hook{{Prog: "exec_enter_tp", Kind: tracer.Tracepoint, Target: "syscalls:sys_enter_execve"}}},
			{What: "execve exit", Hooks: []tracer.Hook{{Prog: "exec_exit_tp", Kind: tracer.Tracepoint, Target: "syscalls:sys_exit_execve"}}},
			// Beyond libbpf-tools: fexecve() and container runtimes exec through execveat().
			{What: "execveat entry", Hooks: []tracer.Hook{{Prog: "exec_enter_tp", Kind: tracer.Tracepoint, Target: "syscalls:sys_enter_execveat"}}},
			{What: "execveat exit", Hooks: []tracer.Hook{{Prog: "exec_exit_tp", Kind: tracer.Tracepoint, Target: "syscalls:sys_exit_execveat"}}},
			// Arguments the entry could not read (pages the caller never touched), read again
			// from the new image.
			{What: "new image", Hooks: []tracer.Hook{{Prog: "exec_image", Kind: tracer.Tracepoint, Target: "sched:sched_process_exec"}}},
		},
		Cgroup: c.Cgroup,
	}
}

// record is one exec as the columns read it.
type record struct {
	e     *event
	comm  []byte
	args  []byte  // the NUL-terminated arguments, filename first
	argv  []byte  // as text shows them: space-separated, quoted with -q, " ..." when cut
	since float64 // seconds since the tool started (-t)
}

// records declares execsnoop's lines; now is the wall clock of -T (nil: only the declaration).
//
// The C tool prints -t's and -U's headers one space wider than their values ("%-8s " above
// "%-8.3f", "%-6s " above "%-6d"): the headers carry that space themselves, and the columns are
// tight, so both line up as libbpf-tools prints them.
func records(c *config, now func() time.Time) *render.Records[record] {
	return render.NewRecords(render.KindEvent,
		render.Custom("TIME", -8, func(l *render.Line, _ *record) { l.Append(now().AppendFormat(l.Bytes(), "15:04:05")) }).
			If(c.Time),
		render.Float("TIME(s)  ", -8, 3, "time_s", func(r *record) float64 { return r.since }).Tight().If(c.Timestamp),
		render.Uint("UID    ", -6, "uid", func(r *record) uint64 { return uint64(r.e.Uid) }).Tight().TextIf(c.PrintUID),
		render.Text("PCOMM", -16, "comm", func(r *record) []byte { return r.comm }),
		render.Uint("PID", -6, "pid", func(r *record) uint64 { return uint64(r.e.Pid) }),
		render.Uint("PPID", -6, "ppid", func(r *record) uint64 { return uint64(r.e.Ppid) }),
		render.Int("RET", 3, "ret", func(r *record) int64 { return int64(r.e.Retval) }),
		render.Custom("ARGS", 0, func(l *render.Line, r *record) { writeArgsText(l, r, c) }).
			JSONWith("args", "array of strings", func(j *render.JSON, key string, r *record) { writeArgs(j, key, r, c.MaxArgs) }),
		render.JSONOnly(render.Custom[record]("", 0, nil).JSONWith("args_truncated", "boolean",
			func(j *render.JSON, key string, r *record) { j.Bool(key, int(r.e.ArgsCount) > c.MaxArgs) })),
	)
}

// writeArgs writes the arguments as an array of strings; where one is not valid UTF-8, an
// array "args_b64" follows with every argument's exact bytes (docs/json.md).
func writeArgs(j *render.JSON, key string, r *record, maxArgs int) {
	// Some kernels copy nothing, not even the NUL, for an empty argument: the count still has
	// it, and what the buffer lacks at its end is those empty arguments.
	read := min(int(r.e.ArgsCount), maxArgs)
	eachArg(j, key, r.args, read, (*render.JSON).TextElem)
	if !utf8.Valid(r.args) {
		eachArg(j, key+"_b64", r.args, read, (*render.JSON).B64Elem)
	}
}

func eachArg(j *render.JSON, key string, args []byte, count int, elem func(*render.JSON, []byte) *render.JSON) {
	j.Array(key)
	n := 0
	for ; len(args) > 0; n++ {
		arg := args
		if i := bytes.IndexByte(args, 0); i >= 0 {
			arg, args = args[:i], args[i+1:]
		} else {
			args = nil
		}
		elem(j, arg)
	}
	for ; n < count; n++ {
		elem(j, nil)
	}
	j.CloseArray()
}

var argsOffset = unsafe.Offsetof(event{}.Args)

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	recs := records(c, env.Out.Now).To(env.Out)
	h := handler{c: c, recs: recs, name: []byte(c.Name), line: []byte(c.Line), start: time.Now()}
	return app.Stream(env, t, app.StreamOptions{Header: recs, LostFormat: "Lost %d events!"}, h.handle)
}

// handler filters and writes each exec.
type handler struct {
	c          *config
	recs       *render.Records[record]
	name, line []byte
	start      time.Time
	r          record
}

func (h *handler) handle(rec []byte) {
	e := tracer.Cast[event](rec, argsOffset)
	if e == nil {
		return
	}
	r := &h.r
	r.e, r.comm = e, filter.CommBytes(e.Comm[:])
	if len(h.name) > 0 && !bytes.Contains(r.comm, h.name) {
		return
	}
	r.args = rec[argsOffset:]
	if int(e.ArgsSize) < len(r.args) {
		r.args = r.args[:e.ArgsSize]
	}
	r.argv = appendArgs(r.argv[:0], r.args, h.c.Quote)
	if int(e.ArgsCount) > h.c.MaxArgs {
		r.argv = append(r.argv, " ..."...)
	}
	if len(h.line) > 0 && !bytes.Contains(r.argv, h.line) {
		return
	}
	if h.c.Timestamp {
		r.since = time.Since(h.start).Seconds()
	}
	h.recs.Write(r)
}

// writeArgsText writes the ARGS column: the arguments as -l matched them (appendArgs), escaped
// as text shows all traced bytes (render.Line.Text). With -q the quoting is done here instead:
// appendArgs' \", \t and \n, escaped again, would read \\", \\t, \\n; here each argument's
// bytes are escaped and its quotemarks written \", so no argument can end its quotes early.
// Under --raw the column is libbpf-tools' own.
func writeArgsText(l *render.Line, r *record, c *config) {
	if !c.Quote || l.Raw() {
		l.Text(r.argv, 0)
		return
	}
	args := bytes.TrimRight(r.args, "\x00")
	for i := 0; len(args) > 0 || i == 0; i++ {
		var arg []byte
		arg, args = cutArg(args)
		if i > 0 {
			l.Byte(' ')
		}
		l.Byte('"')
		for q := bytes.IndexByte(arg, '"'); q >= 0; q = bytes.IndexByte(arg, '"') {
			l.Text(arg[:q], 0).Str(`\"`, 0)
			arg = arg[q+1:]
		}
		l.Text(arg, 0).Byte('"')
	}
	if int(r.e.ArgsCount) > c.MaxArgs {
		l.Str(" ...", 0)
	}
}

// cutArg splits the first argument off NUL-separated arguments.
func cutArg(args []byte) (arg, rest []byte) {
	if j := bytes.IndexByte(args, 0); j >= 0 {
		return args[:j], args[j+1:]
	}
	return args, nil
}

// appendArgs appends the NUL-separated argv as libbpf-tools prints it: separated by spaces,
// with quote each wrapped in quotemarks, its quotemarks, tabs and newlines escaped.
func appendArgs(b, args []byte, quote bool) []byte {
	args = bytes.TrimRight(args, "\x00")
	for i := 0; len(args) > 0 || i == 0; i++ {
		var arg []byte
		arg, args = cutArg(args)
		if i > 0 {
			b = append(b, ' ')
		}
		if !quote {
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
	return b
}
