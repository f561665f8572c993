package tests

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// softirqRows parses the table of softirqs -C: per vector, total time and count.
func softirqRows(t *testing.T, out string) map[string][2]uint64 {
	t.Helper()
	rows := map[string][2]uint64{}
	for _, l := range strings.Split(out, "\n") {
		f := fields(l)
		if len(f) != 3 || f[0] == "SOFTIRQ" {
			continue
		}
		var v [2]uint64
		for i := range v {
			n, err := strconv.ParseUint(f[i+1], 10, 64)
			if err != nil {
				t.Fatalf("bad row %q", l)
			}
			v[i] = n
		}
		r := rows[f[0]]
		rows[f[0]] = [2]uint64{r[0] + v[0], r[1] + v[1]}
	}
	return rows
}

// TestSoftirqs: the disk's completions run as BLOCK softirqs, timers as TIMER ones; -C adds
// their counts. Bounds as for hardirqs (checkSeen), against /proc/softirqs.
func TestSoftirqs(t *testing.T) {
	first := softirqCounts(t)
	p := start(t, "softirqs", "-C")
	if line := strings.Split(p.Stdout(), "\n")[0]; line != "Tracing soft irq event time... Hit Ctrl-C to end." {
		t.Fatalf("first line %q", line)
	}
	before := softirqCounts(t)
	directWrites(t, 500)
	time.Sleep(200 * time.Millisecond) // a few timer ticks
	after := softirqCounts(t)
	out := p.stop()
	last := softirqCounts(t)
	if !strings.Contains(out, "\nSOFTIRQ          TOTAL_usecs  TOTAL_count\n") {
		t.Fatalf("no -C header in\n%s", out)
	}
	rows := softirqRows(t, out)
	for _, vec := range []string{"BLOCK", "TIMER"} {
		_, during := growth(before, after, vec)
		_, lifetime := growth(first, last, vec)
		checkSeen(t, vec, rows[strings.ToLower(vec)][1], during, lifetime, out)
	}
	for vec := range rows {
		if _, ok := first[strings.ToUpper(vec)]; !ok {
			t.Errorf("unknown vector %q\n%s", vec, out)
		}
	}
}

// TestSoftirqsDist: -d -N -T histograms per vector, from reports that end by themselves.
func TestSoftirqsDist(t *testing.T) {
	first := softirqCounts(t)
	p := start(t, "softirqs", "-dNT", "1", "2")
	before := softirqCounts(t)
	directWrites(t, 300)
	after := softirqCounts(t)
	out := p.wait(10 * time.Second)
	_, lifetime := growth(first, softirqCounts(t), "BLOCK")
	_, during := growth(before, after, "BLOCK")
	if strings.Contains(out, "SOFTIRQ") {
		t.Errorf("-d printed the table\n%s", out)
	}
	if n := len(regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d$`).FindAllString(out, -1)); n != 2 {
		t.Errorf("%d timestamps, want one per report (2)\n%s", n, out)
	}
	var seen uint64
	for _, part := range strings.Split(out, "softirq = block\n")[1:] {
		label, total := histogramAfter(t, "softirq = block\n"+part, "softirq = block")
		if label != "nsecs" {
			t.Errorf("unit %q, want nsecs", label)
		}
		seen += total
	}
	checkSeen(t, "BLOCK", seen, during, lifetime, out)
}

// TestSoftirqsOneCPU: -c keeps one CPU: its TIMER count cannot exceed what that CPU ran,
// which the sum over all CPUs would. Attached through raw tracepoints.
func TestSoftirqsOneCPU(t *testing.T) {
	t.Setenv("BPFUTILS_ATTACH", "raw_tp")
	first := softirqCounts(t)
	p := start(t, "softirqs", "-v", "-C", "-c", "0")
	directWrites(t, 100)
	time.Sleep(200 * time.Millisecond)
	out := p.stop()
	perCPU, _ := growth(first, softirqCounts(t), "TIMER")
	got := softirqRows(t, out)["timer"][1]
	t.Logf("CPU 0 ran %d TIMER softirqs (all CPUs %v), softirqs -c 0 counted %d", perCPU[0], perCPU, got)
	if got > perCPU[0] || (got == 0 && perCPU[0] >= 10) {
		t.Errorf("softirqs -c 0 counted %d TIMER softirqs, CPU 0 ran %d\n%s", got, perCPU[0], out)
	}
	if !strings.Contains(p.Stderr(), "via raw_tp irq:softirq_entry") {
		t.Errorf("BPFUTILS_ATTACH=raw_tp not used: %s", p.Stderr())
	}
}

func TestSoftirqsBadInput(t *testing.T) {
	badInput(t, "softirqs", `invalid interval "x"`, "x")
	badInput(t, "softirqs", `invalid count "0"`, "1", "0")
	badInput(t, "softirqs", "unrecognized positional argument: 3", "1", "2", "3")
	badInput(t, "softirqs", "invalid cpu: -1", "-c", "-1")
	badInput(t, "softirqs", fmt.Sprintf("cpu %d out of range", 4096), "--cpu", "4096")
	badInput(t, "softirqs", "flag provided but not defined", "--bogus")
}
