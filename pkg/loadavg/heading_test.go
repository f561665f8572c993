package loadavg

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bpfutils/bpfutils/pkg/render"
)

func TestHeading(t *testing.T) {
	path = filepath.Join(t.TempDir(), "loadavg")
	if err := os.WriteFile(path, []byte("0.52 0.58 0.59 2/1024 31337\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)
	for _, tc := range []struct {
		format  render.Format
		noClear bool
		want    string
	}{
		{render.FormatText, false, ClearScreen + "03:04:05 loadavg: 0.52 0.58 0.59 2/1024 31337\n\n"},
		{render.FormatText, true, "03:04:05 loadavg: 0.52 0.58 0.59 2/1024 31337\n\n"},
		{render.FormatJSON, false, ""},
	} {
		var buf bytes.Buffer
		out := render.NewSink("top", tc.format, &buf, io.Discard)
		Heading(out, tc.noClear, at)
		out.Flush()
		if buf.String() != tc.want {
			t.Errorf("format %d, noClear %v: %q, want %q", tc.format, tc.noClear, buf.String(), tc.want)
		}
	}
}
