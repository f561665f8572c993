package tests

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Four spinning threads on two CPUs keep a task waiting on most samples; the three reporting
// modes run side by side over the same storm.
func TestRunqlen(t *testing.T) {
	l := startSchedLoad(t, "bpfu-rqlen", "storm", "4", "3000", "200", "1500")
	hists := start(t, "runqlen", "-C", "-f", "199", "1", "1")
	sum := start(t, "runqlen", "-T", "1", "1")
	occ := start(t, "runqlen", "-O", "1", "1")
	occCPU := start(t, "runqlen", "-OC", "1", "1")
	host := start(t, "runqlen", "-H", "-O", "1", "1")
	l.work()

	out := hists.wait(15 * time.Second)
	secs := parseHists(t, out)
	var samples, queued uint64
	for _, cpu := range []string{"cpu = 0", "cpu = 1"} {
		if !strings.Contains(out, "\n"+cpu+"\n") {
			t.Errorf("no %q section\n%s", cpu, out)
		}
	}
	for _, s := range secs {
		if !strings.HasPrefix(s.Caption, "cpu = ") {
			t.Errorf("histogram captioned %q\n%s", s.Caption, out)
		}
		samples += s.Total
		queued += s.Total - s.Rows[0]
	}
	// 199 Hz on each busy CPU for a second; timer slack and load make it somewhat less.
	if samples < 199 || queued == 0 {
		t.Errorf("%d samples, %d with a queue, over two busy CPUs at 199 Hz\n%s", samples, queued, out)
	}
	if !strings.Contains(out, "     runqlen       : count     distribution\n        0          : ") &&
		!strings.Contains(out, "     runqlen       : count     distribution\n        1          : ") {
		t.Errorf("bad linear histogram layout\n%s", out)
	}

	out = sum.wait(15 * time.Second)
	secs = parseHists(t, out)
	if len(secs) != 1 || secs[0].Total < 99 || !regexp.MustCompile(`^\d\d:\d\d:\d\d$`).MatchString(secs[0].Caption) {
		t.Errorf("want one system-wide histogram of at least 99 samples under a timestamp\n%s", out)
	}

	out = occ.wait(15 * time.Second)
	checkOccupancy(t, out)
	checkOccupancy(t, host.wait(15*time.Second))

	out = occCPU.wait(15 * time.Second)
	for _, cpu := range []string{"0  ", "1  "} {
		if !regexp.MustCompile(`(?m)^runqocc, CPU ` + cpu + ` [ \d]{3}\.\d\d%$`).MatchString(out) {
			t.Errorf("no occupancy line for CPU %s\n%s", cpu, out)
		}
	}
}

func TestRunqlenBadInput(t *testing.T) {
	badInput(t, "runqlen", "invalid frequency", "-f", "0")
	badInput(t, "runqlen", "invalid frequency", "-f", "fast")
	badInput(t, "runqlen", "limit", "-f", "100000000")
	badInput(t, "runqlen", "invalid interval", "-1")
	badInput(t, "runqlen", "invalid count", "1", "0")
	badInput(t, "runqlen", "flag provided but not defined", "-X")
}

func checkOccupancy(t *testing.T, out string) {
	t.Helper()
	m := regexp.MustCompile(`(?m)^runqocc: (\d+\.\d\d)%$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no occupancy line\n%s", out)
	}
	if pct, _ := strconv.ParseFloat(m[1], 64); pct < 20 {
		t.Errorf("occupancy %.2f%% while 4 threads spin on 2 CPUs\n%s", pct, out)
	}
}

// TestRunqlenJSON: the samples of TestRunqlen as --json histograms labelled by CPU, and the
// occupancy as "table" lines with the counts it comes from; the text runs beside them over the
// same storm agree.
func TestRunqlenJSON(t *testing.T) {
	l := startSchedLoad(t, "bpfu-rqlj", "storm", "4", "3000", "200", "1500")
	hists := start(t, "runqlen", "--json", "-C", "-f", "199", "1", "1")
	text := start(t, "runqlen", "-C", "-f", "199", "1", "1")
	occ := start(t, "runqlen", "--json", "-O", "1", "1")
	occCPU := start(t, "runqlen", "--json", "-OC", "1", "1")
	occText := start(t, "runqlen", "-O", "1", "1")
	l.work()

	var samples, queued uint64
	cpusSeen := map[string]bool{}
	for _, h := range ofType(jsonLines(t, "runqlen", hists.wait(15*time.Second)), "histogram") {
		if h.str("unit") != "tasks" {
			t.Errorf("histogram %v: want unit tasks", h)
		}
		cpusSeen[h.label("cpu")] = true
		for _, b := range h["buckets"].([]any) {
			m := b.(map[string]any)
			if m["low"] != m["high"] {
				t.Errorf("histogram %v: want linear slots of one", h)
			}
			samples += uint64(m["count"].(float64))
			if m["low"].(float64) > 0 {
				queued += uint64(m["count"].(float64))
			}
		}
	}
	if !cpusSeen["0"] || !cpusSeen["1"] {
		t.Errorf("want histograms labelled cpu 0 and 1, got %v", cpusSeen)
	}
	var textSamples uint64
	for _, s := range parseHists(t, text.wait(15*time.Second)) {
		textSamples += s.Total
	}
	// 199 Hz on each busy CPU for a second, in both runs.
	t.Logf("%d samples in JSON (%d with a queue), %d in text", samples, queued, textSamples)
	if samples < 199 || textSamples < 199 || queued == 0 {
		t.Errorf("%d samples in JSON, %d with a queue, %d in text; want at least 199 each over two busy CPUs", samples, queued, textSamples)
	}

	// A second at 99 Hz: about 99 samples on each CPU, twice that system-wide.
	check := func(row jsonLine, least float64) float64 {
		t.Helper()
		pct, n, q := row.num("occupancy_pct"), row.num("samples"), row.num("queued")
		if n < least || q > n || math.Abs(pct-100*q/n) > 1e-9 {
			t.Errorf("occupancy line %v: want at least %v samples and occupancy_pct = 100*queued/samples", row, least)
		}
		return pct
	}
	rows := ofType(jsonLines(t, "runqlen", occ.wait(15*time.Second)), "table")
	if len(rows) != 1 || rows[0]["cpu"] != nil {
		t.Fatalf("want one system-wide occupancy line, got %v", rows)
	}
	if pct := check(rows[0], 99); pct < 20 {
		t.Errorf("occupancy %.2f%% while 4 threads spin on 2 CPUs", pct)
	}
	checkOccupancy(t, occText.wait(15*time.Second))
	rows = ofType(jsonLines(t, "runqlen", occCPU.wait(15*time.Second)), "table")
	if len(rows) != 2 || rows[0]["cpu"] != 0.0 || rows[1]["cpu"] != 1.0 {
		t.Fatalf("want occupancy lines for CPUs 0 and 1, got %v", rows)
	}
	check(rows[0], 50)
	check(rows[1], 50)
}
