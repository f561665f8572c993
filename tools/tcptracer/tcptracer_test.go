package tcptracer

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/inet"
	"github.com/bpfutils/bpfutils/pkg/render"
)

func sample(typ uint8, family uint32, tsUs uint64) event {
	e := event{Type: typ, Family: family, Pid: 4321, Uid: 1000, Sport: 40000, Dport: 443, TsUs: tsUs}
	copy(e.Comm[:], "a-long-command-n")
	if family == inet.AFInet {
		copy(e.Saddr[:], []byte{192, 168, 1, 2})
		copy(e.Daddr[:], []byte{10, 0, 0, 1})
	} else {
		e.Saddr[15], e.Daddr[0], e.Daddr[1], e.Daddr[15] = 1, 0x20, 0x01, 9
	}
	return e
}

func TestRowsMatchCFormat(t *testing.T) {
	var got, want bytes.Buffer
	out := render.NewSink("tcptracer", render.FormatText, &got, io.Discard)
	recs := records(&config{Timestamp: true, PrintUID: true}).To(out)
	recs.Header()
	for _, e := range []event{sample(typeConnect, inet.AFInet, 1_000_000), sample(typeClose, inet.AFInet6, 3_500_000)} {
		recs.Write(&e)
	}
	out.Flush()
	fmt.Fprintf(&want, "%-9s%-6s%s %-6s %-12s %-2s %-16s %-16s %-4s %-4s\n", "TIME(s)", "UID", "T", "PID", "COMM", "IP", "SADDR", "DADDR", "SPORT", "DPORT")
	fmt.Fprintf(&want, "%-9.3f%-6d%c %-6d %-12.12s %-2d %-16s %-16s %-4d %-4d\n", 0.0, 1000, 'C', 4321, "a-long-command-n", 4, "192.168.1.2", "10.0.0.1", 40000, 443)
	fmt.Fprintf(&want, "%-9.3f%-6d%c %-6d %-12.12s %-2d %-16s %-16s %-4d %-4d\n", 2.5, 1000, 'X', 4321, "a-long-command-n", 6, "::1", "2001::9", 40000, 443)
	if got.String() != want.String() {
		t.Errorf("got  %q\nwant %q", got.String(), want.String())
	}
}

func TestJSONNamesTheEvent(t *testing.T) {
	var got bytes.Buffer
	out := render.NewSink("tcptracer", render.FormatJSON, &got, io.Discard)
	recs := records(&config{}).To(out)
	e := sample(typeAccept, inet.AFInet, 1)
	recs.Write(&e)
	out.Flush()
	for _, member := range []string{`"event":"accept"`, `"saddr":"192.168.1.2"`, `"sport":40000`, `"uid":1000`} {
		if !bytes.Contains(got.Bytes(), []byte(member)) {
			t.Errorf("%s: no %s", got.String(), member)
		}
	}
}

func TestRowDoesNotAllocate(t *testing.T) {
	for _, format := range []render.Format{render.FormatText, render.FormatJSON} {
		recs := records(&config{Timestamp: true}).To(render.NewSink("tcptracer", format, io.Discard, io.Discard))
		e := sample(typeConnect, inet.AFInet6, 5)
		if n := testing.AllocsPerRun(1000, func() { recs.Write(&e) }); n != 0 {
			t.Errorf("format %d: %v allocations per row", format, n)
		}
	}
}
