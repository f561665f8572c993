package gethostlatency

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/render"
)

// TestLine: libbpf-tools' row, "%-8s %-7d %-16s %-10.3f %-s", with the host's control bytes
// escaped; writing allocates nothing.
func TestLine(t *testing.T) {
	e := event{LatencyNs: 1234567, Pid: 42}
	copy(e.Comm[:], "curl")
	copy(e.Host[:], "evil\x1b[2J.example")
	var out bytes.Buffer
	sink := render.NewSink("gethostlatency", render.FormatText, &out, io.Discard)
	recs := records().To(sink)
	recs.Write(&e)
	sink.Flush()
	want := regexp.MustCompile(`^\d\d:\d\d:\d\d ` + regexp.QuoteMeta(fmt.Sprintf("%-7d %-16s %-10.3f %s\n", 42, "curl", 1.235, `evil\x1b[2J.example`)) + `$`)
	if !want.MatchString(out.String()) {
		t.Errorf("got %q, want %s", out.String(), want)
	}
	if n := testing.AllocsPerRun(100, func() { recs.Write(&e) }); n != 0 {
		t.Errorf("%v allocations per line", n)
	}
}
