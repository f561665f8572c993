package tracer

import (
	"errors"
	"fmt"
	"syscall"
)

// attachManualQuietly runs attach (of a probe a tool attaches itself: uprobe, USDT, kprobe) with
// libbpf's messages held back: they are printed as usual when it succeeds, or with -v; when it
// fails, the error the caller returns is the one line the user needs, and libbpf's lines would
// only repeat it.
func attachManualQuietly(attach func() error) error {
	opts := logTo.Load()
	if opts == nil {
		opts = &Options{}
	}
	return withLogHeld(*opts, attach)
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
	eff, listed := effectiveCaps()
	if listed && eff&(1<<capSysAdmin) == 0 {
		return errors.New("missing CAP_SYS_ADMIN: uprobes need CAP_SYS_ADMIN (or root)")
	}
	return nil
}
