package syms

import (
	"strings"
	"testing"
)

func TestParseMapsLine(t *testing.T) {
	tests := []struct {
		line string
		ok   bool
		want mapping
	}{
		{"55d0c6a00000-55d0c6a22000 r-xp 00002000 fe:01 1311234    /usr/bin/cat", true,
			mapping{start: 0x55d0c6a00000, end: 0x55d0c6a22000, off: 0x2000, dev: 0xfe<<32 | 1, ino: 1311234, path: "/usr/bin/cat"}},
		{"7f00-8f00 r-xp 00000000 00:00 0                          [vdso]", true,
			mapping{start: 0x7f00, end: 0x8f00, path: "[vdso]"}},
		{"7f00-8f00 r-xp 00001000 103:02 42 /tmp/with space/a.out (deleted)", true,
			mapping{start: 0x7f00, end: 0x8f00, off: 0x1000, dev: 0x103<<32 | 2, ino: 42, path: "/tmp/with space/a.out (deleted)"}},
		{"7f00-8f00 rwxp 00000000 00:00 0", true, mapping{start: 0x7f00, end: 0x8f00}},
		{"7f00-8f00 r--p 00000000 fe:01 12 /usr/lib/libc.so.6", false, mapping{}},
		{"7f00-8f00 r-xp 00000000 fe:01", false, mapping{}},
		{"zz-8f00 r-xp 00000000 fe:01 12 /x", false, mapping{}},
		{"8f00-7f00 r-xp 00000000 fe:01 12 /x", false, mapping{}},
		{"", false, mapping{}},
	}
	for _, tt := range tests {
		got, ok := parseMapsLine([]byte(tt.line))
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("parseMapsLine(%q) = %+v, %v; want %+v, %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}

func TestFindMapping(t *testing.T) {
	ms, err := parseMaps(strings.NewReader(
		"1000-2000 r-xp 00000000 fe:01 1 /a\n" +
			"2000-3000 r--p 00000000 fe:01 1 /a\n" +
			"5000-6000 r-xp 00000000 fe:01 2 /b\n"))
	if err != nil || len(ms) != 2 {
		t.Fatalf("parseMaps: %d mappings, %v", len(ms), err)
	}
	for addr, want := range map[uint64]int{0xfff: -1, 0x1000: 0, 0x1fff: 0, 0x2000: -1, 0x5000: 1, 0x6000: -1} {
		if got := findMapping(ms, addr); got != want {
			t.Errorf("findMapping(%#x) = %d, want %d", addr, got, want)
		}
	}
}

func FuzzParseMapsLine(f *testing.F) {
	f.Add("55d0c6a00000-55d0c6a22000 r-xp 00002000 fe:01 1311234    /usr/bin/cat")
	f.Add("7f00-8f00 r-xp 00000000 00:00 0 [vdso]")
	f.Fuzz(func(t *testing.T, line string) {
		m, ok := parseMapsLine([]byte(line))
		if ok && m.end <= m.start {
			t.Errorf("parseMapsLine(%q) = %+v", line, m)
		}
	})
}
