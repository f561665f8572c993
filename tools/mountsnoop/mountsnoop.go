// Package mountsnoop traces mount(), umount() and the new mount API calls (fsopen(), fsconfig(),
// fsmount(), move_mount()) with their arguments and results.
package mountsnoop

import (
	"strconv"
	"time"
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// event mirrors struct mountsnoop_event in bpf/mountsnoop.h.
type event struct {
	DeltaNs   uint64
	Flags     uint64
	Pid       uint32
	Tid       uint32
	MntNs     uint32
	Ret       int32
	Op        uint32
	Fd        int32
	ToFd      int32
	Cmd       uint32
	AttrFlags uint32
	Aux       int32
	Comm      [16]byte
	Path0     [4096]byte
	Path1     [4096]byte
	Text0     [512]byte
	Text1     [512]byte
}

// enum mountsnoop_op
const (
	opMount = 1 + iota
	opUmount
	opFsopen
	opFsconfig
	opFsmount
	opMoveMount
)

// calls are the syscalls by op: the tracepoint name, and the name -d prints.
var calls = [...]struct{ tp, op string }{
	{}, {"mount", "MOUNT"}, {"umount", "UMOUNT"}, {"fsopen", "FSOPEN"}, {"fsconfig", "FSCONFIG"},
	{"fsmount", "FSMOUNT"}, {"move_mount", "MOVE_MOUNT"},
}

// eventsSize holds 110 calls of 9 KiB: a container runtime makes a few dozen mounts at once.
const eventsSize = 1 << 20

type config struct {
	Pid                 uint32
	Timestamp, Detailed bool
}

type rodata struct {
	Tgid uint32 `bpf:"targ_tgid"`
}

var Tool = app.Define(app.Def[config]{
	Name:      "mountsnoop",
	Usage:     "Trace mount, umount, fsopen, fsconfig, fsmount, move_mount syscalls",
	ArgsUsage: " ",
	Object:    "mountsnoop",
	Caps:      []string{"CAP_DAC_READ_SEARCH"},
	Layouts:   map[string]any{"mountsnoop_event": event{}},
	Consts:    map[string]int64{"MOUNTSNOOP_MOUNT": opMount, "MOUNTSNOOP_MOVE_MOUNT": opMoveMount},
	Examples: `
    mountsnoop         # trace mount relative syscalls
    mountsnoop -d      # detailed output (one line per column value)
    mountsnoop -p 1216 # only trace PID 1216`,
	Flags: func(c *config) []cli.Flag {
		return []cli.Flag{
			app.PID(&c.Pid, "pid p", "Process ID to trace", "pid"),
			app.Timestamp(&c.Timestamp, "timestamp t"),
			app.Bool(&c.Detailed, "detailed d", "Output result in detail mode"),
		}
	},
	Spec:    spec,
	Outputs: func(c *config) []render.Describer { return []render.Describer{records(c)} },
	Run:     run,
})

func spec(c *config) tracer.Spec {
	var probes []tracer.Probe
	for op, call := range calls[1:] {
		// The new mount API came in 5.2.
		optional := op+1 >= opFsopen
		for _, dir := range []string{"entry", "exit"} {
			tp := "sys_enter_"
			if dir == "exit" {
				tp = "sys_exit_"
			}
			probes = append(probes, tracer.Probe{
				What:     call.tp + " " + dir,
				Hooks:    []tracer.Hook{{Prog: call.tp + "_" + dir, Kind: tracer.Tracepoint, Target: "syscalls:" + tp + call.tp}},
				Optional: optional,
			})
		}
	}
	return tracer.Spec{Rodata: rodata{Tgid: c.Pid}, Probes: probes, Events: eventsSize}
}

// row is one call as the columns read it: the event, and the call as text, built once.
type row struct {
	e    *event
	call []byte
	tmp  []byte
}

func cstr(b []byte) []byte { return filter.CommBytes(b) }

// build renders the call the way libbpf-tools' CALL column shows it.
func (r *row) build() {
	e, b := r.e, r.call[:0]
	quoted := func(s []byte) { b = append(append(append(b, '"'), s...), '"') }
	quotedFlags := func(f []byte) { b = append(append(append(b, '"'), f...), '"') }
	switch e.Op {
	case opMount:
		b = append(b, "mount("...)
		quoted(cstr(e.Path0[:]))
		b = append(b, ", "...)
		quoted(cstr(e.Path1[:]))
		b = append(b, ", "...)
		quoted(cstr(e.Text1[:]))
		b = append(b, ", "...)
		b = appendMountFlags(b, e.Flags)
		b = append(b, ", "...)
		quoted(cstr(e.Text0[:]))
	case opUmount:
		b = append(b, "umount("...)
		quoted(cstr(e.Path1[:]))
		b = append(b, ", "...)
		b = appendFlags(b, e.Flags, umountFlags, "0x0")
	case opFsopen:
		b = append(b, "fsopen("...)
		quoted(cstr(e.Text1[:]))
		b = append(b, ", "...)
		b = appendFlags(b, e.Flags, fsopenFlags, "0x0")
	case opFsconfig:
		b = append(b, "fsconfig("...)
		b = strconv.AppendInt(b, int64(e.Fd), 10)
		b = append(b, ", \""...)
		b = append(b, fsconfigCmd(e.Cmd)...)
		b = append(b, "\", "...)
		quoted(cstr(e.Text0[:]))
		b = append(b, ", "...)
		quoted(cstr(e.Text1[:]))
		b = append(b, ", "...)
		b = strconv.AppendInt(b, int64(e.Aux), 10)
	case opFsmount:
		b = append(b, "fsmount("...)
		b = strconv.AppendInt(b, int64(e.Fd), 10)
		b = append(b, ", "...)
		r.tmp = appendFlags(r.tmp[:0], e.Flags, fsmountFlags, "0x0")
		quotedFlags(r.tmp)
		b = append(b, ", "...)
		r.tmp = appendAttrFlags(r.tmp[:0], uint64(e.AttrFlags))
		quotedFlags(r.tmp)
	case opMoveMount:
		b = append(b, "move_mount("...)
		b = strconv.AppendInt(b, int64(e.Fd), 10)
		b = append(b, ", "...)
		quoted(cstr(e.Path0[:]))
		b = append(b, ", "...)
		b = appendFD(b, e.ToFd)
		b = append(b, ", "...)
		quoted(cstr(e.Path1[:]))
		b = append(b, ", "...)
		r.tmp = appendFlags(r.tmp[:0], e.Flags, moveMountFlags, "")
		quotedFlags(r.tmp)
	default:
		r.call = b
		return
	}
	b = append(b, ") = "...)
	r.call = appendResult(b, e.Ret)
}

func opName(op uint32) string {
	if int(op) < len(calls) && op > 0 {
		return calls[op].op
	}
	return "UNKNOWN"
}

// records declares mountsnoop's lines: libbpf-tools' table, or with -d one block of lines per
// call; JSON is the same in both.
func records(c *config) *render.Records[row] {
	table := !c.Detailed
	return render.NewRecords(render.KindEvent,
		render.Clock[row]("TIME", -8, false).If(c.Timestamp && table),
		render.Text("COMM", -16, "comm", func(r *row) []byte { return cstr(r.e.Comm[:]) }).TextIf(table),
		render.Uint("PID", -7, "pid", func(r *row) uint64 { return uint64(r.e.Pid) }).TextIf(table),
		render.Uint("TID", -7, "tid", func(r *row) uint64 { return uint64(r.e.Tid) }).TextIf(table),
		render.Uint("MNT_NS", -11, "mnt_ns", func(r *row) uint64 { return uint64(r.e.MntNs) }).TextIf(table),
		render.Text("CALL", 0, "call", func(r *row) []byte { return r.call }).TextIf(table).
			Note("the call as the text output shows it"),
		render.JSONOnly(render.Str("OP", 0, "op", func(r *row) string { return calls[opIndex(r.e.Op)].tp })).
			Note("mount, umount, fsopen, fsconfig, fsmount or move_mount"),
		render.JSONOnly(render.Int("RET", 0, "ret", func(r *row) int64 { return int64(r.e.Ret) })),
		render.JSONOnly(render.Uint("LAT", 0, "latency_ns", func(r *row) uint64 { return r.e.DeltaNs })),
		render.JSONOnly(render.Custom[row]("", 0, nil).JSONWith("args", "object", writeArgs)).
			Note("the call's arguments by name: source, target, fs, data, flags, fd, cmd, key, value, aux, attr_flags, to_fd"),
		render.Custom("", 0, func(l *render.Line, r *row) { writeDetailed(l, r, c.Timestamp) }).If(c.Detailed),
	)
}

func opIndex(op uint32) uint32 {
	if int(op) < len(calls) {
		return op
	}
	return 0
}

// writeArgs writes the arguments the call has, as JSON members.
func writeArgs(j *render.JSON, key string, r *row) {
	e := r.e
	j.Object(key)
	switch e.Op {
	case opMount:
		j.Text("source", cstr(e.Path0[:])).Text("target", cstr(e.Path1[:])).Text("fs", cstr(e.Text1[:])).
			Text("data", cstr(e.Text0[:])).Uint("flags", e.Flags)
	case opUmount:
		j.Text("target", cstr(e.Path1[:])).Uint("flags", e.Flags)
	case opFsopen:
		j.Text("fs", cstr(e.Text1[:])).Uint("flags", e.Flags)
	case opFsconfig:
		j.Int("fd", int64(e.Fd)).Str("cmd", fsconfigCmd(e.Cmd)).Text("key", cstr(e.Text0[:])).
			Text("value", cstr(e.Text1[:])).Int("aux", int64(e.Aux))
	case opFsmount:
		j.Int("fd", int64(e.Fd)).Uint("flags", e.Flags).Uint("attr_flags", uint64(e.AttrFlags))
	case opMoveMount:
		j.Int("from_fd", int64(e.Fd)).Text("from_path", cstr(e.Path0[:])).Int("to_fd", int64(e.ToFd)).
			Text("to_path", cstr(e.Path1[:])).Uint("flags", e.Flags)
	}
	j.Close()
}

// writeDetailed writes -d's block: one "NAME:   value" line per field, indented under a time
// line with -t; the record's own newline ends it with an empty line, as libbpf-tools does.
func writeDetailed(l *render.Line, r *row, timestamp bool) {
	e := r.e
	indent := ""
	if timestamp {
		l.Clock(time.Now(), false).Byte('\n')
		indent = "    "
	}
	field := func(name string) *render.Line { return l.Str(indent, 0).Str(name, 0) }
	end := func() { l.Byte('\n') }
	field("PID:    ").Uint(uint64(e.Pid), 0)
	end()
	field("TID:    ").Uint(uint64(e.Tid), 0)
	end()
	field("COMM:   ").Text(cstr(e.Comm[:]), 0)
	end()
	field("OP:     ").Str(opName(e.Op), 0)
	end()
	field("RET:    ")
	l.Append(appendResult(l.Bytes(), e.Ret))
	end()
	field("LAT:    ").Uint(e.DeltaNs/1000, 0).Str("us", 0)
	end()
	field("MNT_NS: ").Uint(uint64(e.MntNs), 0)
	end()
	text := func(name string, s []byte) { field(name).Text(cstr(s), 0); end() }
	// flags writes what the tool made itself: bytes the Line takes as they are.
	flags := func(name string, f []byte) {
		field(name)
		l.Append(append(l.Bytes(), f...))
		end()
	}
	switch e.Op {
	case opMount:
		text("FS:     ", e.Text1[:])
		text("SOURCE: ", e.Path0[:])
		text("TARGET: ", e.Path1[:])
		text("DATA:   ", e.Text0[:])
		flags("FLAGS:  ", appendMountFlags(r.tmp[:0], e.Flags))
	case opUmount:
		text("TARGET: ", e.Path1[:])
		flags("FLAGS:  ", appendFlags(r.tmp[:0], e.Flags, umountFlags, "0x0"))
	case opFsopen:
		text("FS:     ", e.Text1[:])
		flags("FLAGS:  ", appendFlags(r.tmp[:0], e.Flags, fsopenFlags, "0x0"))
	case opFsconfig:
		field("FD:     ").Int(int64(e.Fd), 0)
		end()
		field("CMD:    ").Str(fsconfigCmd(e.Cmd), 0)
		end()
		text("KEY:    ", e.Text0[:])
		text("VALUE:  ", e.Text1[:])
	case opFsmount:
		field("FS_FD:       ").Int(int64(e.Fd), 0)
		end()
		flags("FLAGS:       ", appendFlags(r.tmp[:0], e.Flags, fsmountFlags, "0x0"))
		flags("ATTR_FLAGS:  ", appendAttrFlags(r.tmp[:0], uint64(e.AttrFlags)))
	case opMoveMount:
		field("FROM_DFD:       ").Int(int64(e.Fd), 0)
		end()
		text("FROM_PATHNAME:  ", e.Path0[:])
		field("TO_DFD:         ").Int(int64(e.ToFd), 0)
		end()
		text("TO_PATHNAME:    ", e.Path1[:])
		flags("FLAGS:          ", appendFlags(r.tmp[:0], e.Flags, moveMountFlags, ""))
	}
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	r := &row{}
	recs := records(c).To(env.Out)
	opts := app.StreamOptions{}
	if !c.Detailed {
		opts.Header = recs
	}
	return app.Stream(env, t, opts, func(rec []byte) {
		e := tracer.Cast[event](rec, unsafe.Sizeof(event{}))
		if e == nil {
			return
		}
		r.e = e
		r.build()
		recs.Write(r)
	})
}
