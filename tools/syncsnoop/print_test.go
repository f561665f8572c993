package syncsnoop

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/render"
)

func TestPrint(t *testing.T) {
	var got bytes.Buffer
	sink := render.NewSink("syncsnoop", render.FormatText, &got, io.Discard)
	recs := records().To(sink)
	recs.Header()
	e := event{TsNs: 10380371093750 + 123, Call: 2, Comm: [16]byte{'b', 'e', 'n', 'c', 'h'}}
	recs.Write(&e)
	e.Call = 99
	recs.Write(&e)
	sink.Flush()
	// libbpf-tools divides microseconds as a C float.
	secs := float32(e.TsNs/1000) / 1000000
	want := fmt.Sprintf("%-18s %-16s %s\n", "TIME(s)", "COMM", "CALL") +
		fmt.Sprintf("%-18.9f %-16s %-16s\n", secs, "bench", "fsync") +
		fmt.Sprintf("%-18.9f %-16s %-16s\n", secs, "bench", "N/A")
	if got.String() != want {
		t.Errorf("got\n%q\nwant\n%q", got.String(), want)
	}
}

func TestPrintAllocatesNothing(t *testing.T) {
	for _, format := range []render.Format{render.FormatText, render.FormatJSON} {
		recs := records().To(render.NewSink("syncsnoop", format, io.Discard, io.Discard))
		e := event{TsNs: 1e9, Pid: 1, Call: 1}
		if n := testing.AllocsPerRun(1000, func() { recs.Write(&e) }); n != 0 {
			t.Errorf("format %d: %v allocations per row", format, n)
		}
	}
}
