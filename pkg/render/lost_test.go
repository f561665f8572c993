package render

import (
	"bytes"
	"testing"
	"time"
)

// LostWhy: the tool's line on stderr in every format; in JSON also a "lost" line with the count
// and the reason; nothing at all for 0.
func TestLostWhy(t *testing.T) {
	for _, f := range []Format{FormatText, FormatJSON} {
		var out, errb bytes.Buffer
		s := NewSink("biosnoop", f, &out, &errb)
		s.Now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
		s.LostWhy(0, "completion not seen", "0 I/Os not seen completing")
		s.LostWhy(3, "completion not seen", "3 I/Os not seen completing")
		s.Flush()
		if got := errb.String(); got != "3 I/Os not seen completing\n" {
			t.Errorf("format %d: stderr %q", f, got)
		}
		want := ""
		if f == FormatJSON {
			want = `{"type":"lost","tool":"biosnoop","time":"2026-01-02T03:04:05Z","count":3,"reason":"completion not seen"}` + "\n"
		}
		if got := out.String(); got != want {
			t.Errorf("format %d: stdout %q, want %q", f, got, want)
		}
	}
}
