package filetop

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/render"
)

func entry(name string, reads, rbytes, writes, wbytes uint64) bpfmap.Entry[key, stat] {
	var s stat
	copy(s.Name[:], name)
	copy(s.Comm[:], "dd")
	s.Tid, s.Pid, s.Type = 4242, 4240, 'R'
	s.Reads, s.ReadBytes, s.Writes, s.WriteBytes = reads, rbytes, writes, wbytes
	return bpfmap.Entry[key, stat]{Value: s}
}

func names(stats []bpfmap.Entry[key, stat]) string {
	var s []string
	for _, e := range stats {
		s = append(s, string(bytes.TrimRight(e.Value.Name[:], "\x00")))
	}
	return fmt.Sprint(s)
}

func TestSort(t *testing.T) {
	for _, tc := range []struct{ by, want string }{
		{"all", "[b c a]"},
		{"reads", "[a c b]"},
		{"rbytes", "[c a b]"},
		{"writes", "[b c a]"},
		{"wbytes", "[b a c]"},
	} {
		stats := []bpfmap.Entry[key, stat]{entry("a", 30, 100, 0, 10), entry("b", 1, 10, 5, 5000), entry("c", 20, 4000, 3, 0)}
		sortStats(stats, tc.by)
		if got := names(stats); got != tc.want {
			t.Errorf("-s %s: %s, want %s", tc.by, got, tc.want)
		}
	}
}

func TestRowMatchesCFormat(t *testing.T) {
	var got, want bytes.Buffer
	out := render.NewSink("filetop", render.FormatText, &got, io.Discard)
	rows := records().To(out)
	rows.Header()
	e := entry("syslog", 12, 123456, 3456789, 9876543210)
	rows.Write(&e.Value)
	out.Flush()
	fmt.Fprintf(&want, "%-7s %-16s %-6s %-6s %-7s %-7s %1s %s\n", "TID", "COMM", "READS", "WRITES", "R_Kb", "W_Kb", "T", "FILE")
	fmt.Fprintf(&want, "%-7d %-16s %-6d %-6d %-7d %-7d %c %s\n", 4242, "dd", 12, 3456789, 123456/1024, 9876543210/1024, 'R', "syslog")
	if got.String() != want.String() {
		t.Errorf("got  %q\nwant %q", got.String(), want.String())
	}
}

func TestRowDoesNotAllocate(t *testing.T) {
	for _, format := range []render.Format{render.FormatText, render.FormatJSON} {
		rows := records().To(render.NewSink("filetop", format, io.Discard, io.Discard))
		e := entry("syslog", 1, 192, 0, 0)
		if n := testing.AllocsPerRun(1000, func() { rows.Write(&e.Value) }); n != 0 {
			t.Errorf("format %d: %v allocations per row", format, n)
		}
	}
}
