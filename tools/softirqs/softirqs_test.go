package softirqs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"testing"
	"time"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/hist"
	"github.com/bpfutils/bpfutils/pkg/render"
)

func TestChange(t *testing.T) {
	prev := [][]stat{
		{{Count: 1, Time: 10, Slots: [slots]uint32{3: 1}}, {Count: 5, Time: 50}},
		{{Count: 2, Slots: [slots]uint32{0: math.MaxUint32}}},
	}
	cur := [][]stat{
		{{Count: 4, Time: 40, Slots: [slots]uint32{3: 3}}, {Count: 6, Time: 70}},
		{{Count: 4, Slots: [slots]uint32{0: 1}}},
		{{Count: 7, Time: 1}},
	}
	got := change(prev, cur)
	if got[0].Count != 4 || got[0].Time != 50 || got[0].Slots[3] != 2 {
		t.Errorf("vector 0: %+v", got[0])
	}
	if got[1].Count != 2 || got[1].Slots[0] != 2 {
		t.Errorf("vector 1 (wrapped bucket): %+v", got[1])
	}
	if got[2].Count != 7 || got[2].Time != 1 {
		t.Errorf("vector 2 (first read): %+v", got[2])
	}
}

// sums is an interval's change of every vector: two ran.
var sums = func() []sum {
	s := change(nil, make([][]stat, len(Vectors)))
	s[1] = sum{Vec: 1, Count: 30, Time: 210, Slots: [slots]uint64{1: 4, 3: 2}}
	s[9] = sum{Vec: 9, Count: 123456789012, Time: 98765432109876, Slots: [slots]uint64{0: 1}}
	return s
}()

func reportText(c *config) string {
	var b bytes.Buffer
	out := render.NewSink("softirqs", render.FormatText, &b, io.Discard)
	report(out, c, table(c).To(out), sums)
	out.Flush()
	return b.String()
}

// TestTableMatchesCFormat holds the declared table to libbpf-tools' printf formats: with and
// without -C, whose count field pads the header even when rows leave it out.
func TestTableMatchesCFormat(t *testing.T) {
	for _, c := range []config{{}, {Count: true}, {Nanoseconds: true}, {Count: true, Nanoseconds: true}} {
		var want bytes.Buffer
		got := reportText(&c)
		header := ""
		if c.Count {
			header = "TOTAL_count"
		}
		fmt.Fprintf(&want, "%-16s %-6s%-5s  %-11s\n", "SOFTIRQ", "TOTAL_", app.NanoUnits(c.Nanoseconds), header)
		for _, s := range []sum{sums[1], sums[9]} {
			fmt.Fprintf(&want, "%-16s %11d", Vectors[s.Vec], s.Time)
			if c.Count {
				fmt.Fprintf(&want, "  %11d", s.Count)
			}
			fmt.Fprintln(&want)
		}
		if got != want.String() {
			t.Errorf("%+v:\ngot:\n%q\nwant:\n%q", c, got, want.String())
		}
	}
}

// TestHistText: -d prints, for each vector that ran, its caption, its histogram and an empty line.
func TestHistText(t *testing.T) {
	for _, c := range []config{{Dist: true}, {Dist: true, Nanoseconds: true}} {
		var want bytes.Buffer
		for _, s := range []sum{sums[1], sums[9]} {
			fmt.Fprintf(&want, "softirq = %s\n", Vectors[s.Vec])
			hist.Log2(&want, s.Slots[:], app.NanoUnits(c.Nanoseconds))
			fmt.Fprintln(&want)
		}
		if got := reportText(&c); got != want.String() {
			t.Errorf("%+v:\ngot:\n%s\nwant:\n%s", c, got, want.String())
		}
	}
}

// TestJSON: a table line per vector with its count whether or not -C shows it; -d histograms
// labelled with the vector.
func TestJSON(t *testing.T) {
	var got bytes.Buffer
	out := render.NewSink("softirqs", render.FormatJSON, &got, io.Discard)
	out.Now = func() time.Time { return time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC) }
	rows := table(&config{}).To(out)
	rows.Header()
	rows.Write(&sums[1])
	c := config{Dist: true, Nanoseconds: true}
	report(out, &c, table(&c).To(out), sums[:2])
	out.Flush()
	want := `{"type":"table","tool":"softirqs","time":"2026-12-06T05:00:00Z","vector":"timer","total_usecs":210,"count":30}` + "\n" +
		`{"type":"histogram","tool":"softirqs","time":"2026-12-06T05:00:00Z","unit":"nsecs","labels":{"vector":"timer"},` +
		`"buckets":[{"low":0,"high":1,"count":0},{"low":2,"high":3,"count":4},{"low":4,"high":7,"count":0},{"low":8,"high":15,"count":2}]}` + "\n"
	if got.String() != want {
		t.Errorf("got\n%s\nwant\n%s", got.String(), want)
	}
	for _, l := range bytes.Split(bytes.TrimSuffix(got.Bytes(), []byte("\n")), []byte("\n")) {
		if !json.Valid(l) {
			t.Errorf("not valid JSON: %s", l)
		}
	}
}
