package biosnoop

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/bpfutils/bpfutils/pkg/blockdev"
	"github.com/bpfutils/bpfutils/pkg/render"
)

func comm(s string) (c [16]byte) {
	copy(c[:15], s)
	return c
}

// TestPrintMatchesCFormat holds the allocation-free formatter to libbpf-tools' printf formats,
// which Go's fmt renders the same way for these verbs.
func TestPrintMatchesCFormat(t *testing.T) {
	disks, err := blockdev.Parse(strings.NewReader("major minor  #blocks  name\n 254 0 1000 vda\n 8 16 10 sdb\n"))
	if err != nil {
		t.Fatal(err)
	}
	events := []event{
		{Ts: 5_000_000_000, Delta: 123456, Qdelta: 7890, Sector: 21131296, Len: 4096, Pid: 42, CmdFlags: 1 | 1<<11, Dev: blockdev.MkDev(254, 0), Comm: comm("dd")},
		{Ts: 5_000_000_001, Delta: 1, Qdelta: -1, Sector: 0, Len: 0, Pid: 0, CmdFlags: 2 | 1<<18, Dev: 7, Comm: comm("?"), Pattern: patternRand},
		{Ts: 7_123_456_789, Delta: 123_456_789_012, Qdelta: 99_999_999_999, Sector: 1 << 40, Len: 1 << 20, Pid: 4194304, CmdFlags: 0 | 1<<19, Dev: blockdev.MkDev(8, 16), Comm: comm("a-very-long-command"), Pattern: patternSeq},
		{Ts: 6_000_000_000, Delta: 999_999_999, Qdelta: 0, Sector: 9999999999, Len: 12345678, Pid: 1234567, CmdFlags: 5, Dev: blockdev.MkDev(254, 0), Comm: comm("exactly-15-char")},
	}
	for _, opts := range []struct{ queued, pattern bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
		var got, want bytes.Buffer
		out := render.NewSink("biosnoop", render.FormatText, &got, io.Discard)
		p := records(&config{Queued: opts.queued, Pattern: opts.pattern}, disks).To(out)
		p.Header()
		fmt.Fprintf(&want, "%-11s ", "TIME(s)")
		fmt.Fprintf(&want, "%-14s %-7s %-7s %-4s %-10s %-7s ", "COMM", "PID", "DISK", "T", "SECTOR", "BYTES")
		if opts.pattern {
			fmt.Fprintf(&want, "%-1s ", "P")
		}
		if opts.queued {
			fmt.Fprintf(&want, "%7s ", "QUE(ms)")
		}
		fmt.Fprintf(&want, "%7s\n", "LAT(ms)")
		for _, e := range events {
			p.Write(&e)
			c := string(bytes.TrimRight(e.Comm[:], "\x00"))
			disk := disks.Name(e.Dev)
			if disk == "" {
				disk = "Unknown"
			}
			fmt.Fprintf(&want, "%-11.6f ", float64(e.Ts-events[0].Ts)/1e9)
			fmt.Fprintf(&want, "%-14.14s %-7d %-7s %-4s %-10d %-7d ", c, e.Pid, disk, blockdev.AppendRWBS(nil, e.CmdFlags), e.Sector, e.Len)
			if opts.pattern {
				fmt.Fprintf(&want, "%-1s ", map[uint32]string{0: "?", patternSeq: "S", patternRand: "R"}[e.Pattern])
			}
			if opts.queued {
				q := -1.0
				if e.Qdelta != -1 {
					q = float64(e.Qdelta) / 1e6
				}
				fmt.Fprintf(&want, "%7.3f ", q)
			}
			fmt.Fprintf(&want, "%7.3f\n", float64(e.Delta)/1e6)
		}
		out.Flush()
		if got.String() != want.String() {
			t.Errorf("queued=%v pattern=%v:\ngot:\n%s\nwant:\n%s", opts.queued, opts.pattern, got.String(), want.String())
		}
	}
}

func TestTimestampColumn(t *testing.T) {
	var got bytes.Buffer
	out := render.NewSink("biosnoop", render.FormatText, &got, io.Discard)
	p := records(&config{Timestamp: true}, &blockdev.Table{}).To(out)
	p.Header()
	p.Write(&event{Comm: comm("x"), Len: 512})
	out.Flush()
	lines := strings.Split(got.String(), "\n")
	if lines[0] != "TIMESTAMP    COMM           PID     DISK    T    SECTOR     BYTES   LAT(ms)" {
		t.Errorf("header %q", lines[0])
	}
	if len(lines[1]) < 13 || lines[1][2] != ':' || lines[1][5] != ':' || lines[1][8] != '.' || lines[1][12] != ' ' ||
		!strings.HasPrefix(lines[1][13:], "x              0       Unknown R    0          512       0.000") {
		t.Errorf("row %q", lines[1])
	}
}

func TestPrintDoesNotAllocate(t *testing.T) {
	disks, _ := blockdev.Parse(strings.NewReader("254 0 1000 vda\n"))
	for _, format := range []render.Format{render.FormatText, render.FormatJSON} {
		for _, ts := range []bool{false, true} {
			out := render.NewSink("biosnoop", format, io.Discard, io.Discard)
			p := records(&config{Queued: true, Pattern: true, Timestamp: ts}, disks).To(out)
			e := event{Ts: 1, Delta: 123456, Sector: 8, Len: 4096, Pid: 9, CmdFlags: 1, Dev: blockdev.MkDev(254, 0), Comm: comm("dd")}
			if n := testing.AllocsPerRun(1000, func() { p.Write(&e) }); n != 0 {
				t.Errorf("format %d, timestamp=%v: %v allocations per event", format, ts, n)
			}
		}
	}
}

// TestJSONLine: one object per event, with the fields docs/json.md names for biosnoop.
func TestJSONLine(t *testing.T) {
	disks, _ := blockdev.Parse(strings.NewReader("254 0 1000 vda\n"))
	var got bytes.Buffer
	out := render.NewSink("biosnoop", render.FormatJSON, &got, io.Discard)
	out.Now = func() time.Time { return time.Date(2026, 12, 6, 5, 0, 0, 123, time.UTC) }
	p := records(&config{Queued: true}, disks).To(out)
	p.Header()
	p.Write(&event{Ts: 9, Delta: 1_234_567, Qdelta: 890, Sector: 8, Len: 4096, Pid: 42, CmdFlags: 1 | 1<<11, Dev: blockdev.MkDev(254, 0), Comm: comm("d\x1bd")})
	out.Flush()
	want := `{"type":"event","tool":"biosnoop","time":"2026-12-06T05:00:00.000000123Z","time_s":0,"comm":"d\u001bd","pid":42,` +
		`"disk":"vda","rwbs":"WS","sector":8,"bytes":4096,"queue_ns":890,"latency_ns":1234567}` + "\n"
	if got.String() != want {
		t.Errorf("got  %s\nwant %s", got.String(), want)
	}
	if !json.Valid(got.Bytes()) {
		t.Errorf("not valid JSON: %s", got.String())
	}
}
