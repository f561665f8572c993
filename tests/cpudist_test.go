package tests

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// On-CPU slices are counted when they end in preemption (libbpf-tools' cpudist): the histogram
// of the storm's pid holds at least as many as /proc counts involuntary switches, less a
// little: the first slice of each thread started before the tool, and a task preempted while
// already on its way to sleep counts as involuntary in /proc but is not runnable.
func TestCpudist(t *testing.T) {
	l := startSchedLoad(t, "bpfu-cpud", "storm", "4", "3000", "200", "1500")
	p := start(t, "cpudist", "-p", strconv.Itoa(l.pid))
	_, invol0 := l.switches()
	l.work()
	_, invol1 := l.switches()
	out := p.stop()
	preempted := uint64(invol1 - invol0)
	secs := parseHists(t, out)
	if len(secs) != 1 || secs[0].Caption != "" || !strings.HasPrefix(out, "Tracing on-CPU time... Hit Ctrl-C to end.\n") {
		t.Fatalf("want one histogram\n%s", out)
	}
	total := secs[0].Total
	t.Logf("%d slices counted, %d involuntary switches in /proc", total, preempted)
	if preempted < 100 {
		t.Fatalf("the storm was preempted only %d times", preempted)
	}
	if total+uint64(len(l.tids()))+preempted/50 < preempted {
		t.Errorf("histogram counts %d slices, /proc %d involuntary switches\n%s", total, preempted, out)
	}
}

// 10 ms sleeps land in the 8192 -> 16383 us bucket of the sleeping thread, and in 8 -> 15 ms.
func TestCpudistOffCPU(t *testing.T) {
	l := startSchedLoad(t, "bpfu-cpud", "sleep", "100", "10000")
	perThread := start(t, "cpudist", "-O", "-L", "-p", strconv.Itoa(l.pid))
	inMs := startTPBTF(t, "cpudist", "-O", "-m", "-e", "-p", strconv.Itoa(l.pid), "3", "1")
	l.work()

	out := perThread.stop()
	if !strings.HasPrefix(out, "Tracing off-CPU time... Hit Ctrl-C to end.\n") {
		t.Errorf("bad banner\n%s", out)
	}
	s := section(t, parseHists(t, out), fmt.Sprintf("tid = %d %s", l.tid, l.comm), out)
	if n := s.Rows[8192]; n < 80 {
		t.Errorf("%d of 100 sleeps of 10 ms in the 8192 -> 16383 usecs bucket\n%s", n, out)
	}
	for _, r := range s.Buckets {
		if r.Count > s.Rows[8192] {
			t.Errorf("bucket %d -> %d holds more than 8192 -> 16383\n%s", r.Low, r.High, out)
		}
	}
	if len(s.Buckets) < 14 || s.Buckets[13] != (bucket{8192, 16383, s.Rows[8192]}) {
		t.Errorf("bad rows\n%s", out)
	}

	out = inMs.wait(15 * time.Second)
	secs := parseHists(t, out)
	if len(secs) != 1 || secs[0].Rows[8] < 80 {
		t.Errorf("want the 10 ms sleeps in the 8 -> 15 msecs bucket\n%s", out)
	}
	if !strings.Contains(out, "     msecs               : count    distribution\n") ||
		!strings.Contains(out, "\n         8 -> 15         : ") {
		t.Errorf("bad msecs layout\n%s", out)
	}
	var avg, sum, count int
	if _, err := fmt.Sscanf(out[strings.Index(out, "\navg = ")+1:], "avg = %d msecs, total: %d msecs, count: %d",
		&avg, &sum, &count); err != nil || count < 100 || sum < 1000 {
		t.Errorf("want an extension summary over at least the 100 sleeps (%v)\n%s", err, out)
	}
}

func TestCpudistBadInput(t *testing.T) {
	badInput(t, "cpudist", "invalid PID", "-p", "nobody")
	badInput(t, "cpudist", "invalid interval", "1s")
	badInput(t, "cpudist", "can't be used together", "-P", "-L")
	badInput(t, "cpudist", "flag provided but not defined", "--include-idle")
	badInput(t, "cpudist", "cgroup", "-c", "/sys/fs/cgroup/unified/no-such-group")
}

// On-CPU slices are counted for the task leaving the CPU, which is the current task the cgroup
// filter tests: with -c only the workload in the group shows up.
func TestCpudistCgroup(t *testing.T) {
	l := startSchedLoad(t, "bpfu-cpud", "storm", "4", "3000", "200", "1000")
	cg := l.cgroupOf()
	p := start(t, "cpudist", "-c", cg, "-P")
	l.work()
	out := p.stop()
	secs := parseHists(t, out)
	s := section(t, secs, fmt.Sprintf("pid = %d %s", l.pid, l.comm), out)
	// The slice count depends on how often the busy machine preempts the storm: the point here
	// is that nothing outside the cgroup shows up.
	if len(secs) != 1 || s.Total < 10 {
		t.Errorf("want only the workload's histogram, with at least 10 slices\n%s", out)
	}
}
