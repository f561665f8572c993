package bitesize

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
)

// TestSpec: -c is the BPF side's comm filter, cut to what the kernel keeps of a name.
func TestSpec(t *testing.T) {
	s, err := Tool.Spec([]string{"-c", "a-very-long-command-name"})
	if err != nil {
		t.Fatal(err)
	}
	if r := s.Rodata.(rodata); r.Comm != filter.Comm("a-very-long-com") || r.FilterDev {
		t.Errorf("rodata %+v", r)
	}
}

// TestHistogram: a comm's histogram in text under its caption, in JSON labelled with the comm.
func TestHistogram(t *testing.T) {
	h := render.Hist{Caption: "\nProcess Name = dd\n", Labels: []string{"dd"}, Counts: []uint64{0, 0, 5, 0, 0, 0, 2}}
	var out bytes.Buffer
	sink := render.NewSink("bitesize", render.FormatText, &out, io.Discard)
	sink.Histogram(histograms, &h)
	sink.Flush()
	if !strings.HasPrefix(out.String(), "\nProcess Name = dd\n     Kbytes              : count    distribution\n") ||
		!strings.Contains(out.String(), "\n         4 -> 7          : 5 ") {
		t.Errorf("text\n%s", out.String())
	}
	out.Reset()
	sink = render.NewSink("bitesize", render.FormatJSON, &out, io.Discard)
	sink.Histogram(histograms, &h)
	sink.Flush()
	if s := out.String(); !strings.Contains(s, `"unit":"kbytes","labels":{"comm":"dd"},"buckets":[`) ||
		!strings.Contains(s, `{"low":4,"high":7,"count":5}`) || !strings.Contains(s, `{"low":64,"high":127,"count":2}`) {
		t.Errorf("json %s", s)
	}
}
