package tests

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bpfutils/bpfutils/pkg/cpus"
)

var softirqslowerRow = regexp.MustCompile(`^\d\d:\d\d:\d\d (irq\(hard\) to softirq|softirq runtime     ) (hi|timer|net_tx|net_rx|block|irq_poll|tasklet|sched|hrtimer|rcu) +(\d+) +(\d+) +(.*)$`)

const softirqslowerHeader = "TIME     STAGE                SOFTIRQ  LAT(us)        CPU    COMM            "

// TestSoftirqslower: with a 1 us threshold the disk's BLOCK softirqs show up, each line
// well-formed and at or above the threshold.
func TestSoftirqslower(t *testing.T) {
	possible, err := cpus.Possible()
	if err != nil {
		t.Fatal(err)
	}
	p := start(t, "softirqslower", "1")
	if line := strings.Split(p.Stdout(), "\n")[0]; line != "Tracing softirq latency higher than 1 us... Hit Ctrl-C to end." {
		t.Fatalf("first line %q", line)
	}
	directWrites(t, 300)
	p.waitFor(" block ", 5*time.Second)
	out := p.stop()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if lines[1] != softirqslowerHeader {
		t.Fatalf("header %q, want %q", lines[1], softirqslowerHeader)
	}
	stages := map[string]int{}
	for _, l := range lines[2:] {
		m := softirqslowerRow.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("bad line %q", l)
			continue
		}
		stages[strings.TrimSpace(m[1])+" "+m[2]]++
		if lat, _ := strconv.Atoi(m[3]); lat < 1 {
			t.Errorf("latency %d under the threshold: %q", lat, l)
		}
		if cpu, _ := strconv.Atoi(m[4]); cpu >= len(possible) {
			t.Errorf("CPU %d: %q", cpu, l)
		}
	}
	t.Logf("lines by stage and vector: %v", stages)
	if stages["softirq runtime block"] == 0 {
		t.Errorf("no BLOCK softirq ran 1 us or longer in 300 disk writes\n%s", out)
	}
}

// TestSoftirqslowerThreshold: nothing waits or runs for a second, so -c 0 with 1000000 us
// prints the header only; on raw tracepoints.
func TestSoftirqslowerThreshold(t *testing.T) {
	t.Setenv("BPFUTILS_ATTACH", "raw_tp")
	p := start(t, "softirqslower", "-v", "-c", "0", "1000000")
	directWrites(t, 100)
	out := p.stop()
	if lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n"); len(lines) != 2 || lines[1] != softirqslowerHeader {
		t.Errorf("want the two header lines only, got\n%s", out)
	}
	if !strings.Contains(p.Stderr(), "via raw_tp irq:softirq_raise") {
		t.Errorf("BPFUTILS_ATTACH=raw_tp not used: %s", p.Stderr())
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
