package hardirqs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/bpfutils/bpfutils/pkg/app"
	loghist "github.com/bpfutils/bpfutils/pkg/hist"
	"github.com/bpfutils/bpfutils/pkg/render"
)

func handler(name string, cpu uint32, count, total, max uint64) entry {
	var k key
	copy(k.Name[:31], name)
	k.CPU = cpu
	return entry{Key: k, Value: info{Count: count, Total: total, Max: max, Slots: [20]uint32{2: 3, 5: 1}}}
}

// handlers as the map hands them over, and as reports list them: by name, then CPU.
var (
	handlers = []entry{
		handler("virtio1-req.0", 1, 12, 345, 67),
		handler("nvme0q1", 3, 123456789012, 98765432109876, 123456789),
		handler("a-name-of-thirty-one-characters", 0, 1, 2, 2),
		handler("virtio1-req.0", 0, 5, 6, 3),
	}
	sorted = []entry{handlers[2], handlers[1], handlers[3], handlers[0]}
)

func reportText(c *config) string {
	var b bytes.Buffer
	out := render.NewSink("hardirqs", render.FormatText, &b, io.Discard)
	report(out, c, table(c).To(out), slices.Clone(handlers))
	out.Flush()
	return b.String()
}

// TestTableMatchesCFormat holds the declared table to libbpf-tools' printf formats, which Go's
// fmt renders the same way for these verbs.
func TestTableMatchesCFormat(t *testing.T) {
	for _, c := range []config{{}, {PerCPU: true}, {Nanoseconds: true}, {PerCPU: true, Nanoseconds: true}} {
		var want bytes.Buffer
		got := reportText(&c)
		u := app.NanoUnits(c.Nanoseconds)
		fmt.Fprintf(&want, "%-33s %11s %6s%5s %4s%5s", "HARDIRQ", "TOTAL_count", "TOTAL_", u, "MAX_", u)
		if c.PerCPU {
			fmt.Fprintf(&want, " %3s", "CPU")
		}
		fmt.Fprintln(&want)
		for _, e := range sorted {
			fmt.Fprintf(&want, "%-33s %11d %11d %9d", string(irq(&e)), e.Value.Count, e.Value.Total, e.Value.Max)
			if c.PerCPU {
				fmt.Fprintf(&want, " %3d", e.Key.CPU)
			}
			fmt.Fprintln(&want)
		}
		if got != want.String() {
			t.Errorf("%+v:\ngot:\n%s\nwant:\n%s", c, got, want.String())
		}
	}
}

// TestHistText: -d prints each handler's caption ("cpu = N " first with -C) and its histogram.
func TestHistText(t *testing.T) {
	for _, c := range []config{{Dist: true}, {Dist: true, PerCPU: true, Nanoseconds: true}} {
		var want bytes.Buffer
		got := reportText(&c)
		for _, e := range sorted {
			if c.PerCPU {
				fmt.Fprintf(&want, "cpu = %d ", e.Key.CPU)
			}
			fmt.Fprintf(&want, "hardirq = %s\n", irq(&e))
			loghist.Log2(&want, e.Value.Slots[:], app.NanoUnits(c.Nanoseconds))
		}
		if got != want.String() {
			t.Errorf("%+v:\ngot:\n%s\nwant:\n%s", c, got, want.String())
		}
	}
}

// TestJSON: a table line per handler, with the unit in the time keys; -d histograms labelled
// with the handler and, with -C, the CPU.
func TestJSON(t *testing.T) {
	var got bytes.Buffer
	out := render.NewSink("hardirqs", render.FormatJSON, &got, io.Discard)
	out.Now = func() time.Time { return time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC) }
	rows := table(&config{PerCPU: true, Nanoseconds: true}).To(out)
	rows.Header()
	rows.Write(&handlers[0])
	c := config{Dist: true, PerCPU: true}
	h := hist(out, &c, &handlers[0])
	out.Histogram(histograms(&c), &h)
	out.Flush()
	want := `{"type":"table","tool":"hardirqs","time":"2026-12-06T05:00:00Z","irq":"virtio1-req.0","count":12,"total_nsecs":345,"max_nsecs":67,"cpu":1}` + "\n" +
		`{"type":"histogram","tool":"hardirqs","time":"2026-12-06T05:00:00Z","unit":"usecs","labels":{"irq":"virtio1-req.0","cpu":"1"},` +
		`"buckets":[{"low":0,"high":1,"count":0},{"low":2,"high":3,"count":0},{"low":4,"high":7,"count":3},{"low":8,"high":15,"count":0},{"low":16,"high":31,"count":0},{"low":32,"high":63,"count":1}]}` + "\n"
	if got.String() != want {
		t.Errorf("got\n%s\nwant\n%s", got.String(), want)
	}
	for _, l := range bytes.Split(bytes.TrimSuffix(got.Bytes(), []byte("\n")), []byte("\n")) {
		if !json.Valid(l) {
			t.Errorf("not valid JSON: %s", l)
		}
	}
}
