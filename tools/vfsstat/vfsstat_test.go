package vfsstat

import (
	"bytes"
	"io"
	"regexp"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/render"
)

// Header and rows are libbpf-tools' "%-8s  " + 8 × " %6s/s" and "%-8s: " + 8 × " %8llu".
func TestText(t *testing.T) {
	var buf bytes.Buffer
	out := render.NewSink("vfsstat", render.FormatText, &buf, io.Discard)
	recs := records(&config{}).To(out)
	recs.Header()
	recs.Write(&row{Rates: [numStats]uint64{20843, 1757, 0, 10253, 235, 67, 166, 123456789}})
	out.Flush()
	want := regexp.MustCompile(`^TIME         READ/s  WRITE/s  FSYNC/s   OPEN/s CREATE/s UNLINK/s  MKDIR/s  RMDIR/s
\d\d:\d\d:\d\d:     20843     1757        0    10253      235       67      166 123456789
$`)
	if !want.Match(buf.Bytes()) {
		t.Errorf("got\n%s", buf.String())
	}
}

func TestJSON(t *testing.T) {
	var buf bytes.Buffer
	out := render.NewSink("vfsstat", render.FormatJSON, &buf, io.Discard)
	records(&config{}).To(out).Write(&row{Rates: [numStats]uint64{1, 2, 3, 4, 5, 6, 7, 8}})
	out.Flush()
	want := `"read_per_sec":1,"write_per_sec":2,"fsync_per_sec":3,"open_per_sec":4,"create_per_sec":5,"unlink_per_sec":6,"mkdir_per_sec":7,"rmdir_per_sec":8}`
	if !bytes.Contains(buf.Bytes(), []byte(want)) {
		t.Errorf("got %s", buf.String())
	}
}
