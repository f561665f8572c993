// Package stacks is what the stack tools (profile, offcputime, wakeuptime) share: their
// options (the stack map's size, -U/-K/-d/-f, -m/-M) and the stack map they size, turning a
// key's stack ids into symbolized kernel and user stacks, the header line, and printing a
// report the way libbpf-tools do, multi-line with the value under each stack or folded for
// flame graphs, or as JSON "stack" lines.
//
//	stacks.StorageOptions(&c.Storage)           // in Flags: --stack-storage-size, --perf-max-stack-depth
//	c.Storage.Configure(&spec)                  // in Spec: sizes the object's "stackmap"
//	r := stacks.NewReader(t.Map("stackmap"), syms.New())
//	kernel, user := r.Stacks(kernID, userID, tgid)
//	entries = append(entries, stacks.Entry{Comm: comm, PID: pid, Kernel: kernel, User: user, Value: n})
//	out := stacks.Output{ValueKey: "count", LargestFirst: true}
//	out.Report(env.Out, &stacks.Style{Folded: c.Mode.Folded}, r, entries)
//
// The BPF side includes bpf/include/stacks.bpf.h, which declares the stack map and NO_STACK.
package stacks

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unsafe"

	bpf "github.com/aquasecurity/libbpfgo"

	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/syms"
)

// Stack ids besides real ones, as BPF programs store them in their keys.
const (
	// NoStack: the program did not take this stack (-U, -K, a kernel thread's user stack);
	// NO_STACK in stacks.bpf.h.
	NoStack = -1
	// bpf_get_stackid's -EFAULT: there is no such stack where the program ran, as the kernel
	// stack of a sample taken in user mode.
	errFault = -14
	// bpf_get_stackid's -EEXIST: another stack holds the slot; a larger map would keep both.
	errExist = -17
)

// State is what an entry holds for one side, kernel or user.
type State uint8

const (
	Absent  State = iota // not taken, or not there: nothing is printed
	Present              // Frames hold the stack
	Missed               // taken but lost (map full, hash collision): "[Missed ... Stack]"
)

// Stack is one side of an entry, innermost frame first.
type Stack struct {
	State  State
	Frames []syms.Symbol
}

// Entry is one line (folded) or block (multi-line) of a stack tool's output.
type Entry struct {
	Comm   string
	PID    uint32 // printed after the comm
	Target string // wakeuptime: the task woken up (Comm is the waker); "" elsewhere
	Kernel Stack
	User   Stack
	Value  uint64 // count or microseconds
}

// Symbolizer is what a Reader needs of *syms.Symbolizer.
type Symbolizer interface {
	PrepareKernel(addrs []uint64)
	Kernel(addr uint64) syms.Symbol
	KernelStack(ips []uint64) []syms.Symbol
	UserStack(pid uint32, ips []uint64) []syms.Symbol
}

// Reader turns stack ids of one stack map into symbolized stacks and counts what it could
// not show.
type Reader struct {
	lookup func(id int32) ([]uint64, bool)
	ids    func() []int32 // every id in the map, for the one pass that names kernel functions
	syms   Symbolizer
	named  bool
	// KeepTracerFrames keeps leading bpf_prog_*/bpf_trace_run*/__traceiter_* frames, which
	// tracepoint programs see above the traced function but a sample taken by a perf event
	// shows only when it caught a BPF program running.
	KeepTracerFrames bool

	missed    int
	collision bool
}

// NewReader reads stacks from m, a BPF_MAP_TYPE_STACK_TRACE map.
func NewReader(m *bpf.BPFMap, s Symbolizer) *Reader {
	depth := int(m.ValueSize()) / 8
	r := NewReaderFunc(func(id int32) ([]uint64, bool) {
		b, err := m.GetValue(unsafe.Pointer(&id))
		if err != nil || len(b) < depth*8 {
			return nil, false
		}
		return unsafe.Slice((*uint64)(unsafe.Pointer(&b[0])), depth), true
	}, s)
	r.ids = func() []int32 {
		ids, _ := bpfmap.Keys[int32](m)
		return ids
	}
	return r
}

// nameKernelFunctions hands the symbolizer every kernel address of the map at once, before
// the first kernel stack is symbolized: the kernel's function names are read in one pass.
func (r *Reader) nameKernelFunctions() {
	if r.named || r.ids == nil {
		return
	}
	r.named = true
	var addrs []uint64
	for _, id := range r.ids() {
		if ips, ok := r.lookup(id); ok {
			for _, ip := range ips {
				if ip == 0 {
					break
				}
				addrs = append(addrs, ip)
			}
		}
	}
	r.syms.PrepareKernel(addrs)
}

// NewReaderFunc reads stacks through lookup, which returns the addresses stored under an id
// (zero-terminated when shorter than the map's depth).
func NewReaderFunc(lookup func(id int32) ([]uint64, bool), s Symbolizer) *Reader {
	return &Reader{lookup: lookup, syms: s}
}

// Stacks resolves a key's two stack ids; the user stack belongs to process tgid.
func (r *Reader) Stacks(kernID, userID int32, tgid uint32) (kernel, user Stack) {
	return r.Kernel(kernID), r.User(userID, tgid)
}

// Kernel resolves a kernel stack id.
func (r *Reader) Kernel(id int32) Stack {
	r.nameKernelFunctions()
	ips, st := r.read(id)
	if st != Present {
		return Stack{State: st}
	}
	if !r.KeepTracerFrames {
		return Stack{State: Present, Frames: r.syms.KernelStack(ips)}
	}
	frames := make([]syms.Symbol, 0, len(ips))
	r.syms.PrepareKernel(ips)
	for _, ip := range ips {
		if ip == 0 {
			break
		}
		frames = append(frames, r.syms.Kernel(ip))
	}
	return Stack{State: Present, Frames: frames}
}

// User resolves a user stack id of process tgid.
func (r *Reader) User(id int32, tgid uint32) Stack {
	ips, st := r.read(id)
	if st != Present {
		return Stack{State: st}
	}
	return Stack{State: Present, Frames: r.syms.UserStack(tgid, ips)}
}

func (r *Reader) read(id int32) ([]uint64, State) {
	if id == NoStack || id == errFault {
		return nil, Absent
	}
	if id >= 0 {
		if ips, ok := r.lookup(id); ok {
			return ips, Present
		}
	}
	r.missed++
	r.collision = r.collision || id == errExist
	return nil, Missed
}

// Missed returns how many stacks could not be shown so far, and whether a hash collision lost
// one (then a larger --stack-storage-size helps).
func (r *Reader) Missed() (n int, collision bool) { return r.missed, r.collision }

// Merge adds up entries that print alike without -v: same task, same function names. BPF
// keys stacks by exact addresses, so samples at different instructions of one function
// would otherwise print as separate, identical-looking stacks.
func Merge(entries []Entry) []Entry {
	index := make(map[string]int, len(entries))
	out := entries[:0]
	var b strings.Builder
	for _, e := range entries {
		b.Reset()
		fmt.Fprintf(&b, "%s\x00%d\x00%s", e.Comm, e.PID, e.Target)
		for _, st := range []*Stack{&e.Kernel, &e.User} {
			fmt.Fprintf(&b, "\x00%d", st.State)
			for _, f := range st.Frames {
				b.WriteString("\x01" + f.String())
			}
		}
		if i, ok := index[b.String()]; ok {
			out[i].Value += e.Value
			continue
		}
		index[b.String()] = len(out)
		out = append(out, e)
	}
	return out
}

// Sort orders entries by value, the largest first when descending (profile) or last (the
// Python tools' order, which leaves the largest on screen); ties by comm, then target, then
// pid, so output does not follow hash order.
func Sort(entries []Entry, descending bool) {
	slices.SortStableFunc(entries, func(a, b Entry) int {
		c := cmp.Compare(a.Value, b.Value)
		if descending {
			c = -c
		}
		if c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(a.Comm, b.Comm), cmp.Compare(a.Target, b.Target), cmp.Compare(a.PID, b.PID))
	})
}
