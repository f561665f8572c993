// Package fsdist summarizes the latency of a filesystem's operations as log2 histograms.
package fsdist

import (
	"fmt"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/fsops"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// slots mirrors struct fsdist_hist in bpf/fsdist.h.
type slots struct {
	Slots [32]uint32
}

// config is fsdist's command line.
type config struct {
	FS                *fsops.FS
	Timestamp, Millis bool
	Pid               uint32
	Every             app.Every
}

// rodata mirrors fsdist's const volatile globals.
type rodata struct {
	Tgid   uint32 `bpf:"targ_tgid"`
	Magic  uint64 `bpf:"fs_magic"`
	Millis bool   `bpf:"in_ms"`
}

// ops are the operations fsdist times (getattr where the filesystem has a function for it).
var ops = []fsops.Op{fsops.Read, fsops.Write, fsops.Open, fsops.Fsync, fsops.Getattr}

var Tool = app.Define(app.Def[config]{
	Name:      "fsdist",
	Usage:     "Summarize file system operations latency.",
	ArgsUsage: "[interval] [count]",
	Object:    "fsdist",
	// The system-call tracepoints: their ids are read in tracefs.
	Caps:    []string{"CAP_DAC_READ_SEARCH"},
	Layouts: map[string]any{"fsdist_hist": slots{}},
	Consts: map[string]int64{
		"FS_READ": int64(fsops.Read), "FS_GETATTR": int64(fsops.Getattr), "FS_OPS": int64(fsops.NumOps),
		"max_entries:hists": int64(fsops.NumOps),
	},
	Aliases: fsops.Aliases("dist", "Summarize %s operations latency."),
	Examples: `
    fsdist -t ext4             # show ext4 operations latency as a histogram
    fsdist -t nfs -p 1216      # trace nfs operations with PID 1216 only
    fsdist -t xfs 1 10         # trace xfs operations, 1s summaries, 10 times
    fsdist -t btrfs -m 5       # trace btrfs operation, 5s summaries, in ms`,
	Flags: func(c *config) []cli.Flag {
		return []cli.Flag{
			app.Timestamp(&c.Timestamp, "timestamp T"),
			app.Millis(&c.Millis),
			app.PID(&c.Pid, "pid p", "Process ID to trace", "PID"),
			fsops.TypeFlag(&c.FS),
		}
	},
	Args:  func(c *config) []app.Arg { return app.IntervalArgs(&c.Every) },
	Check: func(c *config) error { return fsops.Check(c.FS) },
	// Every filesystem loads the same programs; only their targets differ.
	Variants: [][]string{{"-t", "ext4"}, {"-t", "ext4", "-m"}},
	Spec: func(c *config) tracer.Spec {
		return tracer.Spec{
			Rodata: rodata{Tgid: c.Pid, Magic: c.FS.Magic, Millis: c.Millis},
			Probes: fsops.Probes(c.FS, ops),
		}
	},
	Outputs: func(c *config) []render.Describer { return []render.Describer{histograms(c)} },
	Run:     run,
})

func histograms(c *config) *render.Histograms {
	return &render.Histograms{Unit: app.Units(c.Millis), Labels: []string{"operation"}}
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	fsops.WarnSyscalls(env, t, c.FS, ops)
	if t.Uses("fs_sys_statx_enter") || t.Uses("fs_sys_fstatat_enter") || t.Uses("fs_sys_stat_enter") {
		devs, one := t.Map("fs_devs"), uint8(1)
		stop, err := fsops.KeepDevices(c.FS, func(dev uint32) error { return bpfmap.Update(devs, &dev, &one) })
		if err != nil {
			return err
		}
		defer stop()
	}
	decl := histograms(c)
	hists := t.Map("hists")
	banner := fmt.Sprintf("Tracing %s operation latency... Hit Ctrl-C to end.", c.FS.Name)
	return app.Report(env, c.Every, banner, func() error {
		env.Out.ReportStart(c.Timestamp)
		entries, err := bpfmap.Entries[uint32, slots](hists, true)
		if err != nil {
			return err
		}
		slices.SortFunc(entries, func(a, b bpfmap.Entry[uint32, slots]) int { return int(a.Key) - int(b.Key) })
		for _, e := range entries {
			h := render.Hist{
				Caption: fmt.Sprintf("operation = '%s'\n", fsops.Op(e.Key)),
				Labels:  []string{fsops.Op(e.Key).String()},
				Counts:  render.Counts(e.Value.Slots[:]),
			}
			if h.Total() == 0 {
				continue
			}
			env.Out.Histogram(decl, &h)
			env.Out.Printf("\n")
		}
		return nil
	})
}
