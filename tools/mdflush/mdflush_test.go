package mdflush

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/bpfutils/bpfutils/pkg/render"
)

func TestRowMatchesCFormat(t *testing.T) {
	var got, want bytes.Buffer
	out := render.NewSink("mdflush", render.FormatText, &got, io.Discard)
	recs := records().To(out)
	recs.Header()
	var e event
	e.Pid = 4242
	copy(e.Comm[:], "jbd2/md0-8")
	copy(e.Disk[:], "md0")
	before := time.Now().Format("15:04:05")
	recs.Write(&e)
	out.Flush()
	fmt.Fprintf(&want, "%-8s %-7s %-16s %-s\n%-8s %-7d %-16s %-s\n", "TIME", "PID", "COMM", "DEVICE", before, 4242, "jbd2/md0-8", "md0")
	if got.String() != want.String() && time.Now().Format("15:04:05") == before {
		t.Errorf("got\n%q\nwant\n%q", got.String(), want.String())
	}
}
