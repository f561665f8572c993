package tests

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var softirqslowerRow = regexp.MustCompile(`^\d\d:\d\d:\d\d (irq\(hard\) to softirq|softirq runtime     ) (hi|timer|net_tx|net_rx|block|irq_poll|tasklet|sched|hrtimer|rcu) +(\d+) +(\d+) +(.*)$`)

const softirqslowerHeader = "TIME     STAGE                SOFTIRQ  LAT(us)        CPU    COMM            "

// TestSoftirqslower: with a 1 us threshold the vector the kernel ran most of during a disk
// workload (BLOCK where the disk's completions raise it; SCHED, TIMER... where they do not)
// shows up; each line is well-formed, at or above the threshold, and for a vector the kernel
// ran on that CPU, no more lines per stage than it ran there.
func TestSoftirqslower(t *testing.T) {
	first := softirqCounts(t)
	p := start(t, "softirqslower", "1")
	if line := strings.Split(p.Stdout(), "\n")[0]; line != "Tracing softirq latency higher than 1 us... Hit Ctrl-C to end." {
		t.Fatalf("first line %q", line)
	}
	before, after := softirqWorkload(t, -1, 100, 2*time.Second)
	top := strings.ToLower(grewMost(t, "softirq vectors", totals(before, after, -1), 1, 20)[0])
	p.waitFor(fmt.Sprintf(" %-20s %-8s ", "softirq runtime", top), 5*time.Second)
	out := p.stop()
	last := softirqCounts(t)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if lines[1] != softirqslowerHeader {
		t.Fatalf("header %q, want %q", lines[1], softirqslowerHeader)
	}
	perStage := map[string]map[string]uint64{} // stage → vector/CPU → lines
	for _, l := range lines[2:] {
		m := softirqslowerRow.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("bad line %q", l)
			continue
		}
		stage := strings.TrimSpace(m[1])
		if perStage[stage] == nil {
			perStage[stage] = map[string]uint64{}
		}
		cpu, _ := strconv.Atoi(m[4])
		perStage[stage][perCPUKey(strings.ToUpper(m[2]), cpu)]++
		if lat, _ := strconv.Atoi(m[3]); lat < 1 {
			t.Errorf("latency %d under the threshold: %q", lat, l)
		}
	}
	t.Logf("lines by stage and vector/CPU: %v", perStage)
	var vecs []string
	for vec := range first {
		vecs = append(vecs, vec)
	}
	ran := perCPUTotals(first, last, vecs...)
	for stage, n := range perStage {
		for key, lines := range n {
			if lines > ran[key] {
				t.Errorf("%d %q lines for %s; the kernel ran it %d times there over the tool's life\n%s",
					lines, stage, key, ran[key], out)
			}
		}
	}
}

// TestSoftirqslowerThreshold: nothing waits or runs for a second, so -c 0 with 1000000 us
// prints the header only; on BTF-typed tracepoints.
func TestSoftirqslowerThreshold(t *testing.T) {
	t.Setenv("BPFUTILS_ATTACH", "tp_btf")
	p := start(t, "softirqslower", "-v", "-c", "0", "1000000")
	directWrites(t, 100)
	out := p.stop()
	if lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n"); len(lines) != 2 || lines[1] != softirqslowerHeader {
		t.Errorf("want the two header lines only, got\n%s", out)
	}
	if !strings.Contains(p.Stderr(), "via tp_btf irq:softirq_raise") {
		t.Errorf("BPFUTILS_ATTACH=tp_btf not used: %s", p.Stderr())
	}
}

func TestSoftirqslowerBadInput(t *testing.T) {
	badInput(t, "softirqslower", "Invalid min latency (in us): 0", "0")
	badInput(t, "softirqslower", "Invalid min latency (in us): slow", "slow")
	badInput(t, "softirqslower", "Unrecognized positional argument: 2", "1", "2")
	badInput(t, "softirqslower", "invalid cpu: x", "-c", "x")
	badInput(t, "softirqslower", "cpu 4096 out of range, system has", "-c", "4096")
	badInput(t, "softirqslower", "flag provided but not defined", "--bogus")
}

// TestSoftirqslowerJSON: the same facts as TestSoftirqslower, read from --json: the vector the
// kernel ran most of during the workload shows up; every event names a stage and a known vector,
// is at or above the threshold, and no vector/CPU has more events per stage than it ran there.
func TestSoftirqslowerJSON(t *testing.T) {
	first := softirqCounts(t)
	p := start(t, "softirqslower", "--json", "1")
	before, after := softirqWorkload(t, -1, 100, 2*time.Second)
	top := strings.ToLower(grewMost(t, "softirq vectors", totals(before, after, -1), 1, 20)[0])
	p.waitFor(fmt.Sprintf(`"stage":"softirq runtime","vector":%q`, top), 5*time.Second)
	out := p.stop()
	last := softirqCounts(t)
	lines := jsonLines(t, "softirqslower", out)
	if len(lines) == 0 || lines[0].str("message") != "Tracing softirq latency higher than 1 us... Hit Ctrl-C to end." {
		t.Fatalf("first line is not the start line\n%s", out)
	}
	vector := regexp.MustCompile(`^(hi|timer|net_tx|net_rx|block|irq_poll|tasklet|sched|hrtimer|rcu)$`)
	perStage := map[string]map[string]uint64{} // stage → vector/CPU → events
	for _, e := range ofType(lines, "event") {
		stage := e.str("stage")
		if stage != "irq(hard) to softirq" && stage != "softirq runtime" || !vector.MatchString(e.str("vector")) ||
			e.num("latency_us") < 1 || e.str("comm") == "" || e["cpu"] == nil {
			t.Errorf("bad event %v", e)
			continue
		}
		if perStage[stage] == nil {
			perStage[stage] = map[string]uint64{}
		}
		perStage[stage][perCPUKey(strings.ToUpper(e.str("vector")), int(e.num("cpu")))]++
	}
	t.Logf("events by stage and vector/CPU: %v", perStage)
	var vecs []string
	for vec := range first {
		vecs = append(vecs, vec)
	}
	ran := perCPUTotals(first, last, vecs...)
	for stage, n := range perStage {
		for key, events := range n {
			if events > ran[key] {
				t.Errorf("%d %q events for %s; the kernel ran it %d times there over the tool's life\n%s",
					events, stage, key, ran[key], out)
			}
		}
	}
}
