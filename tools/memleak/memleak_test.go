package memleak

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bpfutils/bpfutils/pkg/syms"
)

// Frames print as libbpf-tools memleak prints them, traced strings escaped unless --raw.
func TestWriteFrame(t *testing.T) {
	cases := []struct {
		f      syms.Symbol
		kernel bool
		raw    bool
		want   string
	}{
		{syms.Symbol{Addr: 0xffffffff8163eab7, Name: "__alloc_pages", Offset: 0x2b7, Known: true}, true, false,
			"\t3 [<ffffffff8163eab7>] __alloc_pages+0x2b7\n"},
		{syms.Symbol{Addr: 0xffffffffc0001234}, true, false, "\t3 [<ffffffffc0001234>] <null sym>\n"},
		{syms.Symbol{Addr: 0x563ee426e244, Name: "leak_here", Offset: 0x1b, Known: true, Path: "/tmp/leaker"}, false, false,
			"\t3 [<0000563ee426e244>] leak_here+0x1b [/tmp/leaker]\n"},
		{syms.Symbol{Addr: 0x7f73ae27524a, Path: "/usr/lib/libc.so.6"}, false, false, "\t3 [<00007f73ae27524a>] [/usr/lib/libc.so.6]\n"},
		{syms.Symbol{Addr: 0xbe552274c0854800}, false, false, "\t3 [<be552274c0854800>] <null sym>\n"},
		{syms.Symbol{Addr: 1, Name: "f\x1b[2J", Known: true, Path: "/tmp/x\n"}, false, false, "\t3 [<0000000000000001>] f\\x1b[2J+0x0 [/tmp/x\\n]\n"},
		{syms.Symbol{Addr: 1, Name: "f\x1b[2J", Known: true, Path: "/tmp/x"}, false, true, "\t3 [<0000000000000001>] f\x1b[2J+0x0 [/tmp/x]\n"},
	}
	for _, c := range cases {
		var b strings.Builder
		writeFrame(&b, 3, c.f, c.kernel, c.raw)
		if b.String() != c.want {
			t.Errorf("%+v: got %q, want %q", c.f, b.String(), c.want)
		}
	}
}

func TestParseAge(t *testing.T) {
	if d, err := parseAge("60000"); err != nil || d != time.Minute {
		t.Errorf("60000: %v %v", d, err)
	}
	for _, bad := range []string{"0", "-1", "x", "9223372036855"} {
		if _, err := parseAge(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Each allocator function has its programs in the object's manual list once.
func TestUprobePrograms(t *testing.T) {
	progs := uprobePrograms()
	if len(progs) != 10 {
		t.Errorf("%d programs: %v", len(progs), progs)
	}
	for _, a := range allocators {
		if !strings.Contains(strings.Join(progs, " "), a.enter) {
			t.Errorf("%s's %s not listed", a.fn, a.enter)
		}
	}
}

func TestKernelFunctions(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/kallsyms"
	os.WriteFile(path, []byte(`ffffffff8155c7a0 t __pfx_alloc_bulk
ffffffff8155c7c0 t alloc_bulk
ffffffff8155ca90 t __pfx_bpf_mem_refill
ffffffff8155caa0 t bpf_mem_refill
ffffffff8155cc00 T other
ffffffffc0001000 t alloc_bulk	[mod]
`), 0o644)
	got := kernelFunctions(path, refillFunctions)
	want := [2]addressRange{{0xffffffff8155c7c0, 0xffffffff8155ca90}, {0xffffffff8155caa0, 0xffffffff8155cc00}}
	if got != want {
		t.Errorf("got %x, want %x", got, want)
	}
	os.WriteFile(path, []byte("0000000000000000 t alloc_bulk\n0000000000000000 t next\n"), 0o644)
	if got := kernelFunctions(path, refillFunctions); got != ([2]addressRange{}) {
		t.Errorf("hidden addresses: %x", got)
	}
}
