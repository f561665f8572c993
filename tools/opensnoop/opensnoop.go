// Package opensnoop traces open(), openat() and openat2(): who opened what, and how it went.
package opensnoop

import (
	"bytes"
	"fmt"
	"strconv"
	"time"
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/dentrypath"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/syms"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// event mirrors struct opensnoop_event in bpf/opensnoop.h.
type event struct {
	Pid      uint32
	Uid      uint32
	Ret      int32
	Flags    int32
	Mode     uint32
	NameLen  uint16
	DirLen   uint16
	DirState uint32
	Tid      uint32
	Callers  [2]uint64
	Comm     [16]byte
	Path     [4096 + 8192]byte
}

var pathOffset = unsafe.Offsetof(event{}.Path)

// eventsSize is the ring buffer: an open storm (a few hundred thousand a second) fills
// libbpf-tools' 256 KiB in milliseconds whenever the reader is not on a CPU. With the batching
// reader (pkg/tracer) 1 MiB lost nothing in make bench's storms; its pages count in RSS, so no
// more than that.
const eventsSize = 1 << 20

// config is opensnoop's command line.
type config struct {
	Duration                                                 time.Duration
	Extended, Timestamp, PrintUID, Failed, FullPath, Callers bool
	Name                                                     string
	Pid, Tid                                                 uint32
	UID                                                      *uint32     // nil: every user
	Flags                                                    *flagFilter // -f; nil: every open
}

// rodata mirrors opensnoop's const volatile globals.
type rodata struct {
	Tgid        uint32 `bpf:"targ_tgid"`
	Pid         uint32 `bpf:"targ_pid"`
	UID         uint32 `bpf:"targ_uid"`
	Failed      bool   `bpf:"targ_failed"`
	FullPath    bool   `bpf:"full_path"`
	Callers     bool   `bpf:"callers"`
	FlagFilter  bool   `bpf:"flag_filter"`
	FlagsAny    uint32 `bpf:"flags_any"`
	FlagsRdonly bool   `bpf:"flags_rdonly"`
}

var Tool = app.Define(app.Def[config]{
	Name:      "opensnoop",
	Usage:     "Trace open family syscalls",
	ArgsUsage: " ",
	Object:    "opensnoop",
	Caps:      []string{"CAP_DAC_READ_SEARCH"},
	CapsNote:  "`-c`: CAP_SYS_PTRACE in containers",
	Layouts:   map[string]any{"opensnoop_event": event{}},
	Examples: `
    opensnoop           # trace all open() syscalls
    opensnoop -T        # include timestamps
    opensnoop -U        # include UID
    opensnoop -x        # only show failed opens
    opensnoop -p 181    # only trace PID 181
    opensnoop -t 123    # only trace TID 123
    opensnoop -u 1000   # only trace UID 1000
    opensnoop -d 10     # trace for 10 seconds only
    opensnoop -n main   # only print process names containing "main"
    opensnoop -e        # show extended fields
    opensnoop -f O_WRONLY -f O_RDWR  # only print calls for writing
    opensnoop -F        # show full path for an open file`,
	Flags: func(c *config) []cli.Flag {
		return []cli.Flag{
			app.Value(&c.Duration, "duration d", "Duration to trace", parseDuration),
			app.Bool(&c.Extended, "extended-fields e extended_fields", "Print extended fields"),
			app.String(&c.Name, "name n", "Trace process names containing this"),
			app.PID(&c.Pid, "pid p", "Process ID to trace", "pid"),
			app.PID(&c.Tid, "tid t", "Thread ID to trace", "tid"),
			app.Bool(&c.Timestamp, "timestamp T", "Print timestamp"),
			app.UID(&c.UID, "uid u", "User ID to trace"),
			app.Bool(&c.PrintUID, "print-uid U", "Print UID"),
			app.Bool(&c.Failed, "failed x", "Failed opens only"),
			app.Bool(&c.FullPath, "full-path F", "Show full path"),
			// Repeated -f add up: an open passes with any of the flags given.
			app.Value(&c.Flags, "flag_filter f", "Only opens with this flag (e.g. O_WRONLY); may be repeated",
				func(s string) (*flagFilter, error) {
					f, err := parseFlags([]string{s})
					if err != nil {
						return nil, err
					}
					if c.Flags != nil {
						f.any |= c.Flags.any
						f.rdonly = f.rdonly || c.Flags.rdonly
					}
					return &f, nil
				}),
			app.Bool(&c.Callers, "callers c", "Show calling functions"),
		}
	},
	// libbpf-tools takes one positional argument and ignores it; a user who typed a duration
	// there is told where it goes instead.
	Args: func(c *config) []app.Arg {
		return []app.Arg{{Name: "duration", Set: func(s string) error {
			return fmt.Errorf("unrecognized positional argument: %s (a duration is -d %s)", s, s)
		}}}
	},
	Spec:    spec,
	Outputs: func(c *config) []render.Describer { return []render.Describer{records(c, nil)} },
	Run:     run,
})

func parseDuration(s string) (time.Duration, error) {
	n, err := filter.Positive("duration", s)
	if err != nil {
		return 0, err
	}
	if n >= int(app.Forever/time.Second) {
		return app.Forever, nil
	}
	return time.Duration(n) * time.Second, nil
}

func spec(c *config) tracer.Spec {
	r := rodata{
		Tgid: c.Pid, Pid: c.Tid, UID: ^uint32(0),
		Failed: c.Failed, FullPath: c.FullPath, Callers: c.Callers,
	}
	if c.UID != nil {
		r.UID = *c.UID
	}
	if c.Flags != nil {
		r.FlagFilter, r.FlagsAny, r.FlagsRdonly = true, c.Flags.any, c.Flags.rdonly
	}
	return tracer.Spec{
		Rodata: r,
		Probes: []tracer.Probe{
			// Exits only: they find the arguments in the saved registers (bpf/opensnoop.bpf.c).
			// open() is gone from arm64 and riscv; openat2() came in 5.6.
			tracepoint("open", "open_exit", "sys_exit_open", true),
			tracepoint("openat", "openat_exit", "sys_exit_openat", false),
			tracepoint("openat2", "openat2_exit", "sys_exit_openat2", true),
		},
		Events: eventsSize,
	}
}

func tracepoint(what, prog, tp string, optional bool) tracer.Probe {
	return tracer.Probe{
		What:     what,
		Hooks:    []tracer.Hook{{Prog: prog, Kind: tracer.Tracepoint, Target: "syscalls:" + tp}},
		Optional: optional,
	}
}

// row is one open as the columns read it.
type row struct {
	e         *event
	comm      []byte
	fd, errno int64  // fd is -1 on error, errno 0 on success
	path      []byte // the name as passed, or with -F the full path
	sym       *syms.Symbolizer
}

const (
	oCreat   = 0o100
	oTmpfile = 0o20200000
)

// records declares opensnoop's lines; now is the wall clock of -T (nil: only the declaration).
//
// The C tool prints -e's MODE header ("%-5s ") one space wider than its values ("%04o " or
// "n/a  "): the header carries that space itself and the column is tight, so both line up as
// libbpf-tools prints them.
func records(c *config, now func() time.Time) *render.Records[row] {
	pathHeader := "PATH"
	if c.Callers {
		pathHeader = "PATH/CALLER"
	}
	return render.NewRecords(render.KindEvent,
		render.Custom("TIME", -8, func(l *render.Line, _ *row) { l.Append(now().AppendFormat(l.Bytes(), "15:04:05")) }).
			If(c.Timestamp),
		// libbpf-tools prints the uid as a signed int.
		render.Int("UID", -7, "uid", func(r *row) int64 { return int64(int32(r.e.Uid)) }).
			JSONUint("uid", func(r *row) uint64 { return uint64(r.e.Uid) }).TextIf(c.PrintUID),
		render.Uint("PID", -6, "pid", func(r *row) uint64 { return uint64(r.e.Pid) }),
		render.JSONOnly(render.Uint("TID", 0, "tid", func(r *row) uint64 { return uint64(r.e.Tid) })),
		render.Text("COMM", -16, "comm", func(r *row) []byte { return r.comm }),
		render.Int("FD", 3, "fd", func(r *row) int64 { return r.fd }),
		render.Int("ERR", 3, "err", func(r *row) int64 { return r.errno }),
		render.Custom("FLAGS", -8, func(l *render.Line, r *row) { l.Append(appendOctal(l.Bytes(), uint64(uint32(r.e.Flags)), 8)) }).
			JSONUint("flags", func(r *row) uint64 { return uint64(uint32(r.e.Flags)) }).If(c.Extended),
		render.Custom("MODE  ", -5, func(l *render.Line, r *row) {
			if hasMode(r.e) {
				l.Append(appendOctal(l.Bytes(), uint64(r.e.Mode), 4))
			} else {
				l.Str("n/a", 0)
			}
		}).Tight().JSONWith("mode", "integer or null", func(j *render.JSON, key string, r *row) {
			if hasMode(r.e) {
				j.Uint(key, uint64(r.e.Mode))
			} else {
				j.Null(key)
			}
		}).If(c.Extended),
		render.Custom(pathHeader, 0, writePath).JSONText("path", func(r *row) []byte { return r.path }),
		render.JSONOnly(render.Custom[row]("", 0, nil).JSONWith("callers", "array of strings", writeCallers)).If(c.Callers),
	)
}

// hasMode tells whether the open could create the file, so that its mode means something.
func hasMode(e *event) bool {
	return e.Mode != 0 || e.Flags&oCreat != 0 || e.Flags&oTmpfile == oTmpfile
}

// writePath writes the path and, with -c, a line per calling function that has a name,
// indented to the PATH column, as libbpf-tools does.
func writePath(l *render.Line, r *row) {
	indent := len(l.Bytes())
	l.Text(r.path, 0)
	if r.sym == nil {
		return
	}
	for _, addr := range r.e.Callers {
		if sym := caller(r, addr); sym.Known {
			l.Byte('\n').Str("", -indent).TextString(sym.Name, 0)
		}
	}
}

// writeCallers writes the names of the calling functions that have one (-c), innermost first.
func writeCallers(j *render.JSON, key string, r *row) {
	j.Array(key)
	for _, addr := range r.e.Callers {
		if sym := caller(r, addr); sym.Known {
			j.StrElem(sym.Name)
		}
	}
	j.CloseArray()
}

func caller(r *row, addr uint64) syms.Symbol {
	if addr == 0 || r.sym == nil {
		return syms.Symbol{}
	}
	return r.sym.User(r.e.Pid, addr)
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	recs := records(c, env.Out.Now).To(env.Out)
	h := newHandler(c, recs, env.Warnf)
	return app.Stream(env, t, app.StreamOptions{Duration: c.Duration, Header: recs, LostFormat: "Lost %d events!"}, h.handle)
}

// handler filters and writes each open.
type handler struct {
	recs     *render.Records[row]
	name     []byte
	fullPath bool
	r        row
	full     []byte // -F: the full path of the current open
}

// newHandler: warn, when not nil, says which capability callers' symbols lack.
func newHandler(c *config, recs *render.Records[row], warn func(format string, args ...any)) *handler {
	h := &handler{recs: recs, name: []byte(c.Name), fullPath: c.FullPath}
	if c.Callers {
		var opts syms.Options
		if warn != nil {
			opts.Denied = syms.WarnDenied(warn)
		}
		h.r.sym = syms.NewWithOptions(opts)
	}
	return h
}

// handle runs for every open on the machine: it allocates nothing.
func (h *handler) handle(rec []byte) {
	e := tracer.Cast[event](rec, pathOffset)
	if e == nil {
		return
	}
	name, dir, ok := dentrypath.Split(rec[pathOffset:], int(e.NameLen), int(e.DirLen))
	if !ok {
		return
	}
	r := &h.r
	r.e, r.comm = e, filter.CommBytes(e.Comm[:])
	if len(h.name) > 0 && !bytes.Contains(r.comm, h.name) {
		return
	}
	r.fd, r.errno = int64(e.Ret), 0
	if e.Ret < 0 {
		r.fd, r.errno = -1, -int64(e.Ret)
	}
	if h.fullPath && dentrypath.State(e.DirState) != dentrypath.None {
		h.full = dentrypath.Join(h.full[:0], dir, dentrypath.State(e.DirState), name)
		r.path = h.full
	} else {
		r.path = name
	}
	h.recs.Write(r)
}

// appendOctal appends v in octal, zero-padded to width, like %0No.
func appendOctal(b []byte, v uint64, width int) []byte {
	var tmp [22]byte
	digits := strconv.AppendUint(tmp[:0], v, 8)
	for i := len(digits); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, digits...)
}
