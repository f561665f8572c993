package signame

import "testing"

func TestName(t *testing.T) {
	for _, tc := range []struct {
		sig  int
		want string
		ok   bool
	}{
		{0, "N/A", true}, {1, "SIGHUP", true}, {9, "SIGKILL", true}, {31, "SIGSYS", true},
		{32, "SIGNAL-32", true}, {64, "SIGNAL-64", true}, {65, "", false}, {-1, "", false},
	} {
		if got, ok := Name(tc.sig); got != tc.want || ok != tc.ok {
			t.Errorf("Name(%d) = %q, %v; want %q, %v", tc.sig, got, ok, tc.want, tc.ok)
		}
	}
}

// TestDescription holds the table to glibc's strsignal() as it printed on the host.
func TestDescription(t *testing.T) {
	for sig, want := range map[int]string{
		0: "Unknown signal 0", 1: "Hangup", 6: "Aborted", 9: "Killed", 11: "Segmentation fault",
		15: "Terminated", 19: "Stopped (signal)", 31: "Bad system call", 32: "Unknown signal 32",
		33: "Unknown signal 33", 34: "Real-time signal 0", 64: "Real-time signal 30",
		65: "Unknown signal 65",
	} {
		if got := Description(sig); got != want {
			t.Errorf("Description(%d) = %q, want %q", sig, got, want)
		}
	}
}
