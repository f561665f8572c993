package main

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

func TestHistogramTotal(t *testing.T) {
	out := `Tracing block device I/O... Hit Ctrl-C to end.
^C
     usecs               : count    distribution
         0 -> 1          : 0        |                                        |
        16 -> 31         : 12       |****                                    |
        32 -> 63         : 100      |****************************************|
      1024 -> 2047       : 3        |*                                       |
`
	if got := histogramTotal(out); got != 115 {
		t.Errorf("histogramTotal = %d, want 115", got)
	}
}

func TestLostReported(t *testing.T) {
	for _, tc := range []struct {
		stderr string
		want   int64
	}{
		{"", 0},
		{"Lost 12 events!\n", 12},
		{"lost 3 events on CPU #1\nLost 4 events on CPU #0!\n", 7},
		{"warning: something else\n", 0},
	} {
		if got := lostReported(tc.stderr); got != tc.want {
			t.Errorf("lostReported(%q) = %d, want %d", tc.stderr, got, tc.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	for _, tc := range []struct {
		in          []float64
		lo, med, hi float64
	}{
		{[]float64{3}, 3, 3, 3},
		{[]float64{5, 1, 3}, 1, 3, 5},
		{[]float64{4, 1, 3, 2}, 1, 2.5, 4},
	} {
		lo, med, hi := summarize(tc.in)
		if lo != tc.lo || med != tc.med || hi != tc.hi {
			t.Errorf("summarize(%v) = %v %v %v, want %v %v %v", tc.in, lo, med, hi, tc.lo, tc.med, tc.hi)
		}
	}
	if lo, _, _ := summarize(nil); !math.IsNaN(lo) {
		t.Errorf("summarize(nil) = %v, want NaN", lo)
	}
}

func TestFigureTargets(t *testing.T) {
	f := newFigure("startup", "ms", []float64{10, 20, 40}, 36)
	if f.Met == nil || !*f.Met {
		t.Errorf("median 20 against 36: not met")
	}
	m := newFigure("events missed", "", []float64{0, 3, 0}, 0).atMost(0)
	if m.Met == nil || *m.Met {
		t.Errorf("one run missed 3: met")
	}
	js, err := (&results{Tools: []toolResult{{Tool: "x", Figures: []figure{newFigure("cpu", "ms", nil, 3.2)}}}}).json()
	if err != nil || !strings.Contains(string(js), `"median": null`) {
		t.Errorf("no samples must give null, got %s (%v)", js, err)
	}
}

func TestMatchers(t *testing.T) {
	dir := t.TempDir()
	ow, err := openStorm(dir)
	if err != nil {
		t.Fatal(err)
	}
	ew, err := execStorm(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		w    *workload
		line string
		want bool
	}{
		// opensnoop: PID COMM FD ERR PATH, with -T/-U/-e columns in front or between
		{ow, fmt.Sprintf("4242   %-16s   3   0 %s", ow.comm, ow.path), true},
		{ow, fmt.Sprintf("12:00:01 0       4242   %-16s   3   0 00000000 n/a  %s", ow.comm, ow.path), true},
		{ow, fmt.Sprintf("4242   %-16s   3   0 /etc/passwd", ow.comm), false},
		{ow, fmt.Sprintf("4242   %-16s   3   0 %s", "cat", ow.path), false},
		// execsnoop: PCOMM PID PPID RET ARGS
		{ew, fmt.Sprintf("%-16s 4242   4241     0 %s", ew.comm, ew.path), true},
		{ew, fmt.Sprintf("%-16s 4242   4241     0 %s", "sh", ew.path), false},
	} {
		if got := tc.w.match([]byte(tc.line)); got != tc.want {
			t.Errorf("match(%q) = %v, want %v", tc.line, got, tc.want)
		}
	}
	if len(ow.comm) > 15 || len(ew.comm) > 15 {
		t.Errorf("comms %q %q do not fit the kernel's 15 bytes", ow.comm, ew.comm)
	}
}

func TestPacer(t *testing.T) {
	p := newPacer(0)
	p.wait(1 << 30) // no rate: returns at once
}

func TestTrend(t *testing.T) {
	flat := []soakSample{{0, 9000, 0}, {10, 9600, 0}, {20, 9500, 0}, {30, 10100, 0}, {40, 9550, 0}, {50, 9600, 0}, {60, 9500, 0}}
	if g := trendKB(flat, 10*time.Second); g > 512 {
		t.Errorf("breathing heap: trend %d kB", g)
	}
	leak := []soakSample{{10, 9000, 0}, {20, 9500, 0}, {30, 10000, 0}, {40, 10500, 0}, {50, 11000, 0}, {60, 11500, 0}}
	if g := trendKB(leak, 10*time.Second); g < 2000 {
		t.Errorf("leak: trend %d kB", g)
	}
}

// The generators themselves, on a few events: they must run where the bench will.
func TestWorkloadsRun(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 16 MB under /var/tmp")
	}
	dir := t.TempDir()
	for name, prepare := range map[string]func(string) (*workload, error){
		"exec": execStorm, "open": openStorm, "direct write": directWriteStorm,
	} {
		w, err := prepare(dir)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := w.run(20, 0); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if err := w.run(20, 2000); err != nil { // paced: about 10 ms
			t.Errorf("%s paced: %v", name, err)
		}
		if w.cleanup != nil {
			w.cleanup()
		}
	}
}
