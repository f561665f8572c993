package tests

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Every switch-out of a storm thread, voluntary or not, is followed by a run-queue wait: the
// histogram of the storm's pid counts at least as many waits as /proc counts switches, less one
// per thread for the last switch-out whose switch-in falls after the report.
func TestRunqlat(t *testing.T) {
	l := startSchedLoad(t, "bpfu-rqlat", "storm", "4", "2000", "500", "1500")
	p := start(t, "runqlat", "-p", strconv.Itoa(l.pid))
	vol0, invol0 := l.switches()
	l.work()
	vol1, invol1 := l.switches()
	out := p.stop()
	switches := vol1 - vol0 + invol1 - invol0
	secs := parseHists(t, out)
	if len(secs) != 1 || secs[0].Caption != "" || !strings.HasPrefix(out, "Tracing run queue latency... Hit Ctrl-C to end.\n") {
		t.Fatalf("want one histogram without caption, got %d\n%s", len(secs), out)
	}
	if secs[0].Buckets[0].Low != 0 || !strings.Contains(out, "     usecs               : count    distribution\n") {
		t.Errorf("bad usecs histogram\n%s", out)
	}
	total := secs[0].Total
	// One wait per thread may end after the last report; and the kernel now and then skips a
	// tracing program run (seen here while other tracers attach): allow 0.5% for that.
	slack := uint64(len(l.tids())) + uint64(switches)/200
	t.Logf("%d waits counted, %d context switches of %d threads in /proc", total, switches, len(l.tids()))
	if switches < 1000 {
		t.Fatalf("the storm made only %d context switches", switches)
	}
	if total+slack < uint64(switches) {
		t.Errorf("histogram counts %d waits, /proc %d switches\n%s", total, switches, out)
	}
}

func TestRunqlatPerProcess(t *testing.T) {
	l := startSchedLoad(t, "bpfu-rqlat", "storm", "4", "2000", "500", "1500")
	p := startTPBTF(t, "runqlat", "-P", "-m", "-T", "-p", strconv.Itoa(l.pid), "2", "1")
	perThread := start(t, "runqlat", "-L", "-p", strconv.Itoa(l.pid), "2", "1")
	perNS := start(t, "runqlat", "--pidnss", "-p", strconv.Itoa(l.pid), "2", "1")
	l.work()
	out := p.wait(15 * time.Second)
	secs := parseHists(t, out)
	s := section(t, secs, fmt.Sprintf("pid = %d %s", l.pid, l.comm), out)
	if len(secs) != 1 || s.Total < 1000 {
		t.Errorf("want one histogram of at least 1000 waits for the storm\n%s", out)
	}
	if !strings.Contains(out, "     msecs               : count    distribution\n") {
		t.Errorf("want a msecs histogram\n%s", out)
	}
	lines := strings.Split(out, "\n")
	if len(lines) < 4 || lines[1] != "" || len(lines[2]) != 8 || lines[2][2] != ':' || lines[3] != "" {
		t.Errorf("want a blank line, the time, and the caption's blank line after the banner\n%s", out)
	}

	out = perThread.wait(15 * time.Second)
	secs = parseHists(t, out)
	if s := section(t, secs, fmt.Sprintf("tid = %d %s", l.tid, l.comm), out); len(secs) < 4 || s.Total < 100 {
		t.Errorf("want a histogram per storm thread, at least 100 waits for thread %d\n%s", l.tid, out)
	}

	out = perNS.wait(15 * time.Second)
	inum := pidnsInum(t, l.pid)
	if s := section(t, parseHists(t, out), fmt.Sprintf("pidns = %s %s", inum, l.comm), out); s.Total < 1000 {
		t.Errorf("want at least 1000 waits in the storm's pid namespace\n%s", out)
	}
}

func TestRunqlatBadInput(t *testing.T) {
	badInput(t, "runqlat", "invalid PID", "-p", "abc")
	badInput(t, "runqlat", "invalid PID", "-p", "0")
	badInput(t, "runqlat", "invalid interval", "0")
	badInput(t, "runqlat", "invalid count", "1", "x")
	badInput(t, "runqlat", "unrecognized positional argument", "1", "2", "3")
	badInput(t, "runqlat", "can't be used together", "-P", "--pidnss")
	badInput(t, "runqlat", "flag provided but not defined", "--bogus")
	badInput(t, "runqlat", "cgroup", "-c", "/nonexistent/cgroup")
}

func TestRunqlatCgroup(t *testing.T) {
	l := startSchedLoad(t, "bpfu-rqlat", "storm", "4", "3000", "200", "1000")
	cg := l.cgroupOf()
	p := start(t, "runqlat", "-c", cg, "-P", "2", "1")
	l.work()
	out := p.wait(15 * time.Second)
	if s := section(t, parseHists(t, out), fmt.Sprintf("pid = %d %s", l.pid, l.comm), out); s.Total < 50 {
		t.Errorf("want at least 50 waits of the workload in its cgroup\n%s", out)
	}
}

// TestRunqlatJSON: the storm's waits as --json histograms, per process and per pid namespace
// (labelled by its inode number only); a text run over the same storm counts the same waits.
func TestRunqlatJSON(t *testing.T) {
	l := startSchedLoad(t, "bpfu-rqlj", "storm", "4", "2000", "500", "1500")
	text := start(t, "runqlat", "-P", "-p", strconv.Itoa(l.pid))
	js := start(t, "runqlat", "--json", "-P", "-m", "-p", strconv.Itoa(l.pid))
	perNS := start(t, "runqlat", "--json", "--pidnss", "-p", strconv.Itoa(l.pid), "2", "1")
	vol0, invol0 := l.switches()
	l.work()
	vol1, invol1 := l.switches()
	// The workload (a Go program) keeps waking its runtime's threads while idle.
	outs := stopAll(text, js)
	out, lines := outs[0], jsonLines(t, "runqlat", outs[1])
	switches := uint64(vol1 - vol0 + invol1 - invol0)

	hs := ofType(lines, "histogram")
	if len(hs) != 1 || hs[0].str("unit") != "msecs" || hs[0].label("pid") != strconv.Itoa(l.pid) || hs[0].label("comm") != l.comm {
		t.Fatalf("want one msecs histogram labelled pid=%d comm=%s, got %v", l.pid, l.comm, hs)
	}
	total := uint64(hs[0].bucketTotal())
	slack := uint64(len(l.tids())) + switches/200
	t.Logf("%d waits in JSON, %d context switches of the storm in /proc", total, switches)
	if total+slack < switches {
		t.Errorf("JSON histogram counts %d waits, /proc %d switches", total, switches)
	}
	if s := section(t, parseHists(t, out), fmt.Sprintf("pid = %d %s", l.pid, l.comm), out); !agree(s.Total, total) {
		t.Errorf("text counts %d waits, JSON %d\n%s", s.Total, total, out)
	}

	inum := pidnsInum(t, l.pid)
	hs = ofType(jsonLines(t, "runqlat", perNS.wait(15*time.Second)), "histogram")
	if len(hs) != 1 || hs[0].label("pidns") != inum || hs[0]["labels"].(map[string]any)["comm"] != nil || hs[0].bucketTotal() < 1000 {
		t.Errorf("want one histogram labelled only pidns=%s, of at least 1000 waits; got %v", inum, hs)
	}
}

// pidnsInum is the inode number of pid's pid namespace, as runqlat's pidns captions print it.
func pidnsInum(t *testing.T, pid int) string {
	t.Helper()
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(strings.TrimPrefix(ns, "pid:["), "]")
}
