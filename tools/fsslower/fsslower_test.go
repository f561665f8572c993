package fsslower

import (
	"bytes"
	"io"
	"math"
	"regexp"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/render"
)

func ev(op uint32, size, offset int64, file string) *event {
	e := &event{DeltaUs: 12345, EndNs: 99, Offset: offset, Size: size, Pid: 4242, Op: op}
	copy(e.Task[:], "dd")
	copy(e.File[:], file)
	return e
}

// The lines are libbpf-tools' printf formats, byte for byte.
func TestText(t *testing.T) {
	var buf bytes.Buffer
	out := render.NewSink("fsslower", render.FormatText, &buf, io.Discard)
	recs := records().To(out)
	recs.Header()
	recs.Write(ev(1, 8192, 16384, "data"))
	recs.Write(ev(3, math.MaxInt64, 0, "data"))
	out.Flush()
	want := regexp.MustCompile(`^TIME     COMM             PID     T BYTES   OFF_KB   LAT\(ms\) FILENAME
\d\d:\d\d:\d\d dd               4242    W 8192    16         12.35 data
\d\d:\d\d:\d\d dd               4242    F LL_MAX  0          12.35 data
$`)
	if !want.Match(buf.Bytes()) {
		t.Errorf("got\n%s", buf.String())
	}
}

func TestCSV(t *testing.T) {
	var buf bytes.Buffer
	out := render.NewSink("fsslower", render.FormatText, &buf, io.Discard)
	writeCSV(out, ev(0, 4096, 4096, "a\x1bb"))
	writeCSV(out, ev(3, math.MaxInt64, 0, "f"))
	out.Flush()
	want := "99,dd,4242,R,4096,4096,12345,a\\x1bb\n99,dd,4242,F,LL_MAX,0,12345,f\n"
	if buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}

func TestJSON(t *testing.T) {
	var buf bytes.Buffer
	out := render.NewSink("fsslower", render.FormatJSON, &buf, io.Discard)
	recs := records().To(out)
	recs.Write(ev(3, math.MaxInt64, 0, "data"))
	out.Flush()
	want := regexp.MustCompile(`"comm":"dd","pid":4242,"op":"fsync","bytes":null,"offset":0,"latency_us":12345,"file":"data"}`)
	if !want.Match(buf.Bytes()) {
		t.Errorf("got %s", buf.String())
	}
}
