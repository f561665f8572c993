package tracer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/bpfutils/bpfutils/pkg/minbtf"
)

// TraceFS is where tracepoints are described; tests may point it elsewhere.
var TraceFS = "/sys/kernel/tracing"

// debugfsTraceFS is where tracefs appears when debugfs is mounted (the kernel mounts it there on
// first access); libbpf looks there first. Tests may point it elsewhere.
var debugfsTraceFS = "/sys/kernel/debug/tracing"

// Preflight checks what every tool needs before it touches BPF, so that the user reads one
// line naming the missing piece instead of an errno from deep inside libbpf. Where no tracefs
// is mounted it mounts one, which Unmount takes away again: call Unmount once the tracer is
// closed, whatever Preflight returned.
//
// bpffs is not needed (nothing is pinned) and is left alone. tracefs is needed by classic
// tracepoints (libbpf reads their ids there) and legacy kprobes; raw_tp and tp_btf attach by
// name, and where tracefs cannot be read their tracepoints are looked up in the kernel's BTF, so
// that a missing or unreadable tracefs fails only the hooks that need it, each naming why.
func Preflight() error {
	mounts.Lock()
	defer mounts.Unlock()
	mounts.users++ // counted whatever comes next: every Preflight is paired with an Unmount
	if err := checkPrivileges(); err != nil {
		return err
	}
	if _, err := os.Stat(minbtf.KernelBTFPath); err != nil {
		return errors.New("kernel BTF not found at /sys/kernel/btf/vmlinux (needs CONFIG_DEBUG_INFO_BTF=y)")
	}
	mounts.tracefsProblem = ""
	if isMounted(TraceFS, unix.TRACEFS_MAGIC) || mounts.mounted[TraceFS] {
		return nil
	}
	var st unix.Statfs_t
	debugErr := unix.Statfs(debugfsTraceFS, &st)
	if debugErr == nil && int64(st.Type) == unix.TRACEFS_MAGIC {
		TraceFS = debugfsTraceFS
		return nil
	}
	if err := unix.Mount("tracefs", TraceFS, "tracefs", 0, ""); err != nil {
		// Short, the capability last but within the length of an error line.
		switch {
		case errors.Is(debugErr, fs.ErrPermission):
			// debugfs (mode 0700) may hold a tracefs: reading it is the lesser privilege.
			mounts.tracefsProblem = fmt.Sprintf("no tracefs at %s, and permission denied on %s (needs CAP_DAC_READ_SEARCH)",
				TraceFS, filepath.Dir(debugfsTraceFS))
		case errors.Is(err, fs.ErrPermission):
			mounts.tracefsProblem = fmt.Sprintf("no tracefs is mounted (%s) and mounting one needs CAP_SYS_ADMIN", TraceFS)
		default:
			mounts.tracefsProblem = fmt.Sprintf("no tracefs is mounted (%s) and mounting one failed: %v", TraceFS, err)
		}
		return nil
	}
	mounts.mounted[TraceFS] = true
	return nil
}

// mounts is what Preflight mounted, kept until the last tool of the process that called it is
// done (tools may run in-process, several at once).
var mounts = struct {
	sync.Mutex
	users   int
	mounted map[string]bool
	// tracefsProblem says why no tracefs can be read, "" when one is mounted.
	tracefsProblem string
}{mounted: map[string]bool{}}

// Unmount takes away what Preflight mounted once every caller of Preflight called it, so that a
// tool leaves the system as it found it: the runtime calls it after closing the tracer (legacy
// kprobes are removed through tracefs), also when a signal ended the tool. A mount that is busy
// (someone else started using it) stays, and the error says so.
func Unmount() error {
	mounts.Lock()
	defer mounts.Unlock()
	if mounts.users > 0 {
		mounts.users--
	}
	if mounts.users > 0 {
		return nil
	}
	var errs []error
	for dir := range mounts.mounted {
		if err := unix.Unmount(dir, 0); err != nil {
			errs = append(errs, fmt.Errorf("the tracefs mounted at %s for this run is left mounted: %w", dir, err))
		}
		delete(mounts.mounted, dir)
	}
	return errors.Join(errs...)
}

func isMounted(dir string, magic int64) bool {
	var st unix.Statfs_t
	return unix.Statfs(dir, &st) == nil && int64(st.Type) == magic
}

const (
	capSysAdmin = 21
	capPerfmon  = 38
	capBPF      = 39
)

// checkPrivileges names the capability that is missing: loading tracing programs needs CAP_BPF
// and CAP_PERFMON (CAP_SYS_ADMIN implies both).
func checkPrivileges() error {
	eff, listed := effectiveCaps()
	if !listed {
		return nil // cannot tell; let the kernel decide
	}
	return checkCapabilities(eff)
}

// effectiveCaps is the process's effective capability set, from /proc/self/status; listed is
// false when that file cannot be read (or, which no kernel does, has no CapEff line).
func effectiveCaps() (eff uint64, listed bool) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			fmt.Sscanf(strings.TrimSpace(v), "%x", &eff)
			return eff, true
		}
	}
	return 0, false
}

// checkCapabilities is checkPrivileges for the effective capability set eff.
func checkCapabilities(eff uint64) error {
	has := func(c uint) bool { return eff&(1<<c) != 0 }
	switch {
	case has(capSysAdmin) || (has(capBPF) && has(capPerfmon)):
		return nil
	case has(capBPF):
		return errors.New("missing CAP_PERFMON: tracing needs CAP_BPF and CAP_PERFMON (or root)")
	case has(capPerfmon):
		return errors.New("missing CAP_BPF: tracing needs CAP_BPF and CAP_PERFMON (or root)")
	}
	return errors.New("must run as root, or with CAP_BPF and CAP_PERFMON")
}

// TracepointExists reports whether the kernel has tracepoint category:name: tracefs says so, or,
// where tracefs cannot be read, the kernel's BTF (which knows those raw_tp and tp_btf can use).
func TracepointExists(category, name string) bool {
	return tracepointAvailability(RawTP, category, name) == ""
}

// tracepointAvailability says why a hook of kind k cannot use tracepoint category:name, or ""
// when it can be tried. Only a readable tracefs tells that a tracepoint does not exist; a
// classic tracepoint needs its id from tracefs, raw_tp and tp_btf make do with the kernel's BTF.
func tracepointAvailability(k Kind, category, name string) string {
	target := category + ":" + name
	_, err := os.Stat(filepath.Join(TraceFS, "events", category, name, "format"))
	if err == nil {
		return ""
	}
	unreadable := traceFSUnreadable()
	if unreadable == "" {
		return fmt.Sprintf("kernel has no tracepoint %s", target)
	}
	if k == Tracepoint {
		return fmt.Sprintf("tracepoint %s: %s", target, unreadable)
	}
	return btfTracepointAvailability(target, name)
}

// traceFSUnreadable says why tracefs cannot list tracepoints, or "" when it can.
func traceFSUnreadable() string {
	mounts.Lock()
	problem := mounts.tracefsProblem
	mounts.Unlock()
	if problem != "" {
		return problem
	}
	_, err := os.Stat(filepath.Join(TraceFS, "events"))
	switch {
	case err == nil:
		return ""
	case errors.Is(err, fs.ErrPermission):
		return fmt.Sprintf("permission denied on %s (needs CAP_DAC_READ_SEARCH)", TraceFS)
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("tracefs is not mounted at %s", TraceFS)
	}
	return fmt.Sprintf("cannot read tracefs: %v", err)
}

var btfTracepoints sync.Map // name -> reason ("" when the kernel's BTF has the tracepoint)

// btfTracepointAvailability looks for typedef btf_trace_<name>, the prototype the kernel gives
// every tracepoint raw_tp and tp_btf programs can attach to, in vmlinux's BTF, then in modules'.
func btfTracepointAvailability(target, name string) string {
	if r, ok := btfTracepoints.Load(name); ok {
		return r.(string)
	}
	typedef := "btf_trace_" + name
	reason := fmt.Sprintf("kernel has no tracepoint %s (per its BTF)", target)
	if kernel, err := minbtf.Kernel(); err != nil {
		reason = fmt.Sprintf("cannot tell whether the kernel has tracepoint %s: %v", target, err)
	} else if kernel.TypedefID(typedef) != 0 {
		reason = ""
	} else if module, _ := minbtf.ModuleWithName(filepath.Dir(minbtf.KernelBTFPath), []string{typedef}); module != "" {
		reason = ""
	}
	btfTracepoints.Store(name, reason)
	return reason
}

// KprobesSupported reports whether the kernel was built with kprobes.
func KprobesSupported() bool {
	for _, p := range []string{"/sys/bus/event_source/devices/kprobe", filepath.Join(TraceFS, "kprobe_events")} {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	return false
}

var kallsyms struct {
	once sync.Once
	text map[string]bool
}

// KernelFuncExists reports whether /proc/kallsyms lists fn as a text symbol.
func KernelFuncExists(fn string) bool {
	kallsyms.once.Do(func() {
		kallsyms.text = map[string]bool{}
		f, err := os.Open("/proc/kallsyms")
		if err != nil {
			return
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			// "ffffffff81000000 T name [module]"
			fields := bytes.Fields(sc.Bytes())
			if len(fields) < 3 || (fields[1][0]|0x20) != 't' {
				continue
			}
			kallsyms.text[string(fields[2])] = true
		}
	})
	return kallsyms.text[fn]
}
