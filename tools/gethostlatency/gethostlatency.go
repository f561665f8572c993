// Package gethostlatency shows how long host-name lookups through libc take: getaddrinfo(),
// gethostbyname() and gethostbyname2(), with the process and the name it asked for.
package gethostlatency

import (
	"bytes"
	"fmt"
	"os"
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
	"github.com/bpfutils/bpfutils/pkg/uprobe"
)

// lookups are the functions timed, in libbpf-tools' order.
var lookups = []string{"getaddrinfo", "gethostbyname", "gethostbyname2"}

// event mirrors struct gethostlatency_event in bpf/gethostlatency.h.
type event struct {
	LatencyNs uint64
	Pid       uint32
	Comm      [16]byte
	Host      [256]byte
}

var eventSize = unsafe.Sizeof(event{})

// config is gethostlatency's command line.
type config struct {
	Pid  uint32 // -p: 0 for every process
	Libc string // -l: the libc to probe; "" to find it
}

// rodata mirrors gethostlatency's const volatile globals.
type rodata struct {
	Pid uint32 `bpf:"target_pid"`
}

var Tool = app.Define(app.Def[config]{
	Name:   "gethostlatency",
	Usage:  "Show latency for getaddrinfo/gethostbyname[2] calls",
	Object: "gethostlatency",
	// Creating a uprobe takes CAP_SYS_ADMIN; CAP_PERFMON is not enough.
	Caps:     []string{"CAP_SYS_ADMIN"},
	CapsNote: "CAP_SYS_PTRACE with -p of another user's process (its /proc/PID/maps)",
	Layouts:  map[string]any{"gethostlatency_event": event{}},
	Examples: `
    gethostlatency             # time getaddrinfo/gethostbyname[2] calls
    gethostlatency -p 1216     # only trace PID 1216`,
	Flags: func(c *config) []cli.Flag {
		return []cli.Flag{
			app.PID(&c.Pid, "pid p", "Process ID to trace", "PID"),
			app.String(&c.Libc, "libc l", "Specify which libc.so to use"),
		}
	},
	Check: func(c *config) error {
		if c.Libc != "" {
			if _, err := os.Stat(c.Libc); err != nil {
				return app.Usagef("Invalid libc: %s", c.Libc)
			}
		}
		return nil
	},
	Spec: func(c *config) tracer.Spec {
		return tracer.Spec{Rodata: rodata{Pid: c.Pid}, Manual: []string{"lookup_entry", "lookup_return"}}
	},
	Outputs: func(c *config) []render.Describer { return []render.Describer{records()} },
	Run:     run,
})

// records declares gethostlatency's lines: TIME, PID, COMM, LATms and HOST.
func records() *render.Records[event] {
	return render.NewRecords(render.KindEvent,
		render.Clock[event]("TIME", -8, false),
		render.Uint("PID", -7, "pid", func(e *event) uint64 { return uint64(e.Pid) }),
		render.Text("COMM", -16, "comm", func(e *event) []byte { return filter.CommBytes(e.Comm[:]) }),
		render.Float("LATms", -10, 3, "latency_ms", func(e *event) float64 { return float64(e.LatencyNs) / 1e6 }),
		render.Text("HOST", 0, "host", func(e *event) []byte { return cString(e.Host[:]) }),
	)
}

func cString(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// libcOf finds the ELF file holding the lookup functions: -l's, else the libc the process of
// -p maps, else the libc the dynamic linker would load. A process of -p that maps no libc is
// linked statically: its own executable has the functions then.
func libcOf(c *config) (string, error) {
	if c.Libc != "" {
		return c.Libc, nil
	}
	if c.Pid != 0 {
		if p, ok := uprobe.MappedLibrary(int(c.Pid), "libc"); ok {
			return p, nil
		}
		exe := fmt.Sprintf("/proc/%d/exe", c.Pid)
		if uprobe.HasSymbol(exe, lookups[0]) {
			return exe, nil
		}
	}
	p, err := uprobe.FindBinary(0, "c")
	if err != nil {
		return "", fmt.Errorf("could not find libc.so: %w", err)
	}
	return p, nil
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	libc, err := libcOf(c)
	if err != nil {
		return err
	}
	pid := -1
	if c.Pid != 0 {
		pid = int(c.Pid)
	}
	for _, fn := range lookups {
		offset, err := uprobe.FuncOffset(libc, fn)
		if err != nil {
			return fmt.Errorf("could not find %s in %s", fn, libc)
		}
		if err := t.AttachUprobe("lookup_entry", pid, libc, offset, false); err != nil {
			return fmt.Errorf("failed to attach %s: %w", fn, err)
		}
		if err := t.AttachUprobe("lookup_return", pid, libc, offset, true); err != nil {
			return fmt.Errorf("failed to attach %s: %w", fn, err)
		}
	}
	if env.Verbose {
		env.Warnf("probing %v in %s", lookups, env.Out.Escape(libc))
	}
	recs := records().To(env.Out)
	return app.Stream(env, t, app.StreamOptions{Header: recs}, app.WriteEvents(recs, eventSize))
}
