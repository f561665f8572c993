package bashreadline

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"regexp"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/render"
)

// TestLineEscaped: the line ends at its NUL, within the record, and its control bytes are
// escaped in text; writing allocates nothing.
func TestLineEscaped(t *testing.T) {
	rec := binary.LittleEndian.AppendUint32(nil, 4242)
	rec = append(rec, "ls \x1b[2J\x00"...)
	var out bytes.Buffer
	sink := render.NewSink("bashreadline", render.FormatText, &out, io.Discard)
	recs := records().To(sink)
	var r record
	if !decode(rec, &r) {
		t.Fatal("record refused")
	}
	recs.Write(&r)
	sink.Flush()
	want := regexp.MustCompile(fmt.Sprintf(`^\d\d:\d\d:\d\d  %-7d %s\n$`, 4242, regexp.QuoteMeta(`ls \x1b[2J`)))
	if !want.MatchString(out.String()) {
		t.Errorf("got %q, want %s", out.String(), want)
	}
	if decode(rec[:4], &r) {
		t.Error("a record without a line was accepted")
	}
	if n := testing.AllocsPerRun(100, func() { decode(rec, &r); recs.Write(&r) }); n != 0 {
		t.Errorf("%v allocations per line", n)
	}
}
