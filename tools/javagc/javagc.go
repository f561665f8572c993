// Package javagc reports JVM garbage-collection pauses longer than a threshold, from the
// HotSpot USDT probes in the libjvm.so of one Java process.
package javagc

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
	"github.com/bpfutils/bpfutils/pkg/uprobe"
)

const defaultMinUs = 1000

// event mirrors struct javagc_event in bpf/javagc.h.
type event struct {
	CPU        uint32
	Pid        uint32
	DurationNs uint64
}

var eventSize = unsafe.Sizeof(event{})

// config is javagc's command line.
type config struct {
	Pid   uint32
	MinUs uint64 // -t: pauses up to this long are not reported
}

// rodata mirrors javagc's const volatile globals.
type rodata struct {
	MinNs uint64 `bpf:"min_gc_ns"`
}

// probes are the HotSpot probes timed: each begin with the end after it, memory-pool probes
// first as libbpf-tools attaches them.
var probes = []struct{ name, prog string }{
	{"mem__pool__gc__begin", "gc_begin"},
	{"mem__pool__gc__end", "gc_end"},
	{"gc__begin", "gc_begin"},
	{"gc__end", "gc_end"},
}

var Tool = app.Define(app.Def[config]{
	Name:   "javagc",
	Usage:  "Monitor javagc time cost",
	Object: "javagc",
	// Creating a uprobe takes CAP_SYS_ADMIN; CAP_PERFMON is not enough.
	Caps:     []string{"CAP_SYS_ADMIN"},
	CapsNote: "CAP_SYS_PTRACE for a JVM of another user (its /proc/PID/maps and libjvm.so)",
	Layouts:  map[string]any{"javagc_event": event{}},
	Examples: `
    javagc -p 185         # trace PID 185 only
    javagc -p 185 -t 100  # trace PID 185 java gc time beyond 100us`,
	Flags: func(c *config) []cli.Flag {
		c.MinUs = defaultMinUs
		return []cli.Flag{
			app.PID(&c.Pid, "pid p", "Trace this PID only", "PID"),
			app.Value(&c.MinUs, "time t", "Java gc time", parseTime),
		}
	},
	Check: func(c *config) error {
		if c.Pid == 0 {
			return app.Usagef("not specify pid, see --pid.")
		}
		return nil
	},
	Spec: func(c *config) tracer.Spec {
		return tracer.Spec{Rodata: rodata{MinNs: c.MinUs * 1000}, Manual: []string{"gc_begin", "gc_end"}}
	},
	Outputs: func(c *config) []render.Describer { return []render.Describer{records()} },
	Run:     run,
})

// parseTime reads -t, in microseconds; libbpf-tools takes a negative one too, and then
// reports nothing.
func parseTime(s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > (1<<64-1)/1000 {
		return 0, fmt.Errorf("invalid time: %s", s)
	}
	return n, nil
}

// records declares javagc's lines: TIME, CPU, PID and the pause in microseconds.
func records() *render.Records[event] {
	return render.NewRecords(render.KindEvent,
		render.Clock[event]("TIME", -8, false),
		render.Uint("CPU", -7, "cpu", func(e *event) uint64 { return uint64(e.CPU) }),
		render.Uint("PID", -7, "pid", func(e *event) uint64 { return uint64(e.Pid) }),
		render.Uint("GC TIME", -7, "gc_time_us", func(e *event) uint64 { return e.DurationNs / 1000 }),
	)
}

// libjvm finds the libjvm.so process pid runs, through /proc/PID/root so that a JVM in a
// container is found too.
func libjvm(pid uint32) (string, error) {
	maps := fmt.Sprintf("/proc/%d/maps", pid)
	if _, err := os.Stat(maps); err != nil {
		return "", fmt.Errorf("open %s failed: %w", maps, errors.Unwrap(err))
	}
	p, ok := uprobe.MappedLibrary(int(pid), "libjvm")
	if !ok {
		return "", errors.New("Not found libjvm.so.")
	}
	return p, nil
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	jvm, err := libjvm(c.Pid)
	if err != nil {
		return err
	}
	for _, p := range probes {
		if err := t.AttachUSDT(p.prog, int(c.Pid), jvm, "hotspot", p.name); err != nil {
			return fmt.Errorf("attach usdt %s failed: %w", p.name, err)
		}
	}
	if env.Verbose {
		env.Warnf("probing hotspot's GC probes in %s", env.Out.Escape(jvm))
	}
	recs := records().To(env.Out)
	return app.Stream(env, t, app.StreamOptions{
		Banner: "Tracing javagc time... Hit Ctrl-C to end.",
		Header: recs,
	}, app.WriteEvents(recs, eventSize))
}
