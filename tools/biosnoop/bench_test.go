package biosnoop

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/blockdev"
	"github.com/bpfutils/bpfutils/pkg/render"
)

func BenchmarkPrint(b *testing.B) {
	disks, _ := blockdev.Parse(strings.NewReader("254 0 1000 vda\n"))
	var sink bytes.Buffer
	out := render.NewSink("biosnoop", render.FormatText, &sink, io.Discard)
	p := records(&config{}, disks).To(out)
	e := event{Ts: 1, Delta: 123456, Sector: 8, Len: 4096, Pid: 9, CmdFlags: 1, Dev: blockdev.MkDev(254, 0), Comm: comm("dd")}
	for i := 0; i < b.N; i++ {
		p.Write(&e)
		if sink.Len() > 1<<20 {
			out.Flush()
			sink.Reset()
		}
	}
}

func BenchmarkPrintJSON(b *testing.B) {
	disks, _ := blockdev.Parse(strings.NewReader("254 0 1000 vda\n"))
	out := render.NewSink("biosnoop", render.FormatJSON, io.Discard, io.Discard)
	p := records(&config{}, disks).To(out)
	e := event{Ts: 1, Delta: 123456, Sector: 8, Len: 4096, Pid: 9, CmdFlags: 1, Dev: blockdev.MkDev(254, 0), Comm: comm("dd")}
	for i := 0; i < b.N; i++ {
		p.Write(&e)
	}
}
