package app

import (
	"bytes"
	"io"
	"testing"
	"unsafe"

	"github.com/bpfutils/bpfutils/pkg/render"
)

// WriteEvents writes each record whole enough to hold its event, and drops shorter ones.
func TestWriteEvents(t *testing.T) {
	type event struct{ N uint64 }
	var out bytes.Buffer
	sink := render.NewSink("test", render.FormatText, &out, io.Discard)
	recs := render.NewRecords(render.KindEvent,
		render.Uint("N", 0, "n", func(e *event) uint64 { return e.N })).To(sink)
	handle := WriteEvents(recs, unsafe.Sizeof(event{}))
	handle([]byte{7, 0, 0, 0, 0, 0, 0, 0, 0xff})
	handle([]byte{8, 0, 0, 0})
	handle([]byte{9, 0, 0, 0, 0, 0, 0, 0})
	sink.Flush()
	if out.String() != "7\n9\n" {
		t.Errorf("wrote %q, want \"7\\n9\\n\"", out.String())
	}
}
