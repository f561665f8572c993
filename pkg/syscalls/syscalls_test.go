package syscalls

import (
	"runtime"
	"testing"
)

// TestNames holds the table to numbers the x86-64 ABI fixed long ago, and to its gaps and ends.
func TestNames(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("names are generated for x86-64 only")
	}
	for nr, want := range map[uint32]string{
		0: "read", 1: "write", 39: "getpid", 59: "execve", 110: "getppid", 231: "exit_group",
		257: "openat", 334: "rseq", 335: "uretprobe", 336: "uprobe", 424: "pidfd_send_signal",
		462: "mseal", 470: "listns", 512: "rt_sigaction", 547: "pwritev2",
	} {
		if got, ok := Name(nr); !ok || got != want {
			t.Errorf("Name(%d) = %q, %v; want %q", nr, got, ok, want)
		}
	}
	for _, nr := range []uint32{337, 423, 471, 511, 548, 1 << 31, ^uint32(0)} {
		if got, ok := Name(nr); ok {
			t.Errorf("Name(%d) = %q, want unknown", nr, got)
		}
	}
	n := 0
	Each(func(int, string) { n++ })
	// As many as libbpf-tools' compiled-in table has.
	if n != 420 {
		t.Errorf("%d names, want 420", n)
	}
}
