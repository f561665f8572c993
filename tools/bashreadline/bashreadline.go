// Package bashreadline prints the command lines typed at interactive bash prompts: the string
// readline() returns, with the shell's PID.
package bashreadline

import (
	"bytes"
	"errors"
	"fmt"
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
	"github.com/bpfutils/bpfutils/pkg/uprobe"
)

// defaultShell is where libbpf-tools looks for readline: in bash itself, or in the
// libreadline.so bash links.
const defaultShell = "/bin/bash"

// event mirrors struct bashreadline_event in bpf/bashreadline.h.
type event struct {
	Pid  uint32
	Line [4096]byte
}

// lineOffset is where the line starts; a record ends after the line's NUL.
var lineOffset = unsafe.Offsetof(event{}.Line)

// config is bashreadline's command line.
type config struct {
	Shared string // -s: the ELF file holding readline; "" to find it
}

var Tool = app.Define(app.Def[config]{
	Name:   "bashreadline",
	Usage:  "Print entered bash commands from all running shells",
	Object: "bashreadline",
	// Creating a uprobe takes CAP_SYS_ADMIN; CAP_PERFMON is not enough.
	Caps:    []string{"CAP_SYS_ADMIN"},
	Layouts: map[string]any{"bashreadline_event": event{}},
	Examples: `
    bashreadline
    bashreadline -s /usr/lib/libreadline.so`,
	Flags: func(c *config) []cli.Flag {
		return []cli.Flag{
			app.String(&c.Shared, "shared s", "the location of libreadline.so library"),
		}
	},
	Spec: func(c *config) tracer.Spec {
		return tracer.Spec{Manual: []string{"readline_return"}}
	},
	Outputs: func(c *config) []render.Describer { return []render.Describer{records()} },
	Run:     run,
})

// record is one line as the columns read it.
type record struct {
	pid  uint32
	line []byte
}

// records declares bashreadline's lines: TIME, PID and the command as typed.
func records() *render.Records[record] {
	return render.NewRecords(render.KindEvent,
		render.Clock[record]("TIME", -9, false),
		render.Uint("PID", -7, "pid", func(r *record) uint64 { return uint64(r.pid) }),
		render.Text("COMMAND", 0, "command", func(r *record) []byte { return r.line }),
	)
}

// decode reads a record as the BPF side sent it: the line ends at its NUL, and the record
// holds no bytes past it (so the event is never read beyond the record).
func decode(rec []byte, r *record) bool {
	e := tracer.Cast[event](rec, lineOffset+1)
	if e == nil {
		return false
	}
	r.pid = e.Pid
	r.line = rec[lineOffset:]
	if i := bytes.IndexByte(r.line, 0); i >= 0 {
		r.line = r.line[:i]
	}
	return true
}

// readlineTarget finds the ELF file and function to probe: the file -s names, else bash if it
// carries readline itself, else the libreadline bash links. readline_internal_teardown, where
// the ELF has it, returns the same line and is what libbpf-tools prefers.
func readlineTarget(shared string) (path, function string, err error) {
	path = shared
	if path == "" {
		path = defaultShell
		if !uprobe.HasSymbol(path, "readline_internal_teardown") && !uprobe.HasSymbol(path, "readline") {
			if path, err = uprobe.NeededLibrary(defaultShell, "libreadline.so"); err != nil {
				return "", "", errors.New("failed to find readline: " + err.Error())
			}
		}
	} else if path, err = uprobe.FindBinary(0, path); err != nil {
		return "", "", err
	}
	for _, function = range []string{"readline_internal_teardown", "readline"} {
		if uprobe.HasSymbol(path, function) {
			return path, function, nil
		}
	}
	return "", "", fmt.Errorf("could not find readline in %s", path)
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	// Found here, not in Check: a path that does not exist on this machine is still a
	// command line the tool accepts (its own example names one).
	path, function, err := readlineTarget(c.Shared)
	if err != nil {
		return err
	}
	offset, err := uprobe.FuncOffset(path, function)
	if err != nil {
		return err
	}
	if err := t.AttachUprobe("readline_return", -1, path, offset, true); err != nil {
		return err
	}
	if env.Verbose {
		env.Warnf("probing the return of %s in %s", function, env.Out.Escape(path))
	}
	recs := records().To(env.Out)
	var r record
	return app.Stream(env, t, app.StreamOptions{Header: recs}, func(rec []byte) {
		if decode(rec, &r) {
			recs.Write(&r)
		}
	})
}
