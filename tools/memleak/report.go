package memleak

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/stacks"
	"github.com/bpfutils/bpfutils/pkg/syms"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// Stack ids bpf_get_stackid returns besides real ones.
const (
	errFault = -14 // no stack there: not a loss
	errExist = -17 // the slot holds another stack: a larger --stack-storage-size helps
)

// group is what a report shows per stack: the outstanding bytes and allocations.
type group struct {
	stackID int32
	tgid    uint32
	size    uint64
	count   uint64
	allocs  []outstanding // -a
}

type outstanding struct{ address, size uint64 }

type reporter struct {
	env     *app.Env
	c       *config
	t       *tracer.Tracer
	pid     int
	syms    *syms.Symbolizer
	reports uint64
	dropped [drops]uint64
}

func newReporter(env *app.Env, c *config, t *tracer.Tracer, pid int) *reporter {
	return &reporter{env: env, c: c, t: t, pid: pid, syms: stacks.NewSymbolizer(c.kernelMode(), env.Warnf)}
}

func (r *reporter) report() error {
	var groups []group
	var missing, collisions uint64
	var err error
	if r.c.Combined {
		groups, missing, collisions, err = r.combinedGroups()
	} else {
		groups, missing, collisions, err = r.outstandingGroups()
	}
	if err != nil {
		return err
	}
	slices.SortFunc(groups, func(a, b group) int {
		return cmp.Or(cmp.Compare(b.size, a.size), cmp.Compare(b.count, a.count), cmp.Compare(a.stackID, b.stackID))
	})
	if len(groups) > r.c.Top {
		groups = groups[:r.c.Top]
	}
	r.reports++
	out := r.env.Out
	now := out.Now()
	out.Printf("[%d:%d:%d] Top %d stacks with outstanding allocations:\n", now.Hour(), now.Minute(), now.Second(), len(groups))
	reader := stacks.NewReader(r.t.Map("stackmap"), r.syms)
	for i := range groups {
		r.write(out, reader, &groups[i])
	}
	if err := out.Flush(); err != nil {
		return err
	}
	if missing > 0 {
		out.Warnf("WARNING: %d stack traces could not be displayed due to memory shortage, including %d caused by hash collisions. Consider increasing --stack-storage-size.",
			missing, collisions)
	}
	r.reportDrops()
	return nil
}

// outstandingGroups adds up the allocations in the allocs map by stack, leaving out those
// younger than -o; allocations whose stack was lost are counted apart.
func (r *reporter) outstandingGroups() (groups []group, missing, collisions uint64, err error) {
	entries, err := bpfmap.EntriesBatch[uint64, alloc](r.t.Map("allocs"))
	if err != nil {
		return nil, 0, 0, err
	}
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	cutoff := ts.Nano() - r.c.MinAge.Nanoseconds()
	index := map[int32]int{}
	for _, e := range entries {
		if int64(e.Value.TimestampNs) > cutoff {
			continue
		}
		if id := e.Value.StackId; id < 0 {
			if id != errFault {
				missing++
			}
			if id == errExist {
				collisions++
			}
			continue
		}
		i, ok := index[e.Value.StackId]
		if !ok {
			i = len(groups)
			index[e.Value.StackId] = i
			groups = append(groups, group{stackID: e.Value.StackId, tgid: e.Value.Tgid})
		}
		g := &groups[i]
		g.size += e.Value.Size
		g.count++
		if r.c.ShowAllocs {
			g.allocs = append(g.allocs, outstanding{e.Key, e.Value.Size})
		}
	}
	for i := range groups {
		slices.SortFunc(groups[i].allocs, func(a, b outstanding) int { return cmp.Compare(a.address, b.address) })
	}
	return groups, missing, collisions, nil
}

// combinedGroups reads -C's per-stack totals, kept in the kernel.
func (r *reporter) combinedGroups() (groups []group, missing, collisions uint64, err error) {
	entries, err := bpfmap.Entries[int64, combined](r.t.Map("combined"), false)
	if err != nil {
		return nil, 0, 0, err
	}
	for _, e := range entries {
		if e.Value.Count == 0 {
			continue
		}
		if id := e.Key; id < 0 {
			if id != errFault {
				missing += e.Value.Count
			}
			if id == errExist {
				collisions += e.Value.Count
			}
			continue
		}
		groups = append(groups, group{stackID: int32(e.Key), tgid: uint32(r.pid), size: e.Value.TotalSize, count: e.Value.Count})
	}
	return groups, missing, collisions, nil
}

func (r *reporter) stack(reader *stacks.Reader, g *group) stacks.Stack {
	if r.c.kernelMode() {
		return reader.Kernel(g.stackID)
	}
	pid := g.tgid
	if pid == 0 {
		pid = uint32(r.pid)
	}
	return reader.User(g.stackID, pid)
}

func (r *reporter) write(out *render.Sink, reader *stacks.Reader, g *group) {
	st := r.stack(reader, g)
	kernel := r.c.kernelMode()
	if out.JSON() {
		j := out.Begin(render.KindStack).Uint("report", r.reports).Uint("bytes", g.size).Uint("allocations", g.count)
		if !kernel {
			j.Uint("pid", uint64(g.tgid))
		}
		if r.c.ShowAllocs {
			j.Array("allocs")
			for _, a := range g.allocs {
				j.Open().Str("address", "0x"+strconv.FormatUint(a.address, 16)).Uint("size", a.size).Close()
			}
			j.CloseArray()
		}
		side := "user"
		if kernel {
			side = "kernel"
		}
		st.WriteJSON(j, side, kernel)
		out.Emit()
		return
	}
	w := out.Writer()
	fmt.Fprintf(w, "%d bytes in %d allocations from stack\n", g.size, g.count)
	for _, a := range g.allocs {
		fmt.Fprintf(w, "\taddr = %#x size = %d\n", a.address, a.size)
	}
	for i, f := range st.Frames {
		writeFrame(w, i, f, kernel, out.Raw)
	}
}

// writeFrame prints a frame as libbpf-tools memleak: "\t0 [<addr>] name+0xoff", for user
// frames followed by " [module]"; "<null sym>" where nothing is known.
func writeFrame(w io.Writer, i int, f syms.Symbol, kernel, raw bool) {
	text := func(s string) string {
		if raw {
			return s
		}
		return render.Escape(s)
	}
	fmt.Fprintf(w, "\t%d [<%016x>]", i, f.Addr)
	switch {
	case kernel && f.Known:
		fmt.Fprintf(w, " %s+0x%x\n", text(f.Name), f.Offset)
	case !kernel && f.Path != "":
		if f.Known {
			fmt.Fprintf(w, " %s+0x%x", text(f.Name), f.Offset)
		}
		fmt.Fprintf(w, " [%s]\n", text(f.Path))
	default:
		io.WriteString(w, " <null sym>\n")
	}
}

// reportDrops says once per report how many allocations went untracked since the last one.
func (r *reporter) reportDrops() {
	m := r.t.Map("drops")
	why := [drops]struct{ reason, text string }{
		dropAllocs:   {"allocs map full", "allocations not tracked: more than %d outstanding at once"},
		dropCombined: {"combined map full", "allocations not counted by -C: more than %d stacks"},
		dropEntries:  {"calls in flight", "allocator calls not tracked: too many threads in allocator calls at once"},
	}
	limits := [drops]int{dropAllocs: maxAllocs, dropCombined: maxCombined}
	for i := range uint32(drops) {
		n, ok := bpfmap.Lookup[uint64](m, &i)
		if !ok || n <= r.dropped[i] {
			continue
		}
		delta := n - r.dropped[i]
		r.dropped[i] = n
		text := why[i].text
		if limits[i] > 0 {
			text = fmt.Sprintf(text, limits[i])
		}
		r.env.Out.LostWhy(delta, why[i].reason, fmt.Sprintf("WARNING: %d %s", delta, text))
	}
}

// output declares memleak's JSON lines, one per stack of each report.
type output struct{}

func (output) Describe() render.Shape {
	return render.Shape{Kind: render.KindStack, Fields: []render.Field{
		{Key: "report", Type: "integer", Note: "which report (1, 2, ...) of the run the line belongs to"},
		{Key: "bytes", Type: "integer", Note: "bytes allocated from this stack and not freed yet"},
		{Key: "allocations", Type: "integer", Note: "allocations from this stack not freed yet"},
		{Key: "pid", Type: "integer", Note: "user mode (-p, -c): the traced process"},
		{Key: "allocs", Type: "array", Note: "-a: {address, size} of each outstanding allocation (address a hex string; a page frame number for whole pages)"},
		{Key: "kernel", Type: "array", Note: "kernel mode: frames innermost first: {address, symbol, offset, module}; null and kernel_missed: true when lost"},
		{Key: "user", Type: "array", Note: "user mode: frames innermost first: {address, symbol, offset, module}; null and user_missed: true when lost"},
	}}
}
