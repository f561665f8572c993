package tcptop

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/inet"
	"github.com/bpfutils/bpfutils/pkg/render"
)

func row(family uint16, pid uint32, comm string, sent, received uint64) flow {
	var f flow
	f.Key.Family, f.Key.Pid = family, pid
	copy(f.Key.Comm[:], comm)
	f.Key.Lport, f.Key.Dport = 5201, 40000
	if family == inet.AFInet {
		copy(f.Key.Saddr[:], []byte{10, 0, 0, 1})
		copy(f.Key.Daddr[:], []byte{10, 0, 0, 2})
	} else {
		f.Key.Saddr[15], f.Key.Daddr[0], f.Key.Daddr[1], f.Key.Daddr[15] = 1, 0xfe, 0x80, 2
	}
	f.Value = traffic{Sent: sent, Received: received}
	return f
}

func TestSort(t *testing.T) {
	for _, tc := range []struct{ by, want string }{
		{"all", "[3 1 4 2]"},
		{"sent", "[1 3 2 4]"},
		{"received", "[3 1 4 2]"},
	} {
		rows := []flow{
			row(inet.AFInet6, 4, "d", 1, 9000), row(inet.AFInet, 1, "a", 5000, 0),
			row(inet.AFInet6, 2, "b", 100, 0), row(inet.AFInet, 3, "c", 10, 6000),
		}
		sortFlows(rows, tc.by)
		var pids []uint32
		for _, r := range rows {
			pids = append(pids, r.Key.Pid)
		}
		// IPv4 first whatever the sort: pids 1 and 3 are the IPv4 rows.
		if got := fmt.Sprint(pids); got != tc.want {
			t.Errorf("-s %s: %s, want %s", tc.by, got, tc.want)
		}
	}
}

func TestRowsMatchCFormat(t *testing.T) {
	var got, want bytes.Buffer
	out := render.NewSink("tcptop", render.FormatText, &got, io.Discard)
	v4, v6 := records(7, false).To(out), records(7, true).To(out)
	a, b := row(inet.AFInet, 4194303, "a-very-long-command", 2048, 1_048_576), row(inet.AFInet6, 12, "ssh", 0, 1023)
	v4.Header()
	v4.Write(&a)
	v6.Header()
	v6.Write(&b)
	out.Flush()
	fmt.Fprintf(&want, "%-*s %-12s %-21s %-21s %6s %6s\n", 7, "PID", "COMM", "LADDR", "RADDR", "RX_KB", "TX_KB")
	fmt.Fprintf(&want, "%-*d %-12.12s %-*s %-*s %6d %6d\n", 7, 4194303, "a-very-long-command", 21, "10.0.0.1:5201", 21, "10.0.0.2:40000", 1024, 2)
	fmt.Fprintf(&want, "%-*s %-12s %-51s %-51s %6s %6s\n", 7, "PID", "COMM", "LADDR6", "RADDR6", "RX_KB", "TX_KB")
	fmt.Fprintf(&want, "%-*d %-12.12s %-*s %-*s %6d %6d\n", 7, 12, "ssh", 51, "::1:5201", 51, "fe80::2:40000", 0, 0)
	if got.String() != want.String() {
		t.Errorf("got  %q\nwant %q", got.String(), want.String())
	}
}

func TestRowDoesNotAllocate(t *testing.T) {
	for _, format := range []render.Format{render.FormatText, render.FormatJSON} {
		rows := records(6, true).To(render.NewSink("tcptop", format, io.Discard, io.Discard))
		f := row(inet.AFInet6, 1, "curl", 1, 2)
		if n := testing.AllocsPerRun(1000, func() { rows.Write(&f) }); n != 0 {
			t.Errorf("format %d: %v allocations per row", format, n)
		}
	}
}
