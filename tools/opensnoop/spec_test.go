package opensnoop

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestSpecFlagFilter: repeated -f add up, and any -f turns the filter on, even for a flag
// without a bit of its own on this architecture (O_LARGEFILE on x86-64).
func TestSpecFlagFilter(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want rodata
	}{
		{nil, rodata{UID: ^uint32(0)}},
		{[]string{"-f", "O_WRONLY", "-f", "O_RDWR,O_RDONLY"},
			rodata{UID: ^uint32(0), FlagFilter: true, FlagsAny: unix.O_WRONLY | unix.O_RDWR, FlagsRdonly: true}},
		{[]string{"-f", "O_LARGEFILE"}, rodata{UID: ^uint32(0), FlagFilter: true, FlagsAny: unix.O_LARGEFILE}},
		{[]string{"-p", "181", "-t", "182", "-u", "1000", "-xFc"},
			rodata{Tgid: 181, Pid: 182, UID: 1000, Failed: true, FullPath: true, Callers: true}},
	} {
		s, err := Tool.Spec(tc.args)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if got := s.Rodata.(rodata); got != tc.want {
			t.Errorf("%v: rodata %+v, want %+v", tc.args, got, tc.want)
		}
	}
}
