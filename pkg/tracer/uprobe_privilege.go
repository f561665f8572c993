package tracer

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// attachUserQuietly runs attach (of a uprobe or USDT probe) with libbpf's messages held back:
// they are printed as usual when it succeeds, or with -v; when it fails, the error the caller
// returns is the one line the user needs, and libbpf's lines would only repeat it.
func attachUserQuietly(attach func() error) error {
	var held strings.Builder
	heldLog.Store(&held)
	err := attach()
	heldLog.Store(nil)
	opts := logTo.Load()
	if opts == nil {
		opts = &Options{}
	}
	if err == nil || opts.Verbose {
		sinkMu.Lock()
		fmt.Fprint(opts.stderr(), held.String())
		sinkMu.Unlock()
	}
	return err
}

// userProbeCause is the root cause of a failed uprobe attach, naming the capability when the
// kernel refused it: creating a uprobe perf event takes CAP_SYS_ADMIN, CAP_PERFMON is not enough.
func userProbeCause(err error) error {
	err = rootCause(err)
	if errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM) {
		return fmt.Errorf("%w: uprobes need CAP_SYS_ADMIN (or root)", err)
	}
	return err
}

// CheckSysAdmin names CAP_SYS_ADMIN when the process lacks it, for tools whose probes need it
// (uprobes, USDT); it holds the powers of CAP_BPF and CAP_PERFMON too.
func CheckSysAdmin() error {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return nil // cannot tell; let the kernel decide
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			var eff uint64
			fmt.Sscanf(strings.TrimSpace(v), "%x", &eff)
			if eff&(1<<capSysAdmin) == 0 {
				return errors.New("missing CAP_SYS_ADMIN: uprobes need CAP_SYS_ADMIN (or root)")
			}
		}
	}
	return nil
}
