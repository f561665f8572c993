// Package tracer opens an embedded BPF object, configures it, picks for every probe the first
// hook the running kernel supports, loads it and attaches it; it also reads the object's events.
package tracer

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	bpf "github.com/aquasecurity/libbpfgo"

	"github.com/bpfutils/bpfutils/pkg/bpfobj"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/minbtf"
)

// Spec describes what a tool wants from its BPF object.
type Spec struct {
	Object string // embedded object name: bpf/<Object>.bpf.c
	// Rodata sets const volatile globals before load: a struct whose fields carry the C name
	// in a `bpf:"name"` tag (the layout test holds names and sizes to the object), or a map.
	Rodata any
	Probes []Probe
	// Manual names programs the tool attaches itself (perf events, uprobes); they are loaded
	// but not attached. Every other program that no probe chose is not loaded at all.
	Manual []string
	// MaxEntries resizes maps before load.
	MaxEntries map[string]uint32
	// ValueSize sets maps' value sizes before load (stack maps: frames kept per stack × 8).
	ValueSize map[string]uint32
	// Cgroup, when set, restricts the programs to tasks in this cgroup-v2 directory
	// (the object must include cgroup.bpf.h).
	Cgroup string
	// Events sizes the "events" ring buffer in bytes (0: the object's default). Objects that
	// include events.bpf.h get the perf-buffer fallback on kernels without ring buffers.
	Events uint32
}

// Options are the run's environment as the tracer sees it.
type Options struct {
	// Verbose turns on libbpf's debug log and reports the chosen hooks.
	Verbose bool
	// Stderr receives libbpf's warnings and the verbose reports (nil: os.Stderr).
	Stderr io.Writer
}

func (o Options) stderr() io.Writer {
	if o.Stderr == nil {
		return os.Stderr
	}
	return o.Stderr
}

// Tracer is a loaded, attached BPF object.
type Tracer struct {
	Module  *bpf.Module
	chosen  map[string]Hook
	links   []*bpf.BPFLink
	perfbuf bool
	events  *Events
}

var (
	// libbpf has one print callback for the process: Opens take turns, and the running one's
	// Options say where its messages go.
	openMu  sync.Mutex
	logTo   atomic.Pointer[Options]
	logOnce sync.Once
	quiet   atomic.Bool
	// logSink, while set, receives libbpf's warnings instead of stderr (Verify keeps the
	// verifier's log of a failed load this way).
	logSink atomic.Pointer[strings.Builder]
	sinkMu  sync.Mutex
	// heldLog, while set, keeps what would go to stderr: a load that may be retried prints its
	// messages only once it is known not to be.
	heldLog atomic.Pointer[strings.Builder]
)

func silenceWarnings(on bool) { quiet.Store(on) }

func setupLogging() {
	logOnce.Do(func() {
		bpf.SetLoggerCbs(bpf.Callbacks{
			Log: func(level int, msg string) {
				if sink := logSink.Load(); sink != nil {
					if level > bpf.LibbpfWarnLevel {
						return
					}
					sinkMu.Lock()
					sink.WriteString(msg)
					sinkMu.Unlock()
					return
				}
				if quiet.Load() {
					return
				}
				opts := logTo.Load()
				if opts == nil {
					opts = &Options{}
				}
				if level <= bpf.LibbpfWarnLevel || opts.Verbose {
					if held := heldLog.Load(); held != nil {
						sinkMu.Lock()
						held.WriteString(msg)
						sinkMu.Unlock()
						return
					}
					fmt.Fprint(opts.stderr(), msg)
				}
			},
		})
	})
}

// Open loads the object described by spec and attaches its probes. When a chosen hook fails to
// attach, the object is reopened without that hook, so that the next alternative gets its turn.
func Open(spec Spec, opts Options) (*Tracer, error) {
	openMu.Lock()
	defer openMu.Unlock()
	logTo.Store(&opts)
	defer logTo.Store(nil)
	setupLogging()
	defer minbtf.Release()
	// The cgroup is checked before anything is loaded, and once, not per retry.
	cgroupFD := -1
	if spec.Cgroup != "" {
		fd, err := filter.Cgroup(spec.Cgroup)
		if err != nil {
			return nil, err
		}
		defer syscall.Close(fd)
		cgroupFD = fd
	}
	// Decompressed once, not per retry.
	obj, err := bpfobj.Get(spec.Object)
	if err != nil {
		return nil, err
	}
	failed := map[Hook]string{}
	useMinimalBTF := true
	for {
		t, badHook, err := open(spec, obj, opts, cgroupFD, failed, useMinimalBTF)
		if err == nil {
			return t, nil
		}
		var minErr *minimalBTFLoadError
		if errors.As(err, &minErr) {
			if opts.Verbose {
				fmt.Fprintf(opts.stderr(), "%s: load with the minimal kernel BTF failed (%v); trying with the full one\n", spec.Object, minErr.err)
			}
			useMinimalBTF = false
			continue
		}
		if badHook == nil {
			return nil, err
		}
		failed[*badHook] = err.Error()
	}
}

// minimalBTFLoadError: the object failed to load while relocated against a minimal BTF; Open
// tries again with the kernel's full BTF, so that a shortcoming of the minimal one cannot cost
// more than time.
type minimalBTFLoadError struct{ err error }

func (e *minimalBTFLoadError) Error() string { return e.err.Error() }

func open(spec Spec, obj []byte, opts Options, cgroupFD int, failed map[Hook]string, useMinimalBTF bool) (*Tracer, *Hook, error) {
	chosen, err := choose(spec.Probes, failed, opts)
	if err != nil {
		return nil, nil, err
	}
	var btfFile *os.File
	var btfPath string
	if useMinimalBTF {
		btfFile, btfPath = minimalBTF(spec.Object, obj, chosen, opts)
	}
	if btfFile != nil {
		// libbpf reads it during BPFLoadObject.
		defer btfFile.Close()
	}
	// Our copy of the kernel's BTF (read to probe fentry targets and to cut the minimal BTF)
	// goes before libbpf reads its own to attach fentry programs: two copies at once were the
	// peak of every fentry tool on kernels that cannot mmap the BTF.
	minbtf.Release()
	mod, err := bpf.NewModuleFromBufferArgs(bpf.NewModuleArgs{
		BPFObjBuff:      obj,
		BPFObjName:      spec.Object,
		BTFObjPath:      btfPath,
		SkipMemlockBump: true,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("open BPF object %s: %w", spec.Object, err)
	}
	t := &Tracer{Module: mod, chosen: chosen}
	if err := t.configure(spec); err != nil {
		mod.Close()
		return nil, nil, err
	}
	if libbpfLog, err := t.load(opts); err != nil {
		mod.Close()
		if btfFile != nil {
			return nil, nil, &minimalBTFLoadError{err}
		}
		return nil, nil, loadError(spec.Object, err, libbpfLog, opts)
	}
	if cgroupFD >= 0 {
		if err := t.setCgroup(cgroupFD); err != nil {
			mod.Close()
			return nil, nil, err
		}
	}
	if t.events, err = t.openEvents(); err != nil {
		mod.Close()
		return nil, nil, err
	}
	// Two probes may choose the same program for the same target: it is attached once.
	attached := map[Hook]bool{}
	for _, p := range spec.Probes {
		h, ok := chosen[p.What]
		if !ok {
			continue
		}
		key := Hook{Prog: h.Prog, Kind: h.Kind, Target: h.Target}
		if attached[key] {
			continue
		}
		attached[key] = true
		if err := t.attachQuietly(h, opts); err != nil {
			t.Close()
			return nil, &h, fmt.Errorf("attach %s to %s: %w", h.Prog, h, err)
		}
	}
	reportHooks(spec, chosen, failed, opts)
	return t, nil, nil
}

// load loads the object. libbpf's messages wait until the load is over: a load with a minimal
// BTF that fails is retried with the full one, which then says all there is to say, and a
// failure whose cause we can name (loadError) is told in one line of ours instead. On success
// they are printed; on failure they are returned, for the caller to print or not.
func (t *Tracer) load(opts Options) (libbpfLog string, err error) {
	var held strings.Builder
	heldLog.Store(&held)
	err = t.Module.BPFLoadObject()
	heldLog.Store(nil)
	sinkMu.Lock()
	libbpfLog = held.String()
	sinkMu.Unlock()
	if err == nil {
		fmt.Fprint(opts.stderr(), libbpfLog)
	}
	return libbpfLog, err
}

// reportHooks says which hook each probe uses: on stderr with -v, and in the file named by
// BPFUTILS_HOOKLOG, which also lists the hooks passed over and why. Tests read that file to
// check that a forced attach path was taken wherever the kernel has its targets.
func reportHooks(spec Spec, chosen map[string]Hook, failed map[Hook]string, opts Options) {
	var log strings.Builder
	for _, p := range spec.Probes {
		h, ok := chosen[p.What]
		for _, alt := range p.ordered() {
			if ok && alt == h {
				break
			}
			reason, bad := failed[alt]
			if !bad {
				reason = availability(alt)
			}
			class := "target"
			if familyMissing(reason) {
				class = "kernel"
			}
			fmt.Fprintf(&log, "%s: %s passed over %s (%s): %s\n", spec.Object, p.What, alt, class, reason)
		}
		if ok {
			line := fmt.Sprintf("%s: %s via %s\n", spec.Object, p.What, h)
			log.WriteString(line)
			if opts.Verbose {
				fmt.Fprint(opts.stderr(), line)
			}
		}
	}
	if path := os.Getenv("BPFUTILS_HOOKLOG"); path != "" {
		os.WriteFile(path, []byte(log.String()), 0o644)
	}
}

// familyMissing tells the reasons that mean the kernel refuses a whole family of hooks (no
// kprobes, no fentry) from those about one hook's target (no such function or tracepoint, or the
// kernel cannot trace that function), which other kernel versions may well have.
func familyMissing(reason string) bool {
	return reason == fentryRefused || strings.HasPrefix(reason, "kernel has no kprobe support")
}

// choose picks a hook per probe; the error names what each alternative lacks.
func choose(probes []Probe, failed map[Hook]string, opts Options) (map[string]Hook, error) {
	chosen := map[string]Hook{}
	for _, p := range probes {
		var reasons []string
		for _, h := range p.ordered() {
			reason, bad := failed[h]
			if !bad {
				reason = availability(h)
			}
			if reason == "" {
				chosen[p.What] = h
				break
			}
			reasons = append(reasons, reason)
		}
		if _, ok := chosen[p.What]; !ok && !p.Optional {
			return nil, fmt.Errorf("cannot trace %s: %s", p.What, strings.Join(privilegeFirst(dedup(reasons)), "; "))
		}
		if _, ok := chosen[p.What]; !ok && opts.Verbose {
			fmt.Fprintf(opts.stderr(), "skipping optional probe %s: %s\n", p.What, strings.Join(dedup(reasons), "; "))
		}
	}
	return chosen, nil
}

func dedup(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func (t *Tracer) configure(spec Spec) error {
	used := map[string]bool{}
	for _, h := range t.chosen {
		used[h.Prog] = true
	}
	for _, name := range spec.Manual {
		used[name] = true
	}
	it := t.Module.Iterator()
	for prog := it.NextProgram(); prog != nil; prog = it.NextProgram() {
		if !used[prog.Name()] {
			if err := prog.SetAutoload(false); err != nil {
				return fmt.Errorf("disable program %s: %w", prog.Name(), err)
			}
		}
	}
	for _, h := range t.chosen {
		if h.Kind != Fentry && h.Kind != Fexit && h.Kind != TPBTF {
			continue
		}
		prog, err := t.Module.GetProgram(h.Prog)
		if err != nil {
			return fmt.Errorf("program %s: %w", h.Prog, err)
		}
		target := h.Target
		if h.Kind == TPBTF {
			_, target = h.tracepoint()
		}
		if err := prog.SetAttachTarget(0, target); err != nil {
			return fmt.Errorf("set attach target of %s to %s: %w", h.Prog, target, err)
		}
	}
	if err := t.configureEvents(spec.Events); err != nil {
		return err
	}
	for name, n := range spec.MaxEntries {
		m, err := t.Module.GetMap(name)
		if err != nil {
			return fmt.Errorf("map %s: %w", name, err)
		}
		if err := m.SetMaxEntries(n); err != nil {
			return fmt.Errorf("resize map %s: %w", name, err)
		}
	}
	for name, n := range spec.ValueSize {
		m, err := t.Module.GetMap(name)
		if err != nil {
			return fmt.Errorf("map %s: %w", name, err)
		}
		if err := m.SetValueSize(n); err != nil {
			return fmt.Errorf("set value size of map %s: %w", name, err)
		}
	}
	rodata, err := RodataValues(spec.Rodata)
	if err != nil {
		return err
	}
	for _, h := range t.chosen {
		if h.Sets != "" {
			rodata = withValue(rodata, h.Sets, true)
		}
	}
	if spec.Cgroup != "" {
		rodata = withValue(rodata, "filter_cg", true)
	}
	if t.perfbuf {
		rodata = withValue(rodata, "use_perfbuf", true)
	}
	for name, v := range rodata {
		if err := t.Module.InitGlobalVariable(name, v); err != nil {
			return fmt.Errorf("set %s: %w", name, err)
		}
	}
	return nil
}

func withValue(m map[string]any, k string, v any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for key, val := range m {
		out[key] = val
	}
	out[k] = v
	return out
}

// attachQuietly attaches h with libbpf's messages held back: a hook that fails to attach is
// passed over for the next (a kprobe on a function the kernel inlined), and -v and the hook log
// say why; its libbpf lines are noise on the user's terminal. What an attach that succeeded
// said is printed.
func (t *Tracer) attachQuietly(h Hook, opts Options) error {
	return withLogHeld(opts, func() error { return t.attach(h) })
}

// withLogHeld runs attach with libbpf's messages held back, and prints them when it succeeded
// or with -v.
func withLogHeld(opts Options, attach func() error) error {
	var held strings.Builder
	heldLog.Store(&held)
	err := attach()
	heldLog.Store(nil)
	if err == nil || opts.Verbose {
		sinkMu.Lock()
		fmt.Fprint(opts.stderr(), held.String())
		sinkMu.Unlock()
	}
	return err
}

func (t *Tracer) attach(h Hook) error {
	prog, err := t.Module.GetProgram(h.Prog)
	if err != nil {
		return err
	}
	var link *bpf.BPFLink
	switch h.Kind {
	case Fentry, Fexit, TPBTF:
		link, err = prog.AttachGeneric()
	case Kprobe:
		link, err = prog.AttachKprobe(h.Target)
	case Kretprobe:
		link, err = prog.AttachKretprobe(h.Target)
	case Tracepoint:
		link, err = prog.AttachTracepoint(h.tracepoint())
	case RawTP:
		_, name := h.tracepoint()
		link, err = prog.AttachRawTracepoint(name)
	default:
		return fmt.Errorf("hook kind %s is attached by the tool", h.Kind)
	}
	if err != nil {
		return err
	}
	t.links = append(t.links, link)
	return nil
}

func (t *Tracer) setCgroup(fd int) error {
	m, err := t.Module.GetMap("cgroup_map")
	if err != nil {
		return fmt.Errorf("this tool has no cgroup filter: %w", err)
	}
	key := uint32(0)
	val := uint32(fd)
	return m.Update(ptr(&key), ptr(&val))
}

// Uses reports whether the program was chosen to run (tools adapt output to the chosen path).
func (t *Tracer) Uses(prog string) bool {
	for _, h := range t.chosen {
		if h.Prog == prog {
			return true
		}
	}
	return false
}

// Map returns a map of the object; a missing map is a programming error.
func (t *Tracer) Map(name string) *bpf.BPFMap {
	m, err := t.Module.GetMap(name)
	if err != nil {
		panic(fmt.Sprintf("BPF object has no map %s: %v", name, err))
	}
	return m
}

// Program returns a program of the object for tools that attach it themselves.
func (t *Tracer) Program(name string) *bpf.BPFProg {
	p, err := t.Module.GetProgram(name)
	if err != nil {
		panic(fmt.Sprintf("BPF object has no program %s: %v", name, err))
	}
	return p
}

// AddLink keeps a link a tool attached itself so that Close detaches it too.
func (t *Tracer) AddLink(l *bpf.BPFLink) { t.links = append(t.links, l) }

// Close detaches every link and frees the object.
func (t *Tracer) Close() {
	// Detaching a perf-event tracepoint waits for an RCU grace period in the kernel (tens of
	// ms each: opensnoop's six took 200 ms after Ctrl-C); detached side by side, the waits
	// overlap.
	var wg sync.WaitGroup
	for _, l := range t.links {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.Destroy()
		}()
	}
	wg.Wait()
	t.links = nil
	if t.events != nil {
		t.events.Close()
		t.events = nil
	}
	t.Module.Close()
}

// loadError explains a failed load. libbpfLog is what libbpf said meanwhile: printed as it is,
// unless the cause has a line of its own (a broken kernel BTF), where it is kept for -v.
func loadError(object string, err error, libbpfLog string, opts Options) error {
	if btfErr := brokenKernelBTF(err, libbpfLog); btfErr != nil {
		if opts.Verbose {
			fmt.Fprint(opts.stderr(), libbpfLog)
		}
		return btfErr
	}
	fmt.Fprint(opts.stderr(), libbpfLog)
	switch {
	case errors.Is(err, syscall.EPERM), errors.Is(err, syscall.EACCES):
		return fmt.Errorf("load BPF object %s: permission denied (needs root; run with -v for the verifier log)", object)
	case errors.Is(err, syscall.EINVAL):
		return fmt.Errorf("load BPF object %s: rejected by the kernel (run with -v for the verifier log)", object)
	}
	return fmt.Errorf("load BPF object %s: %v (run with -v for details)", object, err)
}

// brokenKernelBTF names the cause when libbpf failed to read the kernel's BTF although the file
// is there: it is empty or corrupt (a bind mount over it, a kernel built with a broken pahole).
// libbpf says so in three lines and an errno ("input/output error", or EINVAL, which read as
// the verifier's refusal); one line with our parser's diagnosis says more. A missing file is not
// this case: that kernel has no BTF, and libbpf looks elsewhere for it.
func brokenKernelBTF(err error, libbpfLog string) error {
	log := strings.ToLower(libbpfLog)
	if !strings.Contains(log, "kernel btf") && !strings.Contains(log, "vmlinux btf") {
		return nil
	}
	if _, statErr := os.Stat(minbtf.KernelBTFPath); statErr != nil {
		return nil
	}
	reason := minbtf.CheckKernel()
	if reason == nil {
		// Our parser takes it, libbpf does not: its errno is all there is to tell.
		reason = err
		var errno syscall.Errno
		if errors.As(err, &errno) {
			reason = errno
		}
	}
	return fmt.Errorf("kernel BTF at %s is empty or corrupt: %v", minbtf.KernelBTFPath, reason)
}
