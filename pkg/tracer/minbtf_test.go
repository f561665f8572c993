package tracer

import (
	"errors"
	"reflect"
	"testing"

	bpf "github.com/aquasecurity/libbpfgo"
	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"golang.org/x/sys/unix"

	"github.com/bpfutils/bpfutils/pkg/bpfobj"
	"github.com/bpfutils/bpfutils/pkg/minbtf"
)

// TestMinimalBTFLoadsTheSamePrograms loads programs of every embedded object with libbpf twice,
// relocated against the full kernel BTF and against the minimal one, and compares what the
// kernel holds (xlated instructions, map references aside): CO-RE gave the same offsets, sizes
// and existence answers.
func TestMinimalBTFLoadsTheSamePrograms(t *testing.T) {
	if err := Preflight(); err != nil {
		t.Skip(err)
	}
	setupLogging()
	compared := 0
	for _, object := range bpfobj.Names() {
		obj, _ := bpfobj.Get(object)
		btfFile, btfPath := minimalBTF(object, obj, nil, Options{})
		if btfFile == nil {
			continue
		}
		defer btfFile.Close()
		for _, prog := range loadableByHand(t, object, obj) {
			full, err := xlated(object, obj, prog, minbtf.KernelBTFPath)
			if err != nil {
				t.Logf("%s/%s does not load alone (%v); not compared", object, prog, err)
				continue
			}
			min, err := xlated(object, obj, prog, btfPath)
			if err != nil {
				t.Errorf("%s/%s loads with the full kernel BTF but not with the minimal one: %v", object, prog, err)
				continue
			}
			if !reflect.DeepEqual(full, min) {
				t.Errorf("%s/%s: the kernel holds different programs with full and minimal BTF", object, prog)
			}
			compared++
		}
	}
	t.Logf("%d programs compared", compared)
	if compared < 20 {
		t.Errorf("only %d programs compared", compared)
	}
}

// loadableByHand lists the programs that need no attach target at load time.
func loadableByHand(t *testing.T, object string, obj []byte) []string {
	mod, err := bpf.NewModuleFromBufferArgs(bpf.NewModuleArgs{BPFObjBuff: obj, BPFObjName: object, SkipMemlockBump: true})
	if err != nil {
		t.Fatal(err)
	}
	defer mod.Close()
	var names []string
	it := mod.Iterator()
	for p := it.NextProgram(); p != nil; p = it.NextProgram() {
		switch p.GetType() {
		case bpf.BPFProgTypeRawTracepoint, bpf.BPFProgTypeTracepoint, bpf.BPFProgTypePerfEvent:
			names = append(names, p.Name())
		}
	}
	return names
}

func xlated(object string, obj []byte, prog, btfPath string) (asm.Instructions, error) {
	silenceWarnings(true)
	defer silenceWarnings(false)
	mod, err := bpf.NewModuleFromBufferArgs(bpf.NewModuleArgs{BPFObjBuff: obj, BPFObjName: object, BTFObjPath: btfPath, SkipMemlockBump: true})
	if err != nil {
		return nil, err
	}
	defer mod.Close()
	it := mod.Iterator()
	for p := it.NextProgram(); p != nil; p = it.NextProgram() {
		if p.Name() != prog {
			p.SetAutoload(false)
		}
	}
	if m, err := mod.GetMap("events"); err == nil && m.Type() == bpf.MapTypeRingbuf {
		m.SetMaxEntries(1 << 16)
	}
	if err := mod.BPFLoadObject(); err != nil {
		return nil, err
	}
	p, _ := mod.GetProgram(prog)
	fd, err := unix.Dup(p.FileDescriptor())
	if err != nil {
		return nil, err
	}
	kp, err := ebpf.NewProgramFromFD(fd)
	if err != nil {
		return nil, err
	}
	defer kp.Close()
	info, err := kp.Info()
	if err != nil {
		return nil, err
	}
	insns, err := info.Instructions()
	if err != nil {
		return nil, err
	}
	// Map references name this load's maps.
	for i := range insns {
		if insns[i].IsLoadFromMap() {
			insns[i].Constant = 0
		}
		insns[i] = insns[i].WithMetadata(asm.Metadata{})
	}
	return insns, nil
}

// TestFentryProbeAgreesWithLibbpf: the bpf-syscall probe comes to libbpf's verdict (on this
// host's kernel fentry is refused; in the test guests it works).
func TestFentryProbeAgreesWithLibbpf(t *testing.T) {
	if err := Preflight(); err != nil {
		t.Skip(err)
	}
	kernel, err := minbtf.Kernel()
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range []string{"vfs_read", "do_sys_openat2"} {
		id := kernel.FuncID(fn)
		if id == 0 {
			t.Fatalf("kernel BTF lacks %s", fn)
		}
		raw, lib := fentryReason(fn, loadAndAttachFentry(id)), probeFentryLibbpf(fn)
		t.Logf("%s: %q", fn, raw)
		if raw != lib {
			t.Errorf("fentry on %s: bpf syscall probe says %q, libbpf %q", fn, raw, lib)
		}
	}
	if got := probeFentry("no_such_function_in_any_kernel"); got != "kernel BTF has no function no_such_function_in_any_kernel" {
		t.Errorf("probe of a missing function: %q", got)
	}
}

// TestBadMinimalBTFFallsBack: when the object does not load relocated against the minimal BTF
// (here: one without any type, so CO-RE poisons the field reads and the verifier refuses them),
// Open loads it again with the full kernel BTF.
func TestBadMinimalBTFFallsBack(t *testing.T) {
	if err := Preflight(); err != nil {
		t.Skip(err)
	}
	calls := 0
	generateMinimalBTF = func(o *minbtf.Object, kernel *minbtf.BTF) ([]byte, []string, error) {
		calls++
		empty := []byte{0x9f, 0xeb, 1, 0, 24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}
		return empty, nil, nil
	}
	defer func() { generateMinimalBTF = minbtf.GenerateFor }()
	spec := Spec{Object: "biosnoop", Probes: []Probe{{What: "issue", Hooks: []Hook{{Prog: "rq_issue_raw", Kind: RawTP, Target: "block:block_rq_issue"}}}}}
	setupLogging()
	silenceWarnings(true)
	obj, err := bpfobj.Get(spec.Object)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = open(spec, obj, Options{}, -1, map[Hook]string{}, true)
	silenceWarnings(false)
	var minErr *minimalBTFLoadError
	if !errors.As(err, &minErr) {
		t.Fatalf("load against an empty BTF: %v, want a minimalBTFLoadError", err)
	}
	tr, err := Open(spec, Options{})
	if err != nil {
		t.Fatalf("no fallback to the full BTF: %v", err)
	}
	tr.Close()
	if calls != 2 {
		t.Errorf("minimal BTF made %d times, want 2", calls)
	}
	t.Setenv("BPFUTILS_MINBTF", "0")
	if tr, err = Open(spec, Options{}); err != nil {
		t.Fatal(err)
	}
	tr.Close()
	if calls != 2 {
		t.Error("BPFUTILS_MINBTF=0 did not turn the minimal BTF off")
	}
}
