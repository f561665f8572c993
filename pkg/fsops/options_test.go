package fsops

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestCheck(t *testing.T) {
	if err := Check(nil); !errors.Is(err, ErrNoType) {
		t.Errorf("Check(nil) = %v, want ErrNoType", err)
	}
	path := filepath.Join(t.TempDir(), "filesystems")
	os.WriteFile(path, []byte("\text4\n"), 0o644)
	defer func(old string) { procFilesystems = old }(procFilesystems)
	procFilesystems = path
	ext4, _ := Lookup("ext4")
	xfs, _ := Lookup("xfs")
	if err := Check(ext4); err != nil {
		t.Errorf("Check(ext4) = %v", err)
	}
	if err := Check(xfs); err == nil {
		t.Error("Check(xfs) passed on a kernel without xfs")
	}
}

func TestAliases(t *testing.T) {
	aliases := Aliases("dist", "Summarize %s operations latency.")
	if len(aliases) != len(Filesystems) {
		t.Fatalf("%d aliases, want %d", len(aliases), len(Filesystems))
	}
	a := aliases[1]
	if a.Name != "ext4dist" || len(a.Args) != 2 || a.Args[0] != "-t" || a.Args[1] != "ext4" || a.Usage != "Summarize ext4 operations latency." {
		t.Errorf("ext4's alias: %+v", a)
	}
}
