package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	cProgramsMu    sync.Mutex
	cProgramsBuilt = map[string]string{}
	cProgramsDir   string
)

// cProgram is testdata/NAME.c built into an executable: by gcc here, once per test run
// (frame pointers kept, so user stacks unwind), or prebuilt in BPFUTILS_CPROGS where there is
// no compiler (the qemu guests: scripts/vmtest.sh builds every testdata/*.c statically).
func cProgram(t *testing.T, name string) string {
	t.Helper()
	if dir := os.Getenv("BPFUTILS_CPROGS"); dir != "" {
		return filepath.Join(dir, name)
	}
	cProgramsMu.Lock()
	defer cProgramsMu.Unlock()
	if bin, ok := cProgramsBuilt[name]; ok {
		return bin
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc not installed (scripts/setup.sh installs it)")
	}
	if cProgramsDir == "" {
		dir, err := os.MkdirTemp("", "bpfutils-cprogs-")
		if err != nil {
			t.Fatal(err)
		}
		cProgramsDir = dir
	}
	bin := filepath.Join(cProgramsDir, name)
	cmd := exec.Command("gcc", "-O0", "-g", "-fno-omit-frame-pointer", "-pthread", "-o", bin, filepath.Join("testdata", name+".c"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gcc %s.c: %v\n%s", name, err, out)
	}
	cProgramsBuilt[name] = bin
	return bin
}
