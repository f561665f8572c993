// Package opensnoop traces open(), openat() and openat2(): who opened what, and how it went.
package opensnoop

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"time"
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/dentrypath"
	"github.com/bpfutils/bpfutils/pkg/filter"
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

var Tool = app.Tool{
	Name:      "opensnoop",
	Usage:     "Trace open family syscalls",
	ArgsUsage: " ",
	Object:    "opensnoop",
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
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "duration", Aliases: []string{"d"}, Usage: "Duration to trace"},
		&cli.BoolFlag{Name: "extended-fields", Aliases: []string{"e", "extended_fields"}, Usage: "Print extended fields"},
		&cli.StringFlag{Name: "name", Aliases: []string{"n"}, Usage: "Trace process names containing this"},
		&cli.StringFlag{Name: "pid", Aliases: []string{"p"}, Usage: "Process ID to trace"},
		&cli.StringFlag{Name: "tid", Aliases: []string{"t"}, Usage: "Thread ID to trace"},
		&cli.BoolFlag{Name: "timestamp", Aliases: []string{"T"}, Usage: "Print timestamp"},
		&cli.StringFlag{Name: "uid", Aliases: []string{"u"}, Usage: "User ID to trace"},
		&cli.BoolFlag{Name: "print-uid", Aliases: []string{"U"}, Usage: "Print UID"},
		&cli.BoolFlag{Name: "failed", Aliases: []string{"x"}, Usage: "Failed opens only"},
		&cli.BoolFlag{Name: "full-path", Aliases: []string{"F"}, Usage: "Show full path"},
		&cli.StringSliceFlag{Name: "flag_filter", Aliases: []string{"f"}, Usage: "Only opens with this flag (e.g. O_WRONLY); may be repeated"},
		&cli.BoolFlag{Name: "callers", Aliases: []string{"c"}, Usage: "Show calling functions"},
	},
	Action: run,
}

func run(c *cli.Context) error {
	// libbpf-tools takes one positional argument and ignores it.
	if c.NArg() > 1 {
		return app.Usagef("unrecognized positional argument: %s", c.Args().Get(1))
	}
	var duration time.Duration
	if s := c.String("duration"); s != "" {
		n, err := filter.Positive("duration", s)
		if err != nil {
			return app.UsageError{Err: err}
		}
		duration = time.Duration(n) * time.Second
	}
	var pid, tid uint32
	var err error
	if s := c.String("pid"); s != "" {
		if pid, err = filter.PID("pid", s); err != nil {
			return app.UsageError{Err: err}
		}
	}
	if s := c.String("tid"); s != "" {
		if tid, err = filter.PID("tid", s); err != nil {
			return app.UsageError{Err: err}
		}
	}
	uid := uint32(0xffffffff)
	if s := c.String("uid"); s != "" {
		if uid, err = filter.UID(s); err != nil {
			return app.UsageError{Err: err}
		}
	}
	flags, err := parseFlags(c.StringSlice("flag_filter"))
	if err != nil {
		return app.UsageError{Err: err}
	}

	t, err := app.Start(tracer.Spec{
		Object: "opensnoop",
		Rodata: map[string]any{
			"targ_tgid":    pid,
			"targ_pid":     tid,
			"targ_uid":     uid,
			"targ_failed":  c.Bool("failed"),
			"full_path":    c.Bool("full-path"),
			"callers":      c.Bool("callers"),
			"flag_filter":  len(c.StringSlice("flag_filter")) > 0,
			"flags_any":    flags.any,
			"flags_rdonly": flags.rdonly,
		},
		Probes: []tracer.Probe{
			// Exits only: they find the arguments in the saved registers (bpf/opensnoop.bpf.c).
			// open() is gone from arm64 and riscv; openat2() came in 5.6.
			tracepoint("open", "open_exit", "sys_exit_open", true),
			tracepoint("openat", "openat_exit", "sys_exit_openat", false),
			tracepoint("openat2", "openat2_exit", "sys_exit_openat2", true),
		},
		Events: eventsSize,
	})
	if err != nil {
		return err
	}
	defer t.Close()

	p := &printer{
		out:       app.Output,
		timestamp: c.Bool("timestamp"),
		printUID:  c.Bool("print-uid"),
		extended:  c.Bool("extended-fields"),
		fullPath:  c.Bool("full-path"),
		name:      []byte(c.String("name")),
		line:      make([]byte, 0, 512),
	}
	if c.Bool("callers") {
		p.symbolizer = syms.New()
	}
	p.header()
	return app.Stream(c.Context, t, app.StreamOptions{Duration: duration, LostFormat: "Lost %d events!"}, p.print)
}

func tracepoint(what, prog, tp string, optional bool) tracer.Probe {
	return tracer.Probe{
		What:     what,
		Hooks:    []tracer.Hook{{Prog: prog, Kind: tracer.Tracepoint, Target: "syscalls:" + tp}},
		Optional: optional,
	}
}

type printer struct {
	out                                     *bufio.Writer
	timestamp, printUID, extended, fullPath bool
	name                                    []byte
	line                                    []byte           // reused for every row
	symbolizer                              *syms.Symbolizer // -c
	clockSec                                int64
	clock                                   []byte // HH:MM:SS of clockSec
}

func (p *printer) header() {
	w := p.out
	if p.timestamp {
		fmt.Fprintf(w, "%-8s ", "TIME")
	}
	if p.printUID {
		fmt.Fprintf(w, "%-7s ", "UID")
	}
	fmt.Fprintf(w, "%-6s %-16s %3s %3s ", "PID", "COMM", "FD", "ERR")
	if p.extended {
		fmt.Fprintf(w, "%-8s %-5s ", "FLAGS", "MODE")
	}
	fmt.Fprint(w, "PATH")
	if p.symbolizer != nil {
		fmt.Fprint(w, "/CALLER")
	}
	fmt.Fprintln(w)
	w.Flush()
}

const (
	oCreat   = 0o100
	oTmpfile = 0o20200000
)

// print formats one row; it runs for every open on the machine, so it appends by hand into a
// reused buffer rather than going through fmt.
func (p *printer) print(rec []byte) {
	e := tracer.Cast[event](rec, pathOffset)
	if e == nil {
		return
	}
	path := rec[pathOffset:]
	nameLen, dirLen := int(e.NameLen), int(e.DirLen)
	if nameLen+dirLen > len(path) {
		return
	}
	comm := cstring(e.Comm[:])
	if len(p.name) > 0 && !bytes.Contains(comm, p.name) {
		return
	}
	fd, errno := int64(e.Ret), int64(0)
	if e.Ret < 0 {
		fd, errno = -1, -int64(e.Ret)
	}

	b := p.line[:0]
	if p.timestamp {
		b = append(p.appendClock(b), ' ')
	}
	if p.printUID {
		b = append(padRight(strconv.AppendInt(b, int64(int32(e.Uid)), 10), len(b), 7), ' ')
	}
	b = append(padRight(strconv.AppendUint(b, uint64(e.Pid), 10), len(b), 6), ' ')
	b = append(padRight(append(b, comm...), len(b), 16), ' ')
	b = append(padLeft(b, fd, 3), ' ')
	b = append(padLeft(b, errno, 3), ' ')
	if p.extended {
		b = appendOctal(b, uint64(uint32(e.Flags)), 8)
		b = append(b, ' ')
		if e.Mode == 0 && e.Flags&oCreat == 0 && e.Flags&oTmpfile != oTmpfile {
			b = append(b, "n/a  "...)
		} else {
			b = append(appendOctal(b, uint64(e.Mode), 4), ' ')
		}
	}
	pathColumn := len(b)
	name := cstring(path[:nameLen])
	if p.fullPath && dentrypath.State(e.DirState) != dentrypath.None {
		b = dentrypath.Join(b, path[nameLen:nameLen+dirLen], dentrypath.State(e.DirState), name)
	} else {
		b = append(b, name...)
	}
	b = append(b, '\n')
	if p.symbolizer != nil {
		b = p.appendCallers(b, e, pathColumn)
	}
	p.out.Write(b)
	p.line = b
}

// appendCallers appends a line per calling function that has a name, indented to the PATH
// column, as libbpf-tools does.
func (p *printer) appendCallers(b []byte, e *event, indent int) []byte {
	for _, addr := range e.Callers {
		if addr == 0 {
			continue
		}
		sym := p.symbolizer.User(e.Pid, addr)
		if !sym.Known {
			continue
		}
		b = append(append(padRight(b, len(b), indent), sym.Name...), '\n')
	}
	return b
}

// appendClock appends the wall-clock time as libbpf-tools' str_timestamp("%H:%M:%S"),
// formatting it once a second.
func (p *printer) appendClock(b []byte) []byte {
	now := time.Now()
	if sec := now.Unix(); sec != p.clockSec || p.clock == nil {
		p.clockSec = sec
		p.clock = now.AppendFormat(p.clock[:0], "15:04:05")
	}
	return append(b, p.clock...)
}

func cstring(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// padRight pads the field that starts at b[start:] with spaces to width, like %-Nd and %-Ns.
func padRight(b []byte, start, width int) []byte {
	for len(b)-start < width {
		b = append(b, ' ')
	}
	return b
}

// padLeft appends v right-aligned in width, like %Nd.
func padLeft(b []byte, v int64, width int) []byte {
	var tmp [20]byte
	digits := strconv.AppendInt(tmp[:0], v, 10)
	for i := len(digits); i < width; i++ {
		b = append(b, ' ')
	}
	return append(b, digits...)
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
