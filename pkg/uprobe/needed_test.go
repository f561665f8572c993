package uprobe

import (
	"os"
	"strings"
	"testing"
)

func TestNeededLibrary(t *testing.T) {
	const prog = "/bin/true"
	if _, err := os.Stat(prog); err != nil {
		t.Skip(err)
	}
	p, err := NeededLibrary(prog, "libc.so")
	if err != nil {
		t.Skipf("%s links no libc (static?): %v", prog, err)
	}
	if !strings.Contains(p, "libc.so") || !isELF(p) {
		t.Fatalf("libc of %s resolved to %q", prog, p)
	}
	if !HasSymbol(p, "malloc") || HasSymbol(p, "no_such_function_here") {
		t.Fatalf("HasSymbol wrong on %s", p)
	}
	if _, err := NeededLibrary(prog, "libsurely-not-linked"); err == nil {
		t.Fatal("a library not linked was found")
	}
}
