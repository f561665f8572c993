package tracer

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/minbtf"
)

// A failed load is put down to the kernel's BTF only when libbpf said it could not read it:
// then one line of ours, libbpf's lines kept for -v; otherwise libbpf's lines and the usual
// error, as before.
func TestLoadErrorBlamesBTFOnlyOnLibbpfsWord(t *testing.T) {
	if _, err := os.Stat(minbtf.KernelBTFPath); err != nil {
		t.Skip("no kernel BTF")
	}
	verifier := "libbpf: prog 'x': BPF program load failed: Invalid argument\n"
	var stderr strings.Builder
	err := loadError("obj", fmt.Errorf("load: %w", syscall.EINVAL), verifier, Options{Stderr: &stderr})
	if !strings.Contains(err.Error(), "rejected by the kernel") || stderr.String() != verifier {
		t.Errorf("verifier refusal: error %q, stderr %q", err, stderr.String())
	}

	btf := "libbpf: failed to read kernel BTF from '/sys/kernel/btf/vmlinux': -22\nlibbpf: Error loading vmlinux BTF: -22\n"
	for _, verbose := range []bool{false, true} {
		stderr.Reset()
		err = loadError("obj", fmt.Errorf("load: %w", syscall.EINVAL), btf, Options{Stderr: &stderr, Verbose: verbose})
		// This kernel's BTF parses: libbpf's errno is the reason given.
		if want := "kernel BTF at /sys/kernel/btf/vmlinux is empty or corrupt: invalid argument"; err.Error() != want {
			t.Errorf("error %q, want %q", err, want)
		}
		if got, want := stderr.String(), map[bool]string{false: "", true: btf}[verbose]; got != want {
			t.Errorf("verbose %v: stderr %q, want %q", verbose, got, want)
		}
	}
}
