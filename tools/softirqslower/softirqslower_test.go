package softirqslower

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/tools/softirqs"
)

func comm(s string) (c [16]byte) {
	copy(c[:15], s)
	return c
}

var events = []event{
	{DeltaUs: 12345, Stage: 0, Vec: 4, CPU: 1, Comm: comm("swapper/1")},
	{DeltaUs: 1, Stage: 1, Vec: 9, CPU: 0, Comm: comm("exactly-15-char")},
	{DeltaUs: 123456789012345678, Stage: 7, Vec: 12, CPU: 4095, Comm: comm("k\xffworker")},
}

// TestPrintMatchesCFormat holds the declared lines to libbpf-tools' printf formats, which Go's
// fmt renders the same way for these verbs, with the comm escaped as text escapes traced bytes
// (k\xffworker); the clock, read at each line, is compared by shape.
func TestPrintMatchesCFormat(t *testing.T) {
	var got, want bytes.Buffer
	out := render.NewSink("softirqslower", render.FormatText, &got, io.Discard)
	recs := records().To(out)
	recs.Header()
	for i := range events {
		recs.Write(&events[i])
	}
	out.Flush()
	fmt.Fprintf(&want, "%-8s %-20s %-8s %-14s %-6s %-16s\n", "TIME", "STAGE", "SOFTIRQ", "LAT(us)", "CPU", "COMM")
	for _, e := range events {
		fmt.Fprintf(&want, "%-8s %-20s %-8s %-14d %-6d %-16s\n", "HH:MM:SS", name(stages, e.Stage),
			name(softirqs.Vectors, e.Vec), e.DeltaUs, e.CPU, render.Escape(string(bytes.TrimRight(e.Comm[:], "\x00"))))
	}
	gotLines, wantLines := strings.Split(got.String(), "\n"), strings.Split(want.String(), "\n")
	if len(gotLines) != len(wantLines) || gotLines[0] != wantLines[0] {
		t.Fatalf("got:\n%s\nwant:\n%s", got.String(), want.String())
	}
	for i := 1; i < len(wantLines)-1; i++ {
		g := gotLines[i]
		if len(g) < 8 || g[2] != ':' || g[5] != ':' || strings.Trim(g[:8], "0123456789:") != "" || g[8:] != wantLines[i][8:] {
			t.Errorf("line %d: got %q, want %q", i, g, wantLines[i])
		}
	}
}

func TestPrintDoesNotAllocate(t *testing.T) {
	for _, format := range []render.Format{render.FormatText, render.FormatJSON} {
		recs := records().To(render.NewSink("softirqslower", format, io.Discard, io.Discard))
		if n := testing.AllocsPerRun(1000, func() { recs.Write(&events[0]) }); n != 0 {
			t.Errorf("format %d: %v allocations per event", format, n)
		}
	}
}

// TestJSONLine: one object per event, without the text's clock (the line's time says it).
func TestJSONLine(t *testing.T) {
	var got bytes.Buffer
	out := render.NewSink("softirqslower", render.FormatJSON, &got, io.Discard)
	out.Now = func() time.Time { return time.Date(2026, 12, 6, 5, 0, 0, 123, time.UTC) }
	recs := records().To(out)
	recs.Header()
	recs.Write(&events[0])
	recs.Write(&events[2])
	out.Flush()
	want := `{"type":"event","tool":"softirqslower","time":"2026-12-06T05:00:00.000000123Z","stage":"irq(hard) to softirq","vector":"block","latency_us":12345,"cpu":1,"comm":"swapper/1"}` + "\n" +
		`{"type":"event","tool":"softirqslower","time":"2026-12-06T05:00:00.000000123Z","stage":"unknown","vector":"unknown","latency_us":123456789012345678,"cpu":4095,"comm":"k` + "\ufffd" + `worker","comm_b64":"a/93b3JrZXI="}` + "\n"
	if got.String() != want {
		t.Errorf("got  %s\nwant %s", got.String(), want)
	}
	for _, l := range bytes.Split(bytes.TrimSuffix(got.Bytes(), []byte("\n")), []byte("\n")) {
		if !json.Valid(l) {
			t.Errorf("not valid JSON: %s", l)
		}
	}
}
