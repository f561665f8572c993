package tracer

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"unsafe"

	bpf "github.com/aquasecurity/libbpfgo"
	"golang.org/x/sys/unix"

	"github.com/bpfutils/bpfutils/pkg/bpfobj"
	"github.com/bpfutils/bpfutils/pkg/minbtf"
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

// probeFentry finds fn in the kernel's BTF itself and loads the trivial program with the bpf
// syscall: letting libbpf do it would have it read all of the kernel's BTF into memory. Functions
// that are not in vmlinux (module functions, whose BTF libbpf also searches) go through libbpf.
func probeFentry(fn string) string {
	kernel, err := minbtf.Kernel()
	if err != nil {
		return probeFentryLibbpf(fn)
	}
	id := kernel.FuncID(fn)
	if id == 0 {
		return probeFentryLibbpf(fn)
	}
	return fentryReason(fn, loadAndAttachFentry(id))
}

func fentryReason(fn string, err error) string {
	var load *fentryLoadError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &load):
		if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.Errno(524)) /* ENOTSUPP */ || errors.Is(err, syscall.EOPNOTSUPP) {
			return fentryRefused
		}
		return fmt.Sprintf("fentry on %s not possible", fn)
	default:
		return fmt.Sprintf("fentry on %s cannot attach", fn)
	}
}

type fentryLoadError struct{ err error }

func (e *fentryLoadError) Error() string { return "load: " + e.err.Error() }
func (e *fentryLoadError) Unwrap() error { return e.err }

// progLoadAttr is union bpf_attr as BPF_PROG_LOAD reads it, up to attach_prog_fd.
type progLoadAttr struct {
	progType           uint32
	insnCnt            uint32
	insns              uint64
	license            uint64
	logLevel           uint32
	logSize            uint32
	logBuf             uint64
	kernVersion        uint32
	progFlags          uint32
	progName           [16]byte
	progIfindex        uint32
	expectedAttachType uint32
	progBTFFD          uint32
	funcInfoRecSize    uint32
	funcInfo           uint64
	funcInfoCnt        uint32
	lineInfoRecSize    uint32
	lineInfo           uint64
	lineInfoCnt        uint32
	attachBTFID        uint32
	attachProgFD       uint32
	_                  uint32
}

// rawTracepointOpenAttr is union bpf_attr for BPF_RAW_TRACEPOINT_OPEN; a tracing program takes no
// name, its target is the BTF id it was loaded with.
type rawTracepointOpenAttr struct {
	name   uint64
	progFD uint32
	_      uint32
}

const (
	bpfProgLoad           = 5
	bpfRawTracepointOpen  = 17
	bpfProgTypeTracing    = 26
	bpfTraceFentry        = 24
	attachRetriesOnEAGAIN = 5
)

// loadAndAttachFentry loads "r0 = 0; exit" as an fentry program on kernel function btfID and
// attaches it, then lets both go. A load error is a *fentryLoadError.
func loadAndAttachFentry(btfID uint32) error {
	insns := []uint64{
		0xb7, // BPF_ALU64 | BPF_MOV | BPF_K, dst r0, imm 0
		0x95, // BPF_JMP | BPF_EXIT
	}
	license := []byte("GPL\x00")
	attr := progLoadAttr{
		progType:           bpfProgTypeTracing,
		insnCnt:            uint32(len(insns)),
		insns:              uint64(uintptr(unsafe.Pointer(&insns[0]))),
		license:            uint64(uintptr(unsafe.Pointer(&license[0]))),
		expectedAttachType: bpfTraceFentry,
		attachBTFID:        btfID,
	}
	copy(attr.progName[:], "fentry_probe")
	var prog uintptr
	var errno syscall.Errno
	for i := 0; i < attachRetriesOnEAGAIN; i++ {
		prog, _, errno = unix.Syscall(unix.SYS_BPF, bpfProgLoad, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
		if errno != unix.EAGAIN {
			break
		}
	}
	runtime.KeepAlive(insns)
	runtime.KeepAlive(license)
	if errno != 0 {
		return &fentryLoadError{errno}
	}
	defer unix.Close(int(prog))
	open := rawTracepointOpenAttr{progFD: uint32(prog)}
	link, _, errno := unix.Syscall(unix.SYS_BPF, bpfRawTracepointOpen, uintptr(unsafe.Pointer(&open)), unsafe.Sizeof(open))
	if errno != 0 {
		return errno
	}
	unix.Close(int(link))
	return nil
}

// probeFentryLibbpf is the probe through libbpf, for functions that only module BTF describes.
func probeFentryLibbpf(fn string) string {
	obj, err := bpfobj.Get("fentry_probe")
	if err != nil {
		return err.Error()
	}
	setupLogging()
	// The probe's expected failure is not the user's concern, verbose or not.
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
		return fentryReason(fn, &fentryLoadError{err})
	}
	link, err := prog.AttachGeneric()
	if err != nil {
		return fentryReason(fn, err)
	}
	link.Destroy()
	return ""
}
