package render

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestLineMatchesPrintf(t *testing.T) {
	var l Line
	for _, tc := range []struct {
		got  func() []byte
		want string
	}{
		{func() []byte { return l.Reset().Int(4242, -6).Bytes() }, fmt.Sprintf("%-6d", 4242)},
		{func() []byte { return l.Reset().Int(-1, 3).Bytes() }, fmt.Sprintf("%3d", -1)},
		{func() []byte { return l.Reset().Int(1234567, 3).Bytes() }, fmt.Sprintf("%3d", 1234567)},
		{func() []byte { return l.Reset().Uint(math.MaxUint64, 0).Bytes() }, fmt.Sprintf("%d", uint64(math.MaxUint64))},
		{func() []byte { return l.Reset().Str("bash", -16).Bytes() }, fmt.Sprintf("%-16s", "bash")},
		// C's printf counts bytes: 11 of them already fill a width of 10.
		{func() []byte { return l.Reset().Str("Ünïcödé", 10).Bytes() }, "Ünïcödé"},
		{func() []byte { return l.Reset().Str("é", -4).Byte('|').Bytes() }, "é  |"},
		{func() []byte { return l.Reset().StrMax("kworker/u4:2-events_unbound", -14, 14).Bytes() }, fmt.Sprintf("%-14.14s", "kworker/u4:2-events_unbound")},
		{func() []byte { return l.Reset().StrMax("äöü", 0, 2).Bytes() }, "ä"},
		{func() []byte { return l.Reset().StrMax("äöü", 0, 3).Bytes() }, "ä"}, // never half a character
		{func() []byte { return l.Reset().TextMax([]byte("abcdef"), -5, 3).Byte('|').Bytes() }, "abc  |"},
		{func() []byte { return l.Reset().Text([]byte("/etc/passwd"), 0).Bytes() }, "/etc/passwd"},
		{func() []byte { return l.Reset().Text([]byte("ab"), -4).Byte('|').Bytes() }, fmt.Sprintf("%-4s|", "ab")},
		{func() []byte { return l.Reset().Float(1.5, -11, 6).Bytes() }, fmt.Sprintf("%-11.6f", 1.5)},
		{func() []byte { return l.Reset().Float(0.0123, 7, 3).Bytes() }, fmt.Sprintf("%7.3f", 0.0123)},
		{func() []byte { return l.Reset().Float(-2.5, 8, 3).Bytes() }, fmt.Sprintf("%8.3f", -2.5)},
		{func() []byte {
			return l.Reset().Int(7, -6).Byte(' ').Str("cat", -16).Byte(' ').Int(3, 3).Byte(' ').Int(0, 3).Byte(' ').Str("/x", 0).Byte('\n').Bytes()
		}, fmt.Sprintf("%-6d %-16s %3d %3d %s\n", 7, "cat", 3, 0, "/x")},
	} {
		if got := string(tc.got()); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func TestLineWriteToResets(t *testing.T) {
	var l Line
	var out bytes.Buffer
	l.Str("a", 0).Byte('\n').WriteTo(&out)
	l.Str("b", 0).Byte('\n').WriteTo(&out)
	if out.String() != "a\nb\n" {
		t.Errorf("got %q", out.String())
	}
}

func TestLineDoesNotAllocate(t *testing.T) {
	var l Line
	path := []byte("/var/tmp/some/file")
	l.Str("warm-up", 64).Str("", 64)
	allocs := testing.AllocsPerRun(100, func() {
		l.Reset().Int(4242, -6).Byte(' ').StrMax("comm", -16, 16).Byte(' ').Float(1.25, 7, 3).Byte(' ').Text(path, 0)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per line", allocs)
	}
}

func FuzzLine(f *testing.F) {
	f.Add(int64(42), "comm", 6, 16, 3, 1.5)
	f.Add(int64(-7), "äöü", -6, -16, 8, -0.001)
	f.Fuzz(func(t *testing.T, v int64, s string, iw, sw, prec int, fv float64) {
		iw, sw, prec = iw%40, sw%40, (prec%10+10)%10
		var l Line
		got := string(l.Int(v, iw).Byte('|').Str(s, sw).Byte('|').Float(fv, iw, prec).Bytes())
		// %*s as C pads it, by bytes (Go's fmt counts characters).
		padded := s
		if n := max(sw, -sw) - len(s); n > 0 && sw > 0 {
			padded = strings.Repeat(" ", n) + s
		} else if n > 0 {
			padded = s + strings.Repeat(" ", n)
		}
		want := fmt.Sprintf("%*d|%s|%*.*f", iw, v, padded, iw, prec, fv)
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}
