package tracer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// TraceFS is where tracepoints are described; tests may point it elsewhere.
var TraceFS = "/sys/kernel/tracing"

// Preflight checks what every tool needs before it touches BPF, so that the user reads one
// line naming the missing piece instead of an errno from deep inside libbpf.
func Preflight() error {
	if err := checkPrivileges(); err != nil {
		return err
	}
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		return errors.New("kernel BTF not found at /sys/kernel/btf/vmlinux (needs CONFIG_DEBUG_INFO_BTF=y)")
	}
	if err := ensureMount(TraceFS, "tracefs", unix.TRACEFS_MAGIC); err != nil {
		if _, statErr := os.Stat("/sys/kernel/debug/tracing/events"); statErr == nil {
			TraceFS = "/sys/kernel/debug/tracing"
		} else {
			return fmt.Errorf("tracefs is not mounted at %s and cannot be mounted: %v", TraceFS, err)
		}
	}
	if err := ensureMount("/sys/fs/bpf", "bpf", unix.BPF_FS_MAGIC); err != nil {
		return fmt.Errorf("bpffs is not mounted at /sys/fs/bpf and cannot be mounted: %v", err)
	}
	return nil
}

const (
	capSysAdmin = 21
	capPerfmon  = 38
	capBPF      = 39
)

func checkPrivileges() error {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return nil // cannot tell; let the kernel decide
	}
	var eff uint64
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			fmt.Sscanf(strings.TrimSpace(v), "%x", &eff)
		}
	}
	has := func(c uint) bool { return eff&(1<<c) != 0 }
	if has(capSysAdmin) || (has(capBPF) && has(capPerfmon)) {
		return nil
	}
	return errors.New("must run as root (needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN)")
}

func ensureMount(dir, fstype string, magic int64) error {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err == nil && int64(st.Type) == magic {
		return nil
	}
	return unix.Mount(fstype, dir, fstype, 0, "")
}

// TracepointExists reports whether tracefs describes category:name.
func TracepointExists(category, name string) bool {
	_, err := os.Stat(filepath.Join(TraceFS, "events", category, name, "format"))
	return err == nil
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
