package uprobe

import (
	"os"
	"testing"
)

func TestFindLibc(t *testing.T) {
	p, err := FindBinary(os.Getpid(), "c")
	if err != nil {
		// A static test binary maps no libc: the linker's directories must still have it.
		if p, err = FindBinary(0, "c"); err != nil {
			t.Skip("no libc here:", err)
		}
	}
	off, err := FuncOffset(p, "malloc")
	if err != nil {
		t.Fatal(err)
	}
	if off == 0 {
		t.Fatalf("malloc at offset 0 in %s", p)
	}
	if _, err := FuncOffset(p, "no_such_function_here"); err == nil {
		t.Fatal("a missing function was found")
	}
}

func TestFindBinaryErrors(t *testing.T) {
	if _, err := FindBinary(0, "/no/such/file"); err == nil {
		t.Fatal("a missing path was found")
	}
	if _, err := FindBinary(0, "surely_no_such_library_xyz"); err == nil {
		t.Fatal("a missing library was found")
	}
}
