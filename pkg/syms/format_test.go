package syms

import (
	"fmt"
	"testing"
)

func TestDemangle(t *testing.T) {
	s := New()
	o := &object{}
	for i, tt := range []struct{ in, want string }{
		{"_ZN5outer6Widget4tickEl", "outer::Widget::tick(long)"},
		{"_ZNSt6vectorIiSaIiEE9push_backERKi", "std::vector<int, std::allocator<int> >::push_back(int const&)"},
		{"_ZN4core3ptr13drop_in_place17h1234567890abcdefE", "core::ptr::drop_in_place"}, // Rust legacy: hash dropped
		{"_RNvCs15kBYyAo9fc_7mycrate3foo", "mycrate::foo"},                              // Rust v0
		{"_Zgarbage", "_Zgarbage"},
		{"main", "main"},
	} {
		if got := s.demangle(o, i, tt.in); got != tt.want {
			t.Errorf("demangle(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := s.demangle(o, i, tt.in); got != tt.want {
			t.Errorf("cached demangle(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSymbolFormats(t *testing.T) {
	for _, tt := range []struct {
		sym          Symbol
		str, verbose string
	}{
		{Symbol{Addr: 0x7f0000001234, Name: "read", Offset: 0x14, Known: true, Path: "/usr/lib/libc.so.6", ObjAddr: 0x101234},
			"read", "0x00007f0000001234 read+0x14 (/usr/lib/libc.so.6+0x101234)"},
		{Symbol{Addr: 0x7f0000001234, Path: "/usr/lib/libc.so.6", ObjAddr: 0x101234},
			"[unknown]", "0x00007f0000001234 (/usr/lib/libc.so.6+0x101234)"},
		{Symbol{Addr: 0x10}, "[unknown]", "0x0000000000000010"},
		{Symbol{Addr: 0xffffffff81002005, Name: "schedule", Offset: 5, Known: true, kernel: true},
			"schedule", "0xffffffff81002005 schedule+0x5"},
		{Symbol{Addr: 0xffffffff81002005, kernel: true}, "[unknown]", "0xffffffff81002005 [unknown]"},
	} {
		if got := tt.sym.String(); got != tt.str {
			t.Errorf("String() = %q, want %q", got, tt.str)
		}
		if got := tt.sym.Verbose(); got != tt.verbose {
			t.Errorf("Verbose() = %q, want %q", got, tt.verbose)
		}
	}
}

// Printing a kernel stack as the stack tools do.
func Example() {
	s := NewWithOptions(Options{Kallsyms: "testdata/kallsyms"})
	stack := []uint64{0xffffffffc0200010, 0xffffffff81003010, 0xffffffff81002010, 0xffffffffc0100404, 0}
	for i, f := range s.KernelStack(stack) {
		fmt.Printf("    %s\n", f)
		fmt.Printf("    #%-2d %s\n", i, f.Verbose())
	}
	// Output:
	//     schedule
	//     #0  0xffffffff81002010 schedule+0x10
	//     ext4_file_open
	//     #1  0xffffffffc0100404 ext4_file_open+0x4
}
