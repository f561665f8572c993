package readahead

import (
	"bytes"
	"io"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/render"
)

func TestSummaryMatchesCFormat(t *testing.T) {
	var got bytes.Buffer
	out := render.NewSink("readahead", render.FormatText, &got, io.Discard)
	counts().To(out).Write(&pageCounts{Unused: 12, Total: 3456})
	out.Flush()
	if want := "Readahead unused/total pages: 12/3456\n"; got.String() != want {
		t.Errorf("got %q, want %q", got.String(), want)
	}
}

func TestSummaryJSON(t *testing.T) {
	var got bytes.Buffer
	out := render.NewSink("readahead", render.FormatJSON, &got, io.Discard)
	counts().To(out).Write(&pageCounts{Unused: 12, Total: 3456})
	out.Flush()
	if !bytes.Contains(got.Bytes(), []byte(`"unused_pages":12,"total_pages":3456}`)) {
		t.Errorf("got %s", got.String())
	}
}

func TestParseDuration(t *testing.T) {
	for _, bad := range []string{"0", "-1", "x", ""} {
		if _, err := parseDuration(bad); err == nil {
			t.Errorf("-d %q accepted", bad)
		}
	}
	if d, err := parseDuration("10"); err != nil || d.Seconds() != 10 {
		t.Errorf("-d 10: %v %v", d, err)
	}
}
