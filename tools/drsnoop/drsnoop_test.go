package drsnoop

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
)

// TestPrintMatchesCFormat holds header and rows to libbpf-tools' printf formats, with and
// without -e; the time column is checked for its shape.
func TestPrintMatchesCFormat(t *testing.T) {
	e := event{Task: filter.Comm("kswapd-victim"), DeltaNs: 12345678, NrReclaimed: 32, Pid: 4242}
	clock := regexp.MustCompile(`^\d\d:\d\d:\d\d `)
	for _, extended := range []bool{false, true} {
		var got, want bytes.Buffer
		out := render.NewSink("drsnoop", render.FormatText, &got, io.Discard)
		recs := records(&config{Extended: extended}).To(out)
		recs.Header()
		recs.Write(&reclaim{e: &e, freeKB: 1048576})
		out.Flush()
		fmt.Fprintf(&want, "%-8s %-16s %-6s %8s %5s", "TIME", "COMM", "TID", "LAT(ms)", "PAGES")
		if extended {
			fmt.Fprintf(&want, " %8s", "FREE(KB)")
		}
		fmt.Fprintf(&want, "\n%-8s %-16s %-6d %8.3f %5d", "", "kswapd-victim", 4242, 12.345678, 32)
		if extended {
			fmt.Fprintf(&want, " %8d", 1048576)
		}
		want.WriteString("\n")
		lines := strings.SplitN(got.String(), "\n", 2)
		if len(lines) != 2 || !clock.MatchString(lines[1]) {
			t.Fatalf("extended=%v: %q", extended, got.String())
		}
		if g := lines[0] + "\n         " + lines[1][9:]; g != want.String() {
			t.Errorf("extended=%v:\ngot  %q\nwant %q", extended, g, want.String())
		}
	}
}

func TestPrintDoesNotAllocate(t *testing.T) {
	e := event{Task: filter.Comm("a"), DeltaNs: 1, Pid: 1, Kind: kindMemcg}
	for _, format := range []render.Format{render.FormatText, render.FormatJSON} {
		recs := records(&config{Extended: true}).To(render.NewSink("drsnoop", format, io.Discard, io.Discard))
		r := reclaim{e: &e}
		if n := testing.AllocsPerRun(1000, func() { recs.Write(&r) }); n != 0 {
			t.Errorf("format %d: %v allocations per event", format, n)
		}
	}
}
