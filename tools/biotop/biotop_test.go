package biotop

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/render"
)

func testRow(comm string, write bool, ios uint32, bytes, ns uint64) row {
	r := row{disk: "vda"}
	copy(r.Comm[:], comm)
	r.Pid, r.Major, r.Minor, r.IO, r.Bytes, r.Ns = 4242, 254, 0, ios, bytes, ns
	if write {
		r.RWFlag = 1
	}
	return r
}

func TestRowMatchesCFormat(t *testing.T) {
	var got, want bytes.Buffer
	out := render.NewSink("biotop", render.FormatText, &got, io.Discard)
	rows := records().To(out)
	rows.Header()
	r := testRow("dd", true, 40, 163840, 1848430)
	rows.Write(&r)
	r = testRow("kworker/u8:3", false, 3, 1000, 0)
	rows.Write(&r)
	out.Flush()
	fmt.Fprintf(&want, "%-7s %-16s %1s %-3s %-3s %-8s %5s %7s %6s\n", "PID", "COMM", "D", "MAJ", "MIN", "DISK", "I/O", "Kbytes", "AVGms")
	fmt.Fprintf(&want, "%-7d %-16s %1s %-3d %-3d %-8s %5d %7d %6.2f\n", 4242, "dd", "W", 254, 0, "vda", 40, 160, 1848430.0/1e6/40)
	fmt.Fprintf(&want, "%-7d %-16s %1s %-3d %-3d %-8s %5d %7d %6.2f\n", 4242, "kworker/u8:3", "R", 254, 0, "vda", 3, 0, 0.0)
	if got.String() != want.String() {
		t.Errorf("got\n%s\nwant\n%s", got.String(), want.String())
	}
}

func TestSort(t *testing.T) {
	comms := func(rows []row) string {
		var s []string
		for _, r := range rows {
			s = append(s, string(bytes.TrimRight(r.Comm[:], "\x00")))
		}
		return fmt.Sprint(s)
	}
	for _, tc := range []struct{ by, want string }{
		{"io", "[many big slow]"},
		{"bytes", "[big slow many]"},
		{"time", "[slow big many]"},
		{"all", "[big slow many]"},
	} {
		rows := []row{testRow("slow", false, 1, 4096, 90e6), testRow("many", false, 100, 409, 1000), testRow("big", true, 2, 1<<20, 2e6)}
		sortRows(rows, tc.by)
		if got := comms(rows); got != tc.want {
			t.Errorf("-s %s: %s, want %s", tc.by, got, tc.want)
		}
	}
}

func TestRowDoesNotAllocate(t *testing.T) {
	for _, format := range []render.Format{render.FormatText, render.FormatJSON} {
		rows := records().To(render.NewSink("biotop", format, io.Discard, io.Discard))
		r := testRow("dd", true, 1, 4096, 1000)
		if n := testing.AllocsPerRun(1000, func() { rows.Write(&r) }); n != 0 {
			t.Errorf("format %d: %v allocations per row", format, n)
		}
	}
}
