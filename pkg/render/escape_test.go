package render

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
	"unsafe"
)

// unescape reads escaped text back to the bytes it stands for; anything the scheme cannot have
// written is an error.
func unescape(s string) ([]byte, error) {
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			out = append(out, s[i])
			continue
		}
		if i+1 >= len(s) {
			return nil, errors.New("backslash at the end")
		}
		i++
		switch s[i] {
		case '\\':
			out = append(out, '\\')
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case 'r':
			out = append(out, '\r')
		case 'x':
			if i+2 >= len(s) {
				return nil, errors.New("short \\x escape")
			}
			v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil || strings.ToLower(s[i+1:i+3]) != s[i+1:i+3] {
				return nil, errors.New("bad \\x escape " + s[i+1:i+3])
			}
			out = append(out, byte(v))
			i += 2
		default:
			return nil, errors.New("unknown escape \\" + s[i:i+1])
		}
	}
	return out, nil
}

var escapeCases = []struct{ in, want string }{
	{"", ""},
	{"bash", "bash"},
	{"/var/tmp/a b/ü€😀", "/var/tmp/a b/ü€😀"}, // printable UTF-8 is left as it is
	{"\ufffd", "\ufffd"},               // U+FFFD itself is a valid character
	{"\u00a0\u00ff", "\u00a0\u00ff"},   // the first characters past C1
	{"evil\x1b[2J\n", `evil\x1b[2J\n`}, // ESC as \x1b, newline as \n
	{"a\tb\rc", `a\tb\rc`},             // tab, carriage return
	{`C:\dir\n`, `C:\\dir\\n`},         // a backslash is always escaped
	{"\x00\x01\x07\x08\x0b\x0c\x1f\x7f", `\x00\x01\x07\x08\x0b\x0c\x1f\x7f`},
	{"\u0080x\u009by", `\xc2\x80x\xc2\x9by`}, // C1 (U+009B is CSI): each byte
	{"k\xffworker", `k\xffworker`},           // a byte that is no UTF-8
	{"\xe2\x82", `\xe2\x82`},                 // a character cut short
	{"\xed\xa0\x80", `\xed\xa0\x80`},         // a surrogate, which UTF-8 cannot encode
	{"\xc0\xaf", `\xc0\xaf`},                 // an overlong encoding of '/'
	{" ~", " ~"},
}

func TestEscape(t *testing.T) {
	for _, tc := range escapeCases {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := string(AppendText([]byte("x"), []byte(tc.in))); got != "x"+tc.want {
			t.Errorf("AppendText(%q) = %q, want %q", tc.in, got, "x"+tc.want)
		}
		if back, err := unescape(tc.want); err != nil || string(back) != tc.in {
			t.Errorf("%q reads back as %q (%v), want %q", tc.want, back, err, tc.in)
		}
	}
}

// TestEscapeCleanIsFree: a string with nothing to escape comes back as it is, not copied.
func TestEscapeCleanIsFree(t *testing.T) {
	s := strings.Repeat("kworker/u4:2-ü", 4)
	if n := testing.AllocsPerRun(100, func() { _ = Escape(s) }); n != 0 {
		t.Errorf("%v allocations escaping a clean string", n)
	}
	if got := Escape(s); got != s || unsafe.StringData(got) != unsafe.StringData(s) {
		t.Errorf("Escape copied a clean string")
	}
}

// TestLineText: Text and TextString escape, pad by the bytes written and cut before escaping;
// a raw line writes the bytes as they are.
func TestLineText(t *testing.T) {
	var l Line
	for _, tc := range []struct {
		got  func() []byte
		want string
	}{
		{func() []byte { return l.Reset().Text([]byte("a\nb"), -8).Byte('|').Bytes() }, `a\nb    |`},
		{func() []byte { return l.Reset().Text([]byte("a\nb"), 8).Byte('|').Bytes() }, `    a\nb|`},
		{func() []byte { return l.Reset().Text([]byte("\x1b[2J"), 2).Byte('|').Bytes() }, `\x1b[2J|`},
		{func() []byte { return l.Reset().TextString("sym\x9b", -9).Byte('|').Bytes() }, `sym\x9b  |`},
		{func() []byte { return l.Reset().TextString("ok", -4).Byte('|').Bytes() }, "ok  |"},
		// %.4s of the traced bytes, then escaped: the value is wider than 4.
		{func() []byte { return l.Reset().TextMax([]byte("\x1b\x1b\x1b\x1b\x1b"), -4, 4).Byte('|').Bytes() }, `\x1b\x1b\x1b\x1b|`},
		// Bytes that belong to no character are cut as bytes, not dropped with the cut.
		{func() []byte { return l.Reset().TextMax([]byte("\x80\x80\x80\x80\x80\x80"), 0, 4).Bytes() }, `\x80\x80\x80\x80`},
		{func() []byte { return l.Reset().TextMax([]byte("ab\xe2\x82\xac"), 0, 4).Bytes() }, "ab"},
		{func() []byte { return l.Reset().TextMax([]byte("ab\xe2\x82\xe2\x82"), 0, 4).Bytes() }, `ab\xe2\x82`},
	} {
		if got := string(tc.got()); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
	raw := Line{raw: true}
	if got := string(raw.Text([]byte("a\x1b[2J\nb\\"), -12).Byte('|').Bytes()); got != "a\x1b[2J\nb\\    |" {
		t.Errorf("raw line: %q", got)
	}
}

type hostile struct{ comm, path []byte }

func hostileRecords() *Records[hostile] {
	return NewRecords(KindEvent,
		Text("COMM", -16, "comm", func(h *hostile) []byte { return h.comm }),
		Text("PATH", 0, "path", func(h *hostile) []byte { return h.path }),
	)
}

// TestRecordsTextEscaped: a Text column escapes in text, not under --raw (Sink.Raw), and never in
// JSON, which has its own escaping.
func TestRecordsTextEscaped(t *testing.T) {
	h := hostile{comm: []byte("x\x1b]0;pwned\x07"), path: []byte("/tmp/\x1b[2J\nfake line")}
	render := func(f Format, raw bool) string {
		var buf bytes.Buffer
		out := NewSink("t", f, &buf, io.Discard)
		out.Now = func() time.Time { return time.Unix(0, 0).UTC() }
		out.Raw = raw
		recs := hostileRecords().To(out)
		recs.Write(&h)
		out.Flush()
		return buf.String()
	}
	if got, want := render(FormatText, false), `x\x1b]0;pwned\x07 /tmp/\x1b[2J\nfake line`+"\n"; got != want {
		t.Errorf("text %q, want %q", got, want)
	}
	if got, want := render(FormatText, true), "x\x1b]0;pwned\x07      /tmp/\x1b[2J\nfake line\n"; got != want {
		t.Errorf("raw text %q, want %q", got, want)
	}
	want := `{"type":"event","tool":"t","time":"1970-01-01T00:00:00Z","comm":"x\u001b]0;pwned\u0007","path":"/tmp/\u001b[2J\nfake line"}` + "\n"
	for _, raw := range []bool{false, true} {
		if got := render(FormatJSON, raw); got != want {
			t.Errorf("JSON (raw %v) %s, want %s", raw, got, want)
		}
	}
}

// TestRecordsTextDoesNotAllocate: escaping writes into the line's buffer, clean or not.
func TestRecordsTextDoesNotAllocate(t *testing.T) {
	recs := hostileRecords().To(NewSink("t", FormatText, io.Discard, io.Discard))
	for _, h := range []hostile{
		{comm: []byte("bash"), path: []byte("/etc/passwd")},
		{comm: []byte("\x1b[31mred"), path: []byte(strings.Repeat("\x1b[2J\n\xff", 100))},
	} {
		recs.Write(&h) // grows the line once
		if n := testing.AllocsPerRun(100, func() { recs.Write(&h) }); n != 0 {
			t.Errorf("%q: %v allocations per record", h.comm, n)
		}
	}
}

// TestHistogramText: a comm in a caption (Sink.Escape, TaskKey.Hist) and in a histogram's axis
// (cpufreq's) is escaped, and as it is under --raw; JSON labels carry the exact string.
func TestHistogramText(t *testing.T) {
	comm := "a\x1b[2J\nb"
	for _, raw := range []bool{false, true} {
		var text, js bytes.Buffer
		out := NewSink("runqlat", FormatText, &text, io.Discard)
		out.Raw = raw
		key := TaskKey("pid")
		h := key.Hist(out, 42, []byte(comm), []uint64{0, 1})
		out.Histogram(key.Histograms("usecs"), &h)
		out.Histogram(&Histograms{Unit: "MHz", Axis: comm, Linear: true, Step: 200}, &Hist{Counts: []uint64{1}})
		out.Flush()
		shown := `a\x1b[2J\nb`
		if raw {
			shown = comm
		}
		if want := "\npid = 42 " + shown + "\n"; !strings.HasPrefix(text.String(), want) {
			t.Errorf("raw %v: caption in %q, want %q", raw, text.String(), want)
		}
		if want := "     " + shown + strings.Repeat(" ", 13-len(shown)) + " : count"; !strings.Contains(text.String(), want) {
			t.Errorf("raw %v: axis in %q, want %q", raw, text.String(), want)
		}
		out = NewSink("runqlat", FormatJSON, &js, io.Discard)
		out.Raw = raw
		h = key.Hist(out, 42, []byte(comm), []uint64{0, 1})
		out.Histogram(key.Histograms("usecs"), &h)
		out.Flush()
		if want := `"labels":{"pid":"42","comm":"a\u001b[2J\nb"}`; !strings.Contains(js.String(), want) {
			t.Errorf("raw %v: JSON %s, want %s", raw, js.String(), want)
		}
	}
}

func FuzzEscape(f *testing.F) {
	for _, tc := range escapeCases {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out := Escape(string(in))
		if !utf8.ValidString(out) {
			t.Fatalf("%q: %q is not valid UTF-8", in, out)
		}
		for _, r := range out {
			if r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f {
				t.Fatalf("%q: %q holds control character %U", in, out, r)
			}
		}
		back, err := unescape(out)
		if err != nil || !bytes.Equal(back, in) {
			t.Fatalf("%q: %q reads back as %q (%v)", in, out, back, err)
		}
		if got := AppendText(nil, in); string(got) != out {
			t.Fatalf("%q: AppendText %q, Escape %q", in, got, out)
		}
		var l Line
		if got := l.Text(in, 0).Bytes(); string(got) != out {
			t.Fatalf("%q: Line.Text %q, Escape %q", in, got, out)
		}
		clean := utf8.Valid(in) && !bytes.ContainsFunc(in, func(r rune) bool {
			return r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f || r == '\\'
		})
		if clean != (out == string(in)) {
			t.Fatalf("%q: clean %v, escaped %q", in, clean, out)
		}
	})
}

// BenchmarkLineText: the cost of a clean path (one scan, one append) and of an escaped one.
func BenchmarkLineText(b *testing.B) {
	for _, bc := range []struct{ name, s string }{
		{"clean", "/usr/lib/x86_64-linux-gnu/libc.so.6"},
		{"utf8", "/home/jürgen/Übersicht/日本語.txt"},
		{"hostile", "/tmp/\x1b[2J\nfake line\x9b"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := []byte(bc.s)
			var l Line
			for i := 0; i < b.N; i++ {
				l.Reset().Text(s, -16)
			}
		})
	}
}
