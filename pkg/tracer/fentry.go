package tracer

import (
	"errors"
	"fmt"
	"sync"
	"syscall"

	bpf "github.com/aquasecurity/libbpfgo"

	"github.com/bpfutils/bpfutils/pkg/bpfobj"
)

var fentryCache sync.Map // function name -> reason ("" when fentry works)

const fentryRefused = "kernel does not allow fentry/fexit programs"

// fentryAvailability loads a trivial fentry program against fn, the only reliable way to learn
// whether the kernel lets us trace fn with fentry/fexit (BTF, trampolines and lockdown all play).
func fentryAvailability(fn string) string {
	if r, ok := fentryCache.Load(fn); ok {
		return r.(string)
	}
	reason := probeFentry(fn)
	fentryCache.Store(fn, reason)
	return reason
}

func probeFentry(fn string) string {
	obj, err := bpfobj.Get("fentry_probe")
	if err != nil {
		return err.Error()
	}
	setupLogging()
	quiet := Verbose
	Verbose = false // the probe's expected failure is not the user's concern
	defer func() { Verbose = quiet }()
	silenceWarnings(true)
	defer silenceWarnings(false)
	mod, err := bpf.NewModuleFromBufferArgs(bpf.NewModuleArgs{BPFObjBuff: obj, BPFObjName: "fentry_probe", SkipMemlockBump: true})
	if err != nil {
		return fmt.Sprintf("fentry probe: %v", err)
	}
	defer mod.Close()
	prog, err := mod.GetProgram("fentry_probe")
	if err != nil {
		return err.Error()
	}
	if err := prog.SetAttachTarget(0, fn); err != nil {
		return fmt.Sprintf("kernel BTF has no function %s", fn)
	}
	if err := mod.BPFLoadObject(); err != nil {
		if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.Errno(524)) /* ENOTSUPP */ || errors.Is(err, syscall.EOPNOTSUPP) {
			return fentryRefused
		}
		return fmt.Sprintf("fentry on %s not possible", fn)
	}
	link, err := prog.AttachGeneric()
	if err != nil {
		return fmt.Sprintf("fentry on %s cannot attach", fn)
	}
	link.Destroy()
	return ""
}
