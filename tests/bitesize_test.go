package tests

import (
	"strings"
	"testing"
	"time"
)

const (
	bitesizeSmall = 100 // 4 KB writes
	bitesizeLarge = 20  // 64 KB writes
)

// TestBitesize: with -c, the only histogram is the workload's, and its 4 KB and 64 KB writes
// land in their buckets.
func TestBitesize(t *testing.T) {
	comm := workloadName("bpfu-bsz")
	dd := copyExecutable(t, "/bin/dd", comm)
	p := start(t, "bitesize", "-c", comm, "-d", scratchDisk(t), "2", "1")
	directWrite(t, dd, "4k", bitesizeSmall)
	directWrite(t, dd, "64k", bitesizeLarge)
	out := p.wait(10 * time.Second)

	if first := strings.SplitN(out, "\n", 2)[0]; first != "Tracing block device I/O... Hit Ctrl-C to end." {
		t.Errorf("start line %q", first)
	}
	hs := parseHists(t, out)
	if len(hs) != 1 || hs[0].Caption != "Process Name = "+comm || hs[0].Label != "Kbytes" {
		t.Fatalf("want one Kbytes histogram captioned %q\n%s", "Process Name = "+comm, out)
	}
	small, large := hs[0].Rows[4], hs[0].Rows[64]
	t.Logf("%s: %d requests in 4 -> 7 (wrote %d), %d in 64 -> 127 (wrote %d), %d in all",
		comm, small, bitesizeSmall, large, bitesizeLarge, hs[0].Total)
	if !strings.Contains(out, "\n         4 -> 7          : ") || small < bitesizeSmall {
		t.Errorf("4 -> 7 holds %d requests, want at least %d\n%s", small, bitesizeSmall, out)
	}
	// A 64 KB write that straddles two extents of the file becomes two smaller requests.
	if large < bitesizeLarge/2 || hs[0].Total < bitesizeSmall+bitesizeLarge {
		t.Errorf("64 -> 127 holds %d requests of %d, want most of them\n%s", large, bitesizeLarge, out)
	}
}

// TestBitesizeTimestamp: without filters every issuing command gets a histogram; -T stamps
// each report.
func TestBitesizeTimestamp(t *testing.T) {
	comm := workloadName("bpfu-bszt")
	dd := copyExecutable(t, "/bin/dd", comm)
	// On tp_btf, the alternative to the preferred raw_tp.
	t.Setenv("BPFUTILS_ATTACH", "tp_btf")
	p := start(t, "bitesize", "-v", "-T", "1", "2")
	directWrite(t, dd, "4k", 20)
	out := p.wait(10 * time.Second)
	if !strings.Contains(p.Stderr(), "via tp_btf block:block_rq_issue") {
		t.Errorf("BPFUTILS_ATTACH=tp_btf not used: %s", p.Stderr())
	}
	lines := strings.Split(out, "\n")
	stamps := 0
	for i, l := range lines {
		if len(l) == 8 && l[2] == ':' && l[5] == ':' {
			stamps++
			if lines[i-1] != "" {
				t.Errorf("time line %q not after an empty line", l)
			}
		}
	}
	if stamps != 2 {
		t.Errorf("want 2 time lines\n%s", out)
	}
	found := false
	for _, h := range parseHists(t, out) {
		if !strings.HasPrefix(h.Caption, "Process Name = ") {
			t.Errorf("caption %q", h.Caption)
		}
		found = found || h.Caption == "Process Name = "+comm
	}
	if !found {
		t.Errorf("no histogram for %s\n%s", comm, out)
	}
}

func TestBitesizeBadInput(t *testing.T) {
	badInput(t, "bitesize", "unknown disk", "-d", "nosuchdisk")
	badInput(t, "bitesize", "invalid interval", "-1")
	badInput(t, "bitesize", "invalid count", "1", "x")
	badInput(t, "bitesize", "flag provided but not defined", "-x")
}

// TestBitesizeJSON: TestBitesize's workload read from --json: one histogram, labelled with the
// workload's comm, whose 4 KB and 64 KB buckets hold its writes by the text test's measure.
func TestBitesizeJSON(t *testing.T) {
	comm := workloadName("bpfu-bszj")
	dd := copyExecutable(t, "/bin/dd", comm)
	p := start(t, "bitesize", "--json", "-c", comm, "-d", scratchDisk(t), "2", "1")
	directWrite(t, dd, "4k", bitesizeSmall)
	directWrite(t, dd, "64k", bitesizeLarge)
	lines := jsonLines(t, "bitesize", p.wait(10*time.Second))
	if len(lines) == 0 || lines[0].str("type") != "start" {
		t.Fatalf("first line is not the start line: %v", lines)
	}
	hs := ofType(lines, "histogram")
	if len(hs) != 1 || hs[0].label("comm") != comm || hs[0].str("unit") != "kbytes" {
		t.Fatalf("want one kbytes histogram labelled comm %q, got %v", comm, hs)
	}
	small, large := bucketCount(hs[0], 4, 7), bucketCount(hs[0], 64, 127)
	t.Logf("%s: %v requests in 4-7 KB, %v in 64-127 KB, %v in all", comm, small, large, hs[0].bucketTotal())
	if small < bitesizeSmall {
		t.Errorf("4-7 KB holds %v requests, want at least %d", small, bitesizeSmall)
	}
	if large < bitesizeLarge/2 || hs[0].bucketTotal() < bitesizeSmall+bitesizeLarge {
		t.Errorf("64-127 KB holds %v requests of %d, want most of them", large, bitesizeLarge)
	}
}

// bucketCount is the count of a histogram line's bucket from low to high (0 when absent).
func bucketCount(l jsonLine, low, high float64) float64 {
	bs, _ := l["buckets"].([]any)
	for _, b := range bs {
		m, _ := b.(map[string]any)
		if m["low"] == low && m["high"] == high {
			c, _ := m["count"].(float64)
			return c
		}
	}
	return 0
}
