// Package filetop shows, every interval, the reads and writes of each thread on each file:
// how many calls and how many kilobytes, busiest first.
package filetop

import (
	"cmp"
	"slices"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/loadavg"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

const (
	maxEntries = 10240 // FILETOP_MAX_ENTRIES, also libbpf-tools' cap on -r
	nameSize   = 256
)

// key mirrors struct filetop_key in bpf/filetop.h.
type key struct {
	Inode uint64
	Dev   uint32
	Rdev  uint32
	Pid   uint32
	Tid   uint32
}

// stat mirrors struct filetop_stat in bpf/filetop.h.
type stat struct {
	Reads      uint64
	ReadBytes  uint64
	Writes     uint64
	WriteBytes uint64
	Pid        uint32
	Tid        uint32
	Comm       [16]byte
	Name       [nameSize]byte
	Type       byte
	Pad        [7]byte
}

// config is filetop's command line.
type config struct {
	Pid     uint32
	NoClear bool
	All     bool
	Sort    string
	Rows    int
	Every   app.Every
}

// rodata mirrors filetop's const volatile globals.
type rodata struct {
	Pid         uint32 `bpf:"target_pid"`
	RegularOnly bool   `bpf:"regular_file_only"`
}

var Tool = app.Define(app.Def[config]{
	Name:      "filetop",
	Usage:     "Trace file reads/writes by process.",
	ArgsUsage: "[interval] [count]",
	Object:    "filetop",
	// The system-call tracepoints: their ids are read in tracefs.
	Caps:    []string{"CAP_DAC_READ_SEARCH"},
	Layouts: map[string]any{"filetop_key": key{}, "filetop_stat": stat{}},
	Consts:  map[string]int64{"max_entries:files": maxEntries},
	Examples: `
    filetop            # file I/O top, refresh every 1s
    filetop -p 1216    # only trace PID 1216
    filetop 5 10       # 5s summaries, 10 times`,
	Flags: func(c *config) []cli.Flag {
		return []cli.Flag{
			app.PID(&c.Pid, "pid p", "Process ID to trace", "PID"),
			app.Bool(&c.NoClear, "noclear C", "Don't clear the screen"),
			app.Bool(&c.All, "all a", "Include special files"),
			app.SortFlag(&c.Sort, "all", "all", "reads", "writes", "rbytes", "wbytes"),
			app.RowsFlag(&c.Rows, maxEntries),
		}
	},
	Args: func(c *config) []app.Arg {
		c.Every.Interval = time.Second
		return app.IntervalArgs(&c.Every)
	},
	Spec: func(c *config) tracer.Spec {
		return tracer.Spec{
			Rodata: rodata{Pid: c.Pid, RegularOnly: !c.All},
			Probes: []tracer.Probe{
				probe("reads", "read", "vfs_read", "read_tp", "sys_enter_read"),
				probe("positioned reads", "read", "vfs_read", "pread_tp", "sys_enter_pread64"),
				probe("writes", "write", "vfs_write", "write_tp", "sys_enter_write"),
				probe("positioned writes", "write", "vfs_write", "pwrite_tp", "sys_enter_pwrite64"),
			},
		}
	},
	Outputs: func(c *config) []render.Describer { return []render.Describer{records()} },
	Run:     run,
})

// probe: the vfs function sees every read (or write); without fentry and kprobes, each system
// call that calls it is a probe of its own. Where fentry or kprobes work, the probes of one
// function choose the same program, which is attached once.
func probe(what, op, fn, tpProg, tp string) tracer.Probe {
	return tracer.Probe{What: what, Hooks: []tracer.Hook{
		{Prog: op + "_fentry", Kind: tracer.Fentry, Target: fn},
		{Prog: op + "_kprobe", Kind: tracer.Kprobe, Target: fn},
		{Prog: tpProg, Kind: tracer.Tracepoint, Target: "syscalls:" + tp},
	}}
}

var typeNames = map[byte]string{'R': "R", 'S': "S", 'O': "O"}

// records declares the table: TID COMM READS WRITES R_Kb W_Kb T FILE. JSON carries bytes
// where the text shows kilobytes.
func records() *render.Records[stat] {
	return render.NewRecords(render.KindTable,
		render.Uint("TID", -7, "tid", func(s *stat) uint64 { return uint64(s.Tid) }),
		render.JSONOnly(render.Uint("PID", 0, "pid", func(s *stat) uint64 { return uint64(s.Pid) })),
		render.Text("COMM", -16, "comm", func(s *stat) []byte { return filter.CommBytes(s.Comm[:]) }),
		render.Uint("READS", -6, "reads", func(s *stat) uint64 { return s.Reads }),
		render.Uint("WRITES", -6, "writes", func(s *stat) uint64 { return s.Writes }),
		render.Uint("R_Kb", -7, "read_kb", func(s *stat) uint64 { return s.ReadBytes / 1024 }).
			JSONUint("read_bytes", func(s *stat) uint64 { return s.ReadBytes }),
		render.Uint("W_Kb", -7, "write_kb", func(s *stat) uint64 { return s.WriteBytes / 1024 }).
			JSONUint("write_bytes", func(s *stat) uint64 { return s.WriteBytes }),
		render.Str("T", 1, "file_type", func(s *stat) string { return typeNames[s.Type] }),
		render.Text("FILE", 0, "file", func(s *stat) []byte { return filter.CommBytes(s.Name[:]) }),
	)
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	if env.Verbose && (t.Uses("read_tp") || t.Uses("write_tp")) {
		env.Warnf("filetop: through the read/write/pread64/pwrite64 system-call tracepoints (no fentry or kprobe on vfs_read/vfs_write): " +
			"the kernel's own vfs_read/vfs_write calls (splice, sendfile, exec) are not seen")
	}
	rows := records().To(env.Out)
	files := t.Map("files")
	return app.Report(env, c.Every, "", func() error {
		stats, err := bpfmap.Entries[key, stat](files, true)
		if err != nil {
			return err
		}
		loadavg.Heading(env.Out, c.NoClear, time.Now())
		rows.Header()
		sortStats(stats, c.Sort)
		for i := range stats[:min(len(stats), c.Rows)] {
			rows.Write(&stats[i].Value)
		}
		env.Out.Printf("\n")
		return nil
	})
}

// sortStats orders the rows as -s asks, largest first: by calls, by bytes, or by the sum of
// all four counts (libbpf-tools' "all").
func sortStats(stats []bpfmap.Entry[key, stat], by string) {
	value := func(s *stat) uint64 {
		switch by {
		case "reads":
			return s.Reads
		case "writes":
			return s.Writes
		case "rbytes":
			return s.ReadBytes
		case "wbytes":
			return s.WriteBytes
		}
		return s.Reads + s.Writes + s.ReadBytes + s.WriteBytes
	}
	slices.SortStableFunc(stats, func(a, b bpfmap.Entry[key, stat]) int {
		return cmp.Compare(value(&b.Value), value(&a.Value))
	})
}
