package syms

import (
	"io/fs"
	"path/filepath"
	"syscall"
	"testing"
)

// The capability named for a mapped file that could not be opened follows from how each way of
// opening it failed.
func TestMissingCapability(t *testing.T) {
	noProc := filepath.Join(t.TempDir(), "1") // its root/ is not there: not a permission matter
	for _, c := range []struct {
		name                     string
		deleted                  bool
		rootErr, mapErr, hostErr error
		want                     string
	}{
		{"on the host, in a closed directory", false, syscall.EACCES, syscall.EACCES, syscall.EACCES, "CAP_DAC_READ_SEARCH"},
		{"deleted", true, nil, syscall.EPERM, fs.ErrNotExist, "CAP_CHECKPOINT_RESTORE, CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH"},
		{"in a container whose root is open", false, syscall.EACCES, syscall.EACCES, fs.ErrNotExist, "CAP_DAC_READ_SEARCH"},
		{"gone", false, fs.ErrNotExist, fs.ErrNotExist, fs.ErrNotExist, ""},
	} {
		if got := missingCapability(noProc, c.deleted, c.rootErr, c.mapErr, c.hostErr); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
