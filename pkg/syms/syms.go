package syms

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Symbol is the result of one lookup.
type Symbol struct {
	Addr   uint64 // the address looked up
	Name   string // function name (demangled); "" when unknown
	Offset uint64 // Addr minus the function's start
	Known  bool   // Name and Offset are valid

	// Kernel only: the module holding the symbol ("" for vmlinux, "bpf" for BPF programs).
	Module string

	// User only: the file mapped at Addr as /proc/PID/maps names it ("[vdso]", "" for
	// anonymous memory), and ObjAddr, Addr translated to the file's link-time virtual
	// address (what addr2line and nm use). Path is set even when Known is false.
	Path    string
	ObjAddr uint64

	kernel bool
}

// String is the frame as stack tools print it by default: the name, or "[unknown]".
func (s Symbol) String() string {
	if s.Known {
		return s.Name
	}
	return "[unknown]"
}

// Verbose is the frame as libbpf-tools' stack tools print it with -v (after their "#N "
// index): kernel "0xADDR name+0xOFF", user "0x%016x name+0xOFF (path+0xOBJADDR)"; unknown
// frames show "[unknown]" (kernel) or the address and mapping only (user).
func (s Symbol) Verbose() string {
	if s.kernel {
		if !s.Known {
			return fmt.Sprintf("0x%x [unknown]", s.Addr)
		}
		return fmt.Sprintf("0x%x %s+0x%x", s.Addr, s.Name, s.Offset)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "0x%016x", s.Addr)
	if s.Known {
		fmt.Fprintf(&b, " %s+0x%x", s.Name, s.Offset)
	}
	if s.Path != "" {
		fmt.Fprintf(&b, " (%s+0x%x)", s.Path, s.ObjAddr)
	}
	return b.String()
}

// Options tune a Symbolizer; the zero value gives the defaults New uses.
type Options struct {
	// DebugDirs are the roots searched for separate debug files, in order:
	// DIR/.build-id/xx/yyyy.debug and DIR/<binary's directory>/<debuglink>. Each is tried
	// inside the process's root (/proc/PID/root) first, then on the host.
	// Default: /usr/lib/debug.
	DebugDirs []string
	// MaxTableBytes bounds the memory held by user symbol tables; least recently used
	// tables are dropped (and re-read on demand) beyond it. Default 256 MiB.
	MaxTableBytes int64
	// MaxProcs bounds the number of processes whose maps are cached. Default 4096.
	MaxProcs int
	// Kallsyms is the kernel symbol file. Default /proc/kallsyms.
	Kallsyms string
	// NoDemangle keeps C++ and Rust names mangled.
	NoDemangle bool
	// ProcRoot is where procfs is mounted. Default /proc.
	ProcRoot string
	// Denied, when set, is told when a mapped file's symbols cannot be read for want of a
	// capability, once per capability, with the first such file: a tool run with less than root
	// then says which capability its unknown frames need.
	Denied func(path, capability string)
}

// WarnDenied is an Options.Denied that says in one line, through warn, which capability the
// user symbols of path (and of files like it) need.
func WarnDenied(warn func(format string, args ...any)) func(path, capability string) {
	return func(path, capability string) {
		warn("user symbols unavailable: permission denied on %s (needs %s)", path, capability)
	}
}

// Symbolizer turns kernel and user addresses into function names. It caches kernel symbols
// once, each process's executable mappings, and each mapped ELF file's symbols keyed by
// device and inode, so many processes sharing libc cost one table. It is safe for concurrent
// use (lookups are serialized).
type Symbolizer struct {
	opts Options

	mu       sync.Mutex
	kernOnce sync.Once
	kern     atomic.Pointer[kernelTable]
	kernErr  error
	// kernReread is when kallsyms was last read again for an address past the kernel
	// image (guarded by mu); zero until the first such read.
	kernReread time.Time
	procs      map[uint32]*process
	objs       map[objKey]*object
	tick       uint64
	usedBytes  int64
	loaded     int // objects holding a table
	// deniedCaps are the capabilities Options.Denied was told about.
	deniedCaps map[string]bool
}

type process struct {
	maps      []mapping
	err       error // reading maps failed (process gone)
	refreshed time.Time
	lastUse   uint64
}

// mapsRefreshInterval limits re-reading a process's maps when an address falls outside all
// known mappings (dlopen, JIT): at most once per interval per process.
const mapsRefreshInterval = time.Second

// New returns a Symbolizer with default options.
func New() *Symbolizer { return NewWithOptions(Options{}) }

// NewWithOptions returns a Symbolizer; zero fields of opts take their defaults.
func NewWithOptions(opts Options) *Symbolizer {
	if opts.DebugDirs == nil {
		opts.DebugDirs = []string{"/usr/lib/debug"}
	}
	if opts.MaxTableBytes <= 0 {
		opts.MaxTableBytes = 256 << 20
	}
	if opts.MaxProcs <= 0 {
		opts.MaxProcs = 4096
	}
	if opts.Kallsyms == "" {
		opts.Kallsyms = "/proc/kallsyms"
	}
	if opts.ProcRoot == "" {
		opts.ProcRoot = "/proc"
	}
	return &Symbolizer{
		opts:  opts,
		procs: make(map[uint32]*process),
		objs:  make(map[objKey]*object),
	}
}

// LoadKernel reads kallsyms now (Kernel does it on first use) and reports why kernel
// symbols are unavailable, so a tool can say so once instead of printing unknown frames.
func (s *Symbolizer) LoadKernel() error {
	s.kernOnce.Do(func() {
		var t *kernelTable
		t, s.kernErr = loadKallsyms(s.opts.Kallsyms)
		s.kern.Store(t)
	})
	return s.kernErr
}

// kernRereadInterval limits re-reading kallsyms for addresses it did not cover.
const kernRereadInterval = time.Second

// pastImage tells whether a lookup fell on a marker of the end of the kernel image's text:
// the address is past vmlinux, in code kallsyms did not list when it was read (most often the
// tool's own BPF programs, loaded after the symbols).
func pastImage(name, module string) bool {
	return module == "" && (name == "_etext" || name == "_einittext")
}

// rereadKernel reads kallsyms again, at most once per kernRereadInterval, so that BPF
// programs and modules loaded since get their names.
func (s *Symbolizer) rereadKernel() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.kernReread.IsZero() && time.Since(s.kernReread) < kernRereadInterval {
		return
	}
	s.kernReread = time.Now()
	if t, err := loadKallsyms(s.opts.Kallsyms); err == nil {
		s.kern.Store(t)
	}
}

// Kernel symbolizes a kernel address: the kallsyms symbol with the largest address <= addr.
// An address past the kernel image that kallsyms does not cover is unknown, not an offset
// from the image's last symbol.
func (s *Symbolizer) Kernel(addr uint64) Symbol {
	sym := Symbol{Addr: addr, kernel: true}
	if s.LoadKernel() != nil {
		return sym
	}
	name, start, mod, ok := s.kern.Load().lookup(addr)
	if !ok && s.kern.Load().isStale() {
		s.reloadKernel()
		name, start, mod, ok = s.kern.Load().lookup(addr)
	}
	if ok && pastImage(name, mod) {
		s.rereadKernel()
		name, start, mod, ok = s.kern.Load().lookup(addr)
		ok = ok && !pastImage(name, mod)
	}
	if ok {
		sym.Name, sym.Offset, sym.Module, sym.Known = name, addr-start, mod, true
	}
	return sym
}

// PrepareKernel reads the names of the kernel functions holding addrs, all in one pass over
// kallsyms (addresses outside the kernel are ignored). Kernel works without it, a pass per
// new name: a tool about to symbolize many stacks hands their addresses here first.
func (s *Symbolizer) PrepareKernel(addrs []uint64) {
	if s.LoadKernel() != nil {
		return
	}
	kernel := addrs[:0:0]
	for _, a := range addrs {
		if a >= kernelSpace {
			kernel = append(kernel, a)
		}
	}
	if len(kernel) == 0 {
		return
	}
	s.kern.Load().prepare(kernel)
	if s.kern.Load().isStale() {
		s.reloadKernel()
		s.kern.Load().prepare(kernel)
	}
}

// kernelSpace is where x86-64's and arm64's kernel addresses begin.
const kernelSpace = 0xffff000000000000

// reloadKernel reads kallsyms again because it changed under the table.
func (s *Symbolizer) reloadKernel() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.kern.Load().isStale() {
		return
	}
	if t, err := loadKallsyms(s.opts.Kallsyms); err == nil {
		s.kern.Store(t)
	}
}

// KernelAddress returns the address of a kernel function by name (a linear scan of
// kallsyms: for setup, not for hot paths).
func (s *Symbolizer) KernelAddress(name string) (uint64, bool) {
	if s.LoadKernel() != nil {
		return 0, false
	}
	return s.kern.Load().address(name)
}

// User symbolizes an address in process pid's address space.
func (s *Symbolizer) User(pid uint32, addr uint64) Symbol {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tick++
	return s.user(pid, addr)
}

func (s *Symbolizer) user(pid uint32, addr uint64) Symbol {
	sym := Symbol{Addr: addr}
	p := s.proc(pid)
	i := findMapping(p.maps, addr)
	if i < 0 && time.Since(p.refreshed) >= mapsRefreshInterval {
		s.readMaps(pid, p)
		i = findMapping(p.maps, addr)
	}
	if i < 0 {
		return sym
	}
	m := &p.maps[i]
	sym.Path = m.path
	if !m.objDone {
		m.objDone = true
		m.obj = s.resolve(pid, m)
	}
	o := m.obj
	if o == nil {
		sym.ObjAddr = addr - m.start + m.off
		return sym
	}
	vaddr, ok := o.info.FileToVaddr(addr - m.start + m.off)
	if !ok {
		sym.ObjAddr = addr - m.start + m.off
		return sym
	}
	sym.ObjAddr = vaddr
	t := s.table(o, pid, m)
	idx, name, start, ok := t.Lookup(vaddr)
	if !ok {
		return sym
	}
	if !s.opts.NoDemangle {
		name = s.demangle(o, idx, name)
	}
	sym.Name, sym.Offset, sym.Known = name, vaddr-start, true
	return sym
}

// proc returns pid's cached maps, reading them the first time.
func (s *Symbolizer) proc(pid uint32) *process {
	p := s.procs[pid]
	if p == nil {
		if len(s.procs) >= s.opts.MaxProcs {
			s.evictProc()
		}
		p = &process{}
		s.procs[pid] = p
		s.readMaps(pid, p)
	}
	p.lastUse = s.tick
	return p
}

func (s *Symbolizer) readMaps(pid uint32, p *process) {
	p.refreshed = time.Now()
	ms, err := readProcMaps(s.opts.ProcRoot, pid)
	if err != nil {
		p.err = err
		return
	}
	// Keep resolved objects of mappings that did not change.
	old := p.maps
	for i := range ms {
		if j := findMapping(old, ms[i].start); j >= 0 {
			o := &old[j]
			if o.start == ms[i].start && o.end == ms[i].end && o.off == ms[i].off &&
				o.dev == ms[i].dev && o.ino == ms[i].ino && o.path == ms[i].path {
				ms[i].obj, ms[i].objDone = o.obj, o.objDone
			}
		}
	}
	p.maps, p.err = ms, nil
}

func (s *Symbolizer) evictProc() {
	var victim uint32
	oldest := ^uint64(0)
	for pid, p := range s.procs {
		if p.lastUse < oldest {
			victim, oldest = pid, p.lastUse
		}
	}
	delete(s.procs, victim)
}

// ForgetPid drops pid's cached maps (call it when the process exits, or before symbolizing a
// recycled pid). Symbol tables of its files stay cached for other processes.
func (s *Symbolizer) ForgetPid(pid uint32) {
	s.mu.Lock()
	delete(s.procs, pid)
	s.mu.Unlock()
}

// ProcErr reports why pid's maps could not be read (typically: the process has exited),
// nil if they were read. It reads them if they are not cached yet.
func (s *Symbolizer) ProcErr(pid uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc(pid).err
}

// KernelStack symbolizes a kernel stack as read from a BPF stack map: it stops at the first
// zero address and drops the leading frames that belong to the tracing machinery itself
// (see IsTracerFrame), which stackid-from-tracepoint programs otherwise show on top.
func (s *Symbolizer) KernelStack(ips []uint64) []Symbol {
	ips = untilZero(ips)
	s.PrepareKernel(ips)
	out := make([]Symbol, 0, len(ips))
	leading := true
	for _, ip := range ips {
		if ip == 0 {
			break
		}
		sym := s.Kernel(ip)
		if leading && sym.Known && IsTracerFrame(sym.Name) {
			continue
		}
		leading = false
		out = append(out, sym)
	}
	return out
}

// UserStack symbolizes a user stack of process pid, stopping at the first zero address.
func (s *Symbolizer) UserStack(pid uint32, ips []uint64) []Symbol {
	ips = untilZero(ips)
	out := make([]Symbol, 0, len(ips))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tick++
	for _, ip := range ips {
		if ip == 0 {
			break
		}
		out = append(out, s.user(pid, ip))
	}
	return out
}

// untilZero cuts a stack map's value at its first zero: the map's values have room for the
// deepest stack (127 frames), a typical stack fills a tenth of it, and a report holds
// thousands of symbolized stacks.
func untilZero(ips []uint64) []uint64 {
	for i, ip := range ips {
		if ip == 0 {
			return ips[:i]
		}
	}
	return ips
}

// tracerPrefixes name the kernel functions that run a BPF program or the probe that fired
// it: BPF programs and trampolines, tracepoint dispatch, kprobe/ftrace/uprobe/rethook
// plumbing, and the stack helpers themselves.
var tracerPrefixes = []string{
	"bpf_prog_", "bpf_trampoline_", "bpf_dispatcher_", "__bpf_prog_enter", "__bpf_prog_exit",
	"bpf_trace_run", "__bpf_trace_", "__traceiter_", "trace_call_bpf", "perf_trace_run_bpf_submit",
	"bpf_get_stack", "__bpf_get_stack", "bpf_get_stackid",
	"kprobe_", "__kprobe_", "kretprobe_", "__kretprobe_", "arch_rethook_", "rethook_",
	"ftrace_", "arch_ftrace_", "fprobe_", "__fprobe_", "optimized_callback",
	"uprobe_dispatcher", "__uprobe_perf_func", "uretprobe_dispatcher",
}

// IsTracerFrame reports whether a kernel function belongs to the tracer rather than to the
// traced code: bpf_prog_*, bpf_trace_run*, __traceiter_*, ftrace and kprobe trampolines.
func IsTracerFrame(name string) bool {
	for _, p := range tracerPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// TrimTracerFrames drops the leading tracer frames of an already symbolized kernel stack.
func TrimTracerFrames(stack []Symbol) []Symbol {
	for len(stack) > 0 && stack[0].Known && IsTracerFrame(stack[0].Name) {
		stack = stack[1:]
	}
	return stack
}
