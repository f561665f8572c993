package tests

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// histogram is one histogram a tool printed (pkg/hist's layout, libbpf-tools' print_log2_hist
// and print_linear_hist), with the line right before it, which names what it counts
// ("disk = vda\tflags = Write", "Process Name = dd", "pid = 42 dd", a -T time; empty for a
// tool's single histogram).
type histogram struct {
	Caption string
	Label   string
	Buckets []bucket          // in printed order
	Rows    map[uint64]uint64 // bucket low bound -> count
	Total   uint64
}

type bucket struct{ Low, High, Count uint64 } // High == Low in linear histograms

var (
	log2Header   = regexp.MustCompile(`^ {5}(\S+) {2,}: count    distribution$`)
	linearHeader = regexp.MustCompile(`^ {5}(\S+) +: count     distribution$`)
	log2Row      = regexp.MustCompile(`^ *(\d+) -> (\d+) *: (\d+) *\|([* ]+)\|$`)
	linearRow    = regexp.MustCompile(`^ {8}(\d+) +: (\d+) *\|([* ]{40})\|$`)
)

// parseHists parses every histogram in out and checks each line's layout byte for byte.
func parseHists(t *testing.T, out string) []histogram {
	t.Helper()
	var hs []histogram
	var cur *histogram
	prev := ""
	num := func(s string) uint64 { n, _ := strconv.ParseUint(s, 10, 64); return n }
	for _, l := range strings.Split(out, "\n") {
		caption := prev
		prev = l
		if m := log2Header.FindStringSubmatch(l); m != nil {
			want := fmt.Sprintf("%5s%-19s : count    distribution", "", m[1])
			if len(l) > len(want) { // the wide layout of histograms with more than 33 buckets
				want = fmt.Sprintf("%15s%-29s : count    distribution", "", m[1])
			}
			if l != want {
				t.Errorf("histogram header %q, want %q", l, want)
			}
			hs = append(hs, histogram{Caption: caption, Label: m[1], Rows: map[uint64]uint64{}})
			cur = &hs[len(hs)-1]
			continue
		}
		if m := linearHeader.FindStringSubmatch(l); m != nil {
			if want := fmt.Sprintf("     %-13s : count     distribution", m[1]); l != want {
				t.Errorf("histogram header %q, want %q", l, want)
			}
			hs = append(hs, histogram{Caption: caption, Label: m[1], Rows: map[uint64]uint64{}})
			cur = &hs[len(hs)-1]
			continue
		}
		if cur == nil {
			continue
		}
		var b bucket
		if m := log2Row.FindStringSubmatch(l); m != nil {
			b = bucket{num(m[1]), num(m[2]), num(m[3])}
			want := fmt.Sprintf("%10d -> %-10d : %-8d |%s|", b.Low, b.High, b.Count, m[4])
			if len(m[4]) == 20 {
				want = fmt.Sprintf("%20d -> %-20d : %-8d |%s|", b.Low, b.High, b.Count, m[4])
			}
			if l != want {
				t.Errorf("histogram row %q, want %q", l, want)
			}
		} else if m := linearRow.FindStringSubmatch(l); m != nil {
			b = bucket{num(m[1]), num(m[1]), num(m[2])}
			if want := fmt.Sprintf("        %-10d : %-8d |%s|", b.Low, b.Count, m[3]); l != want {
				t.Errorf("histogram row %q, want %q", l, want)
			}
		} else {
			cur = nil
			continue
		}
		cur.Buckets = append(cur.Buckets, b)
		cur.Rows[b.Low] += b.Count
		cur.Total += b.Count
	}
	return hs
}

// section returns the histogram whose caption is caption (surrounding blanks aside).
func section(t *testing.T, hs []histogram, caption, out string) histogram {
	t.Helper()
	for _, h := range hs {
		if strings.TrimSpace(h.Caption) == caption {
			return h
		}
	}
	t.Fatalf("no histogram captioned %q in\n%s", caption, out)
	return histogram{}
}
