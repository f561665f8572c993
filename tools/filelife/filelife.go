// Package filelife traces short-lived files: files created and then deleted while tracing,
// with their age.
package filelife

import (
	"path/filepath"
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/dentrypath"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// event mirrors struct filelife_event in bpf/filelife.h.
type event struct {
	DeltaNs  uint64
	Ts       uint64
	Tgid     uint32
	Kind     uint32
	NameLen  uint16
	DirLen   uint16
	DirState uint32
	Task     [16]byte
	Path     [4096 + 8192]byte
}

// Kinds of event (enum filelife_kind).
const (
	kindDeleted  = 0
	kindCreated  = 1
	kindUnlinked = 2
)

const (
	pathOffset = unsafe.Offsetof(event{}.Path)
	// maxBorn bounds the files the system-call path remembers, by path, until they are
	// unlinked (the kernel side's births map holds 8192 dentries).
	maxBorn = 65536
	// eventsSize: on the system-call path every creation on the machine is an event.
	eventsSize = 1 << 20
)

// config is filelife's command line.
type config struct {
	Pid      uint32
	FullPath bool
}

// rodata mirrors filelife's const volatile globals.
type rodata struct {
	Tgid     uint32 `bpf:"targ_tgid"`
	FullPath bool   `bpf:"full_path"`
}

var Tool = app.Define(app.Def[config]{
	Name:      "filelife",
	Usage:     "Trace the lifespan of short-lived files.",
	ArgsUsage: " ",
	Object:    "filelife",
	// The system-call tracepoints: their ids are read in tracefs.
	Caps:    []string{"CAP_DAC_READ_SEARCH"},
	Layouts: map[string]any{"filelife_event": event{}},
	Consts:  map[string]int64{"FILELIFE_DELETED": kindDeleted, "FILELIFE_CREATED": kindCreated, "FILELIFE_UNLINKED": kindUnlinked},
	Examples: `
    filelife         # trace all events
    filelife -p 123  # trace pid 123`,
	Flags: func(c *config) []cli.Flag {
		return []cli.Flag{
			app.PID(&c.Pid, "pid p", "Process PID to trace", "PID"),
			app.Bool(&c.FullPath, "full-path F", "Show full path"),
		}
	},
	Spec: func(c *config) tracer.Spec {
		hooks := func(what, fn, prog string, tps ...tracer.Hook) tracer.Probe {
			return tracer.Probe{What: what, Hooks: append([]tracer.Hook{
				{Prog: prog + "_fentry", Kind: tracer.Fentry, Target: fn},
				{Prog: prog + "_kprobe", Kind: tracer.Kprobe, Target: fn},
			}, tps...)}
		}
		tp := func(prog, call string) tracer.Hook {
			return tracer.Hook{Prog: prog, Kind: tracer.Tracepoint, Target: "syscalls:sys_exit_" + call}
		}
		probes := []tracer.Probe{
			hooks("file creation (openat)", "vfs_open", "vfs_open", tp("sys_open_exit", "openat")),
			hooks("file creation (mknodat)", "vfs_create", "vfs_create", tp("sys_mknodat_exit", "mknodat")),
			hooks("file unlink (unlinkat)", "vfs_unlink", "vfs_unlink", tp("sys_unlinkat_exit", "unlinkat")),
			{What: "file unlink end (unlinkat)", Hooks: []tracer.Hook{
				{Prog: "vfs_unlink_fexit", Kind: tracer.Fexit, Target: "vfs_unlink"},
				{Prog: "vfs_unlink_kretprobe", Kind: tracer.Kretprobe, Target: "vfs_unlink"},
				tp("sys_unlinkat_exit", "unlinkat"),
			}},
		}
		// Calls some kernels lack (arm64 has no open, creat, mknod, unlink): where the
		// functions are traced, these choose the same programs again, attached once.
		for _, extra := range []struct{ what, fn, prog, tprog, call string }{
			{"file creation (open)", "vfs_open", "vfs_open", "sys_open_exit", "open"},
			{"file creation (openat2)", "vfs_open", "vfs_open", "sys_open_exit", "openat2"},
			{"file creation (creat)", "vfs_open", "vfs_open", "sys_open_exit", "creat"},
			{"file creation (mknod)", "vfs_create", "vfs_create", "sys_mknod_exit", "mknod"},
			{"file unlink (unlink)", "vfs_unlink", "vfs_unlink", "sys_unlink_exit", "unlink"},
		} {
			p := hooks(extra.what, extra.fn, extra.prog, tp(extra.tprog, extra.call))
			p.Optional = true
			probes = append(probes, p)
		}
		// Not in every kernel's kallsyms; the system calls above see these creations.
		create := hooks("file creation (security_inode_create)", "security_inode_create", "inode_create")
		create.Optional = true
		probes = append(probes, create)
		return tracer.Spec{
			Rodata: rodata{Tgid: c.Pid, FullPath: c.FullPath},
			Probes: probes,
			Events: eventsSize,
		}
	},
	Outputs: func(c *config) []render.Describer { return []render.Describer{records()} },
	Run:     run,
})

// line is one reported file: its deleter, age and name.
type line struct {
	pid   uint32
	comm  []byte
	ageNs uint64
	file  []byte
}

func records() *render.Records[line] {
	return render.NewRecords(render.KindEvent,
		render.Clock[line]("TIME", -8, false),
		render.Uint("PID", -6, "pid", func(l *line) uint64 { return uint64(l.pid) }),
		render.Text("COMM", -16, "comm", func(l *line) []byte { return l.comm }),
		render.Float("AGE(s)", -7, 2, "age_s", func(l *line) float64 { return float64(l.ageNs) / 1e9 }).
			JSONUint("age_ns", func(l *line) uint64 { return l.ageNs }),
		render.Text("FILE", 0, "file", func(l *line) []byte { return l.file }),
	)
}

// handler turns events into lines; on the system-call path it matches creations and unlinks
// by path.
type handler struct {
	c    *config
	recs *render.Records[line]
	born map[string]uint64 // path -> creation time (system-call path)
	buf  []byte
	l    line
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	bySyscall := t.Uses("sys_unlinkat_exit") || t.Uses("sys_open_exit")
	if env.Verbose && bySyscall {
		env.Warnf("note: no fentry/kprobe on vfs_create/vfs_open/vfs_unlink: files are followed from the system calls that create and unlink them, told apart by path " +
			"(a file renamed, or reached by another path or through a symlinked directory, is not matched); the kernel's own creations and deletions and io_uring's are not seen")
	}
	h := &handler{c: c, recs: records().To(env.Out), born: map[string]uint64{}}
	return app.Stream(env, t, app.StreamOptions{
		Banner: "Tracing the lifespan of short-lived files ... Hit Ctrl-C to end.",
		Header: h.recs,
	}, h.handle)
}

// path renders the event's path: the name as passed joined to its directory, or the walk of
// the file itself.
func (h *handler) path(e *event, rec []byte) []byte {
	name, dir, ok := dentrypath.Split(rec[pathOffset:], int(e.NameLen), int(e.DirLen))
	if !ok {
		return nil
	}
	state := dentrypath.State(e.DirState)
	switch {
	case e.NameLen == 0:
		return dentrypath.Append(h.buf[:0], dir, state)
	case state == dentrypath.None:
		return append(h.buf[:0], name...)
	default:
		return dentrypath.Join(h.buf[:0], dir, state, name)
	}
}

func (h *handler) handle(rec []byte) {
	e := tracer.Cast[event](rec, pathOffset)
	if e == nil {
		return
	}
	p := h.path(e, rec)
	h.buf = p[:0]
	switch e.Kind {
	case kindDeleted:
		h.write(e, e.DeltaNs, p)
	case kindCreated:
		if len(h.born) >= maxBorn {
			for k := range h.born { // forget one: files created and never deleted pile up
				delete(h.born, k)
				break
			}
		}
		h.born[filepath.Clean(string(p))] = e.Ts
	case kindUnlinked:
		key := filepath.Clean(string(p))
		ts, ok := h.born[key]
		if !ok {
			return
		}
		delete(h.born, key)
		name := []byte(key)
		if !h.c.FullPath {
			name = []byte(filepath.Base(key))
		}
		h.write(e, e.Ts-ts, name)
	}
}

func (h *handler) write(e *event, age uint64, file []byte) {
	h.l = line{pid: e.Tgid, comm: filter.CommBytes(e.Task[:]), ageNs: age, file: file}
	h.recs.Write(&h.l)
}
