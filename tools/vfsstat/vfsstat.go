// Package vfsstat counts VFS calls (read, write, fsync, open, create, unlink, mkdir, rmdir)
// and prints their rates per second.
package vfsstat

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// numStats is S_MAXSTAT of bpf/vfsstat.h.
const numStats = 8

// counts mirrors struct vfsstat_counts.
type counts struct {
	N [numStats]uint64
}

// config is vfsstat's command line: interval (default 1 s) and count (0: until Ctrl-C).
type config struct {
	Interval time.Duration
	Count    int
}

// stat is one counter: the function counted, its column, and the system calls counted in its
// place when no fentry or kprobe attaches (with the program, and the global it sets for
// programs that serve two counters).
type stat struct {
	fn, column, key string
	calls           []call
}

type call struct{ name, prog, sets string }

// hooked is the kernel function whose calls count as st.fn's: fsync(2) reaches
// vfs_fsync_range through a copy of vfs_fsync the compiler inlined, which an fentry or kprobe
// on vfs_fsync never sees.
func (st stat) hooked() string {
	if st.fn == "vfs_fsync" {
		return "vfs_fsync_range"
	}
	return st.fn
}

var stats = [numStats]stat{
	{"vfs_read", "READ", "read", []call{{"sys_enter_read", "sys_read", ""}, {"sys_enter_pread64", "sys_read", ""}}},
	{"vfs_write", "WRITE", "write", []call{{"sys_enter_write", "sys_write", ""}, {"sys_enter_pwrite64", "sys_write", ""}}},
	{"vfs_fsync", "FSYNC", "fsync", []call{{"sys_enter_fsync", "sys_fsync", ""}, {"sys_enter_fdatasync", "sys_fsync", ""}}},
	{"vfs_open", "OPEN", "open", []call{{"sys_exit_openat", "sys_open_exit", ""}, {"sys_exit_open", "sys_open_exit", ""},
		{"sys_exit_openat2", "sys_open_exit", ""}, {"sys_exit_creat", "sys_open_exit", ""}}},
	// Only mknod(2) of a regular file calls vfs_create(): an open with O_CREAT has the
	// directory create the file.
	{"vfs_create", "CREATE", "create", []call{{"sys_exit_mknodat", "sys_mknodat_exit", ""}, {"sys_exit_mknod", "sys_mknod_exit", ""}}},
	{"vfs_unlink", "UNLINK", "unlink", []call{{"sys_exit_unlinkat", "sys_unlinkat_exit", "tp_unlink"}, {"sys_exit_unlink", "sys_unlink_exit", ""}}},
	{"vfs_mkdir", "MKDIR", "mkdir", []call{{"sys_exit_mkdirat", "sys_mkdir_exit", ""}, {"sys_exit_mkdir", "sys_mkdir_exit", ""}}},
	{"vfs_rmdir", "RMDIR", "rmdir", []call{{"sys_exit_unlinkat", "sys_unlinkat_exit", "tp_rmdir"}, {"sys_exit_rmdir", "sys_rmdir_exit", ""}}},
}

var Tool = app.Define(app.Def[config]{
	Name:      "vfsstat",
	Usage:     "Count some VFS calls.",
	ArgsUsage: "[interval [count]]",
	Object:    "vfsstat",
	// The system-call tracepoints: their ids are read in tracefs.
	Caps:    []string{"CAP_DAC_READ_SEARCH"},
	Layouts: map[string]any{"vfsstat_counts": counts{}},
	Consts:  map[string]int64{"S_READ": 0, "S_RMDIR": 7, "S_MAXSTAT": numStats},
	Examples: `
    vfsstat      # interval one second
    vfsstat 5 3  # interval five seconds, three output lines`,
	Args: func(c *config) []app.Arg {
		c.Interval = time.Second
		return []app.Arg{
			{Name: "interval", Set: func(s string) error {
				n, err := strconv.ParseInt(s, 10, 64)
				if err != nil || n <= 0 || n > math.MaxInt32 {
					return fmt.Errorf("invalid interval: %s", s)
				}
				c.Interval = time.Duration(n) * time.Second
				return nil
			}},
			{Name: "count", Set: func(s string) error {
				n, err := strconv.ParseInt(s, 10, 64)
				// libbpf-tools takes 0 for "no limit", which is also what no count means.
				if err != nil || n <= 0 || n > math.MaxInt32 {
					return fmt.Errorf("invalid count: %s", s)
				}
				c.Count = int(n)
				return nil
			}},
		}
	},
	Spec: func(c *config) tracer.Spec {
		var probes []tracer.Probe
		for _, st := range stats {
			for i, sc := range st.calls {
				probes = append(probes, tracer.Probe{
					What:     fmt.Sprintf("%s (%s)", st.fn, sc.name),
					Optional: i > 0,
					Hooks: []tracer.Hook{
						{Prog: st.fn + "_fentry", Kind: tracer.Fentry, Target: st.hooked()},
						{Prog: st.fn + "_kprobe", Kind: tracer.Kprobe, Target: st.hooked()},
						{Prog: sc.prog, Kind: tracer.Tracepoint, Target: "syscalls:" + sc.name, Sets: sc.sets},
					},
				})
			}
		}
		return tracer.Spec{Probes: probes}
	},
	Outputs: func(c *config) []render.Describer { return []render.Describer{records(c)} },
	Run:     run,
})

// row is one interval's rates.
type row struct {
	Rates [numStats]uint64
}

// records declares vfsstat's lines: "%-8s: " and eight " %8llu" under "%-8s  " and eight
// " %6s/s"; the time column is ten wide with its colon, so that the columns' one-space
// separators fall where libbpf-tools' formats put them.
func records(c *config) *render.Records[row] {
	cols := []render.Column[row]{
		render.Custom("TIME", -10, func(l *render.Line, _ *row) { l.Clock(time.Now(), false).Byte(':') }),
	}
	for i, st := range stats {
		cols = append(cols, render.Uint(st.column+"/s", 8, st.key+"_per_sec", func(r *row) uint64 { return r.Rates[i] }))
	}
	return render.NewRecords(render.KindTable, cols...)
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	if env.Verbose {
		for _, st := range stats {
			if t.Uses(st.calls[0].prog) {
				env.Warnf("note: counting system calls instead of VFS calls (no fentry/kprobe on %s ...): read(2)/pread64(2) and write(2)/pwrite64(2) calls, successful opens, "+
					"mknod(2) of regular files (CREATE, as vfs_create), successful unlink, mkdir and rmdir calls; the kernel's own VFS calls (exec, splice, sendfile, nfsd ...) are not seen", st.fn)
				break
			}
		}
	}
	recs := records(c).To(env.Out)
	m := t.Map("counts")
	read := func() ([numStats]uint64, error) {
		var total [numStats]uint64
		zero := uint32(0)
		perCPU, err := bpfmap.PerCPU[counts](m, &zero)
		for _, c := range perCPU {
			for i, n := range c.N {
				total[i] += n
			}
		}
		return total, err
	}
	last, err := read()
	if err != nil {
		return err
	}
	if err := env.Out.Start(""); err != nil {
		return err
	}
	recs.Header()
	if err := env.Out.Flush(); err != nil {
		return err
	}
	tick := time.NewTicker(c.Interval)
	defer tick.Stop()
	secs := uint64(c.Interval / time.Second)
	// As libbpf-tools: a report per full interval; Ctrl-C ends the run without one.
	for n := 0; c.Count == 0 || n < c.Count; n++ {
		select {
		case <-env.Ctx.Done():
			return nil
		case <-tick.C:
		}
		now, err := read()
		if err != nil {
			return err
		}
		var r row
		for i := range now {
			r.Rates[i] = (now[i] - last[i]) / secs
		}
		last = now
		recs.Write(&r)
		if err := env.Out.Flush(); err != nil {
			return err
		}
	}
	return nil
}
