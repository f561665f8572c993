package runqslower

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
)

// TestPrintMatchesCFormat holds the lines to libbpf-tools' printf formats, which Go's fmt
// renders the same way for these verbs; the time column is checked for its shape.
func TestPrintMatchesCFormat(t *testing.T) {
	events := []event{
		{Task: filter.Comm("stress"), PrevTask: filter.Comm("swapper/1"), DeltaUs: 10123, Pid: 42, PrevPid: 0},
		{Task: filter.Comm("exactly-15-char"), PrevTask: filter.Comm("k"), DeltaUs: 1 << 40, Pid: 4194304, PrevPid: 1234567},
	}
	clock := regexp.MustCompile(`^\d\d:\d\d:\d\d `)
	for _, previous := range []bool{false, true} {
		var got, want bytes.Buffer
		out := render.NewSink("runqslower", render.FormatText, &got, io.Discard)
		p := records(&config{Previous: previous}).To(out)
		p.Header()
		if previous {
			fmt.Fprintf(&want, "%-8s %-16s %-6s %14s %-16s %-6s\n", "TIME", "COMM", "TID", "LAT(us)", "PREV COMM", "PREV TID")
		} else {
			fmt.Fprintf(&want, "%-8s %-16s %-6s %14s\n", "TIME", "COMM", "TID", "LAT(us)")
		}
		for _, e := range events {
			p.Write(&e)
			if previous {
				fmt.Fprintf(&want, "%-8s %-16s %-6d %14d %-16s %-6d\n", "", filter.CommString(e.Task[:]), e.Pid,
					e.DeltaUs, filter.CommString(e.PrevTask[:]), e.PrevPid)
			} else {
				fmt.Fprintf(&want, "%-8s %-16s %-6d %14d\n", "", filter.CommString(e.Task[:]), e.Pid, e.DeltaUs)
			}
		}
		out.Flush()
		gl, wl := strings.Split(got.String(), "\n"), strings.Split(want.String(), "\n")
		for i := range wl {
			if i >= len(gl) {
				t.Fatalf("previous=%v: %d lines, want %d\n%s", previous, len(gl), len(wl), got.String())
			}
			g, w := gl[i], wl[i]
			if i > 0 && w != "" {
				if !clock.MatchString(g) {
					t.Errorf("previous=%v: line %q does not start with HH:MM:SS", previous, g)
					continue
				}
				g = "         " + g[9:]
			}
			if g != w {
				t.Errorf("previous=%v:\ngot  %q\nwant %q", previous, g, w)
			}
		}
	}
}

func TestPrintDoesNotAllocate(t *testing.T) {
	for _, format := range []render.Format{render.FormatText, render.FormatJSON} {
		out := render.NewSink("runqslower", format, io.Discard, io.Discard)
		p := records(&config{Previous: true}).To(out)
		e := event{Task: filter.Comm("stress"), PrevTask: filter.Comm("swapper/1"), DeltaUs: 10123, Pid: 42}
		if n := testing.AllocsPerRun(1000, func() { p.Write(&e) }); n != 0 {
			t.Errorf("format %d: %v allocations per event", format, n)
		}
	}
}

// TestJSONLine: one object per event; the time is the line's own, not a column.
func TestJSONLine(t *testing.T) {
	var got bytes.Buffer
	out := render.NewSink("runqslower", render.FormatJSON, &got, io.Discard)
	out.Now = func() time.Time { return time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC) }
	p := records(&config{Previous: true}).To(out)
	p.Header()
	p.Write(&event{Task: filter.Comm("a\"b"), PrevTask: filter.Comm("swapper/1"), DeltaUs: 10123, Pid: 42, PrevPid: 0})
	out.Flush()
	want := `{"type":"event","tool":"runqslower","time":"2026-12-06T05:00:00Z","comm":"a\"b","tid":42,"latency_us":10123,` +
		`"prev_comm":"swapper/1","prev_tid":0}` + "\n"
	if got.String() != want {
		t.Errorf("got  %s\nwant %s", got.String(), want)
	}
	if !json.Valid(got.Bytes()) {
		t.Errorf("not valid JSON: %s", got.String())
	}
}
