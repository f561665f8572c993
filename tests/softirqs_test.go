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

// checkVectorRows holds each vector a softirqs report names to what the kernel ran of it over
// the tool's life (on one CPU with -c): a known vector, counted no more often than it ran.
func checkVectorRows(t *testing.T, counted map[string]uint64, lifetime map[string]uint64, where, out string) {
	t.Helper()
	for vec, n := range counted {
		ran, ok := lifetime[strings.ToUpper(vec)]
		if !ok {
			t.Errorf("unknown vector %q\n%s", vec, out)
		} else if n > ran {
			t.Errorf("%s: the tool counted %d, the kernel ran %d %s over the tool's life\n%s", vec, n, ran, where, out)
		}
	}
}

// TestSoftirqs: -C counts, for the vectors the kernel ran most of during a disk workload
// (BLOCK where the disk's completions raise it, TIMER, SCHED, RCU...), within checkSeen's
// bounds, and for every vector no more than the kernel ran.
func TestSoftirqs(t *testing.T) {
	first := softirqCounts(t)
	p := start(t, "softirqs", "-C")
	if line := strings.Split(p.Stdout(), "\n")[0]; line != "Tracing soft irq event time... Hit Ctrl-C to end." {
		t.Fatalf("first line %q", line)
	}
	before, after := softirqWorkload(t, -1, 100, 2*time.Second)
	out := p.stop()
	during, lifetime := totals(before, after, -1), totals(first, softirqCounts(t), -1)
	if !strings.Contains(out, "\nSOFTIRQ          TOTAL_usecs  TOTAL_count\n") {
		t.Fatalf("no -C header in\n%s", out)
	}
	rows := softirqRows(t, out)
	counted := map[string]uint64{}
	for vec, r := range rows {
		counted[vec] = r[1]
	}
	checkVectorRows(t, counted, lifetime, "on all CPUs", out)
	for _, vec := range grewMost(t, "softirq vectors", during, 2, 20) {
		checkSeen(t, vec, rows[strings.ToLower(vec)][1], during[vec], lifetime[vec], out)
	}
}

// TestSoftirqsDist: -d -N -T histograms per vector, from reports that end by themselves: for
// the vectors the kernel ran most of during the workload, summed over the reports.
func TestSoftirqsDist(t *testing.T) {
	first := softirqCounts(t)
	p := start(t, "softirqs", "-dNT", "1", "2")
	before, after := softirqWorkload(t, -1, 100, time.Second) // within the tool's 2 s
	out := p.wait(10 * time.Second)
	during, lifetime := totals(before, after, -1), totals(first, softirqCounts(t), -1)
	if strings.Contains(out, "SOFTIRQ") {
		t.Errorf("-d printed the table\n%s", out)
	}
	if n := len(regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d$`).FindAllString(out, -1)); n != 2 {
		t.Errorf("%d timestamps, want one per report (2)\n%s", n, out)
	}
	counted := map[string]uint64{}
	for _, m := range regexp.MustCompile(`(?m)^softirq = (\S+)$`).FindAllStringSubmatch(out, -1) {
		if _, done := counted[m[1]]; done {
			continue
		}
		label, total := histogramAfter(t, out, m[0])
		if label != "nsecs" {
			t.Errorf("unit %q, want nsecs", label)
		}
		counted[m[1]] = total
	}
	checkVectorRows(t, counted, lifetime, "on all CPUs", out)
	for _, vec := range grewMost(t, "softirq vectors", during, 2, 20) {
		checkSeen(t, vec, counted[strings.ToLower(vec)], during[vec], lifetime[vec], out)
	}
}

// TestSoftirqsOneCPU: -c keeps one CPU, the one that ran most of one vector in a first run of
// the workload (bound to one CPU, so that its disk interrupts land where they did): each vector
// counted no more often than that CPU ran it, which the sum over all CPUs would exceed, and
// those it ran most of during the workload within checkSeen's bounds. Attached through raw
// tracepoints.
func TestSoftirqsOneCPU(t *testing.T) {
	var before, after map[string][]uint64
	onOneCPU(t, func() { before, after = softirqWorkload(t, -1, 100, 2*time.Second) })
	cpu, most := 0, uint64(0)
	for vec := range after {
		perCPU, _ := growth(before, after, vec)
		if c := busiestCPU(perCPU); perCPU[c] > most {
			cpu, most = c, perCPU[c]
		}
	}
	t.Setenv("BPFUTILS_ATTACH", "tp_btf")
	first := softirqCounts(t)
	p := start(t, "softirqs", "-v", "-C", "-c", fmt.Sprint(cpu))
	onOneCPU(t, func() { before, after = softirqWorkload(t, cpu, 100, 2*time.Second) })
	out := p.stop()
	last := softirqCounts(t)
	during, lifetime := totals(before, after, cpu), totals(first, last, cpu)
	rows := softirqRows(t, out)
	counted := map[string]uint64{}
	for vec, r := range rows {
		counted[vec] = r[1]
	}
	t.Logf("CPU %d ran %v over the tool's life, all CPUs %v; softirqs -c %d counted %v", cpu, lifetime, totals(first, last, -1), cpu, counted)
	checkVectorRows(t, counted, lifetime, fmt.Sprintf("on CPU %d", cpu), out)
	for _, vec := range grewMost(t, fmt.Sprintf("softirq vectors on CPU %d", cpu), during, 2, 20) {
		checkSeen(t, fmt.Sprintf("%s on CPU %d", vec, cpu), counted[strings.ToLower(vec)], during[vec], lifetime[vec], out)
	}
	if !strings.Contains(p.Stderr(), "via tp_btf irq:softirq_entry") {
		t.Errorf("BPFUTILS_ATTACH=tp_btf not used: %s", p.Stderr())
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

// TestSoftirqsJSON: the same facts as TestSoftirqs and TestSoftirqsDist, read from --json. Table
// lines carry each vector's count without -C (and its time); -d -N histogram lines, labelled with
// the vector, count as many runs.
func TestSoftirqsJSON(t *testing.T) {
	t.Run("table", func(t *testing.T) {
		first := softirqCounts(t)
		p := start(t, "softirqs", "--json")
		before, after := softirqWorkload(t, -1, 100, 2*time.Second)
		out := p.stop()
		during, lifetime := totals(before, after, -1), totals(first, softirqCounts(t), -1)
		lines := jsonLines(t, "softirqs", out)
		if len(lines) == 0 || lines[0].str("type") != "start" {
			t.Fatalf("first line is not the start line\n%s", out)
		}
		counted := map[string]uint64{}
		for _, r := range ofType(lines, "table") {
			if r.num("count") < 1 || r["total_usecs"] == nil {
				t.Errorf("table line without count or total_usecs: %v", r)
			}
			counted[r.str("vector")] += uint64(r.num("count"))
		}
		checkVectorRows(t, counted, lifetime, "on all CPUs", out)
		for _, vec := range grewMost(t, "softirq vectors", during, 2, 20) {
			checkSeen(t, vec, counted[strings.ToLower(vec)], during[vec], lifetime[vec], out)
		}
	})
	t.Run("histograms", func(t *testing.T) {
		first := softirqCounts(t)
		p := start(t, "softirqs", "--json", "-dN", "1", "2")
		before, after := softirqWorkload(t, -1, 100, time.Second) // within the tool's 2 s
		out := p.wait(10 * time.Second)
		during, lifetime := totals(before, after, -1), totals(first, softirqCounts(t), -1)
		lines := jsonLines(t, "softirqs", out)
		counted := map[string]uint64{}
		for _, h := range ofType(lines, "histogram") {
			if h.str("unit") != "nsecs" || h.label("vector") == "" {
				t.Errorf("histogram %v: want unit nsecs and a vector label", h)
			}
			counted[h.label("vector")] += uint64(h.bucketTotal())
		}
		checkVectorRows(t, counted, lifetime, "on all CPUs", out)
		for _, vec := range grewMost(t, "softirq vectors", during, 2, 20) {
			checkSeen(t, vec, counted[strings.ToLower(vec)], during[vec], lifetime[vec], out)
		}
	})
}
