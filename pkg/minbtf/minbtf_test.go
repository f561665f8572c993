package minbtf

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"golang.org/x/sys/unix"

	"github.com/bpfutils/bpfutils/pkg/bpfobj"
)

func kernelOrSkip(t *testing.T) *BTF {
	t.Helper()
	if _, err := os.Stat(KernelBTFPath); err != nil {
		t.Skip("kernel has no BTF")
	}
	k, err := Kernel()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestSameRelocations relocates every embedded object's CO-RE relocations (with cilium/ebpf's
// independent CO-RE implementation) against the full kernel BTF and against the minimal one: the
// results must be the same, relocation by relocation. It uses the running kernel's BTF and any
// raw BTF files listed in MINBTF_TEST_KERNELS (e.g. other kernels' /sys/kernel/btf/vmlinux).
func TestSameRelocations(t *testing.T) {
	kernels := map[string]string{"running": KernelBTFPath}
	for _, path := range filepath.SplitList(os.Getenv("MINBTF_TEST_KERNELS")) {
		kernels[filepath.Base(path)] = path
	}
	for name, path := range kernels {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if os.IsNotExist(err) {
				t.Skip(err)
			}
			if err != nil {
				t.Fatal(err)
			}
			k, err := Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			full, err := btf.LoadSpecFromReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			for _, object := range bpfobj.Names() {
				t.Run(object, func(t *testing.T) { sameRelocations(t, object, k, full) })
			}
		})
	}
}

func sameRelocations(t *testing.T, object string, k *BTF, full *btf.Spec) {
	obj, _ := bpfobj.Get(object)
	o, err := ParseObject(obj)
	if err != nil {
		t.Fatal(err)
	}
	raw, missing, err := GenerateFor(o, k)
	if len(o.Relocs) == 0 {
		if err == nil {
			t.Fatal("minimal BTF for an object without CO-RE relocations")
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	min, err := btf.LoadSpecFromReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("minimal BTF does not parse: %v", err)
	}
	spec, err := ebpf.LoadCollectionSpecFromReader(bytes.NewReader(obj))
	if err != nil && strings.Contains(err.Error(), "unsupported binding") {
		// libbpf's usdt.bpf.h declares its maps weak, which cilium/ebpf does not read.
		t.Skipf("cilium/ebpf cannot read %s: %v", object, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	var relos []*btf.CORERelocation
	for _, p := range spec.Programs {
		for i := range p.Instructions {
			if r := btf.CORERelocationMetadata(&p.Instructions[i]); r != nil {
				relos = append(relos, r)
			}
		}
	}
	// cilium/ebpf links a subprogram into every program calling it, and counts its
	// relocations once per caller: compare the distinct ones.
	distinct := map[string]bool{}
	for _, r := range relos {
		distinct[fmt.Sprint(r)] = true
	}
	if len(distinct) > len(o.Relocs) || len(relos) > 0 && len(o.Relocs) == 0 {
		t.Errorf("cilium/ebpf sees %d distinct CO-RE relocations, we parsed %d", len(distinct), len(o.Relocs))
	}
	localID := func(btf.Type) (btf.TypeID, error) { return 0, nil }
	want, err := btf.CORERelocate(relos, []*btf.Spec{full}, binary.LittleEndian, localID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := btf.CORERelocate(relos, []*btf.Spec{min}, binary.LittleEndian, localID)
	if err != nil {
		t.Fatalf("relocating against the minimal BTF: %v", err)
	}
	for i := range want {
		if got[i].String() != want[i].String() {
			t.Errorf("relocation %d (%v): minimal BTF gives %s, full BTF %s", i, relos[i], got[i].String(), want[i].String())
		}
	}
	if len(missing) > 0 {
		t.Logf("no candidates in vmlinux for %v", missing)
	}
	t.Logf("%d relocations, %d bytes of BTF (kernel: %d types)", len(relos), len(raw), k.NumTypes())
}

func TestEssentialName(t *testing.T) {
	for in, want := range map[string]string{
		"task_struct":          "task_struct",
		"task_struct___old":    "task_struct",
		"a___b___c":            "a___b",
		"trace_event_raw____x": "trace_event_raw____x",
		"___x":                 "___x",
		"x___":                 "x___",
	} {
		if got := string(essentialName([]byte(in))); got != want {
			t.Errorf("essentialName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFuncID(t *testing.T) {
	k := kernelOrSkip(t)
	id := k.FuncID("vfs_read")
	if id == 0 || k.kind(id) != kindFunc || k.name(id) != "vfs_read" {
		t.Fatalf("FuncID(vfs_read) = %d", id)
	}
	if k.FuncID("no_such_function_in_any_kernel") != 0 {
		t.Error("found a function that does not exist")
	}
}

// TestTypedefID: tracepoints are typedefs btf_trace_<name> in the kernel's BTF; a function of
// the same name is not a typedef.
func TestTypedefID(t *testing.T) {
	k := kernelOrSkip(t)
	id := k.TypedefID("btf_trace_sched_switch")
	if id == 0 || k.kind(id) != kindTypedef || k.name(id) != "btf_trace_sched_switch" {
		t.Fatalf("TypedefID(btf_trace_sched_switch) = %d", id)
	}
	if k.TypedefID("vfs_read") != 0 {
		t.Error("vfs_read, a function, found as a typedef")
	}
	if k.TypedefID("btf_trace_no_such_tracepoint") != 0 {
		t.Error("found a tracepoint that does not exist")
	}
}

// TestKernelIsMapped: on kernels that allow it (this host's does), the kernel's BTF is mmapped,
// not read into the heap.
func TestKernelIsMapped(t *testing.T) {
	kernelOrSkip(t)
	raw, mmapped, err := readKernelBTF()
	if err != nil {
		t.Fatal(err)
	}
	if !mmapped {
		t.Skip("this kernel does not let its BTF be mmapped")
	}
	defer unix.Munmap(raw)
	if !KernelMmapped() {
		t.Error("Kernel read the BTF into memory although it can be mmapped")
	}
}

func TestModuleWithName(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "vmlinux"), []byte("\x00in_vmlinux\x00"), 0o644)
	os.WriteFile(filepath.Join(dir, "ext4"), []byte("\x9f\xeb\x00ext4_inode_info\x00i_flags\x00"), 0o644)
	for names, want := range map[string]string{"ext4_inode_info": "ext4", "in_vmlinux": "", "ext4_inode": "", "i_flags": "ext4"} {
		got, err := ModuleWithName(dir, []string{"other", names})
		if err != nil || got != want {
			t.Errorf("ModuleWithName(%q) = %q, %v; want %q", names, got, err, want)
		}
	}
}
