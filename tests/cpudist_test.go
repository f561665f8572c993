package tests

import (
	"fmt"
	"regexp"
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
	badInput(t, "cpudist", "flag provided but not defined", "--bogus")
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

// -P and -L together are accepted, as libbpf-tools accepts them, and -P wins: one histogram
// per process, captioned by its pid.
func TestCpudistPerProcessWins(t *testing.T) {
	l := startSchedLoad(t, "bpfu-cpud", "storm", "4", "3000", "200", "1000")
	both := start(t, "cpudist", "-P", "-L", "-p", strconv.Itoa(l.pid))
	bothJSON := start(t, "cpudist", "--json", "-L", "-P", "-p", strconv.Itoa(l.pid))
	l.work()
	out := both.stop()
	secs := parseHists(t, out)
	if s := section(t, secs, fmt.Sprintf("pid = %d %s", l.pid, l.comm), out); len(secs) != 1 || s.Total < 10 {
		t.Errorf("want one histogram, of the storm's process, with at least 10 slices\n%s", out)
	}
	if strings.Contains(out, "tid = ") {
		t.Errorf("-P -L printed per-thread captions\n%s", out)
	}
	hs := ofType(jsonLines(t, "cpudist", bothJSON.stop()), "histogram")
	if len(hs) != 1 || hs[0].label("pid") != strconv.Itoa(l.pid) || hs[0].label("comm") != l.comm || hs[0].label("tid") != "" {
		t.Errorf("want one histogram labelled pid=%d comm=%s, got %v", l.pid, l.comm, hs)
	}
}

// The idle tasks (pid 0, swapper/N) are counted, on and off the CPU, as libbpf-tools counts
// them; -I, BCC's Python option to include them, is accepted and changes nothing.
func TestCpudistIncludeIdle(t *testing.T) {
	idle := regexp.MustCompile(`^pid = 0 swapper/\d+$`)
	for _, mode := range [][]string{nil, {"-O"}} {
		with := start(t, "cpudist", append([]string{"-I", "-P"}, mode...)...)
		withJSON := start(t, "cpudist", append([]string{"--include-idle", "-P", "--json"}, mode...)...)
		without := start(t, "cpudist", append([]string{"-P"}, mode...)...)
		time.Sleep(time.Second)

		out := with.stop()
		var n int
		for _, h := range parseHists(t, out) {
			if idle.MatchString(strings.TrimSpace(h.Caption)) {
				n++
				if h.Total == 0 {
					t.Errorf("%v: empty idle histogram\n%s", mode, out)
				}
			}
		}
		if n != 1 {
			t.Errorf("-I %v: want one histogram of the idle tasks (pid = 0 swapper/N), got %d\n%s", mode, n, out)
		}
		n = 0
		for _, h := range ofType(jsonLines(t, "cpudist", withJSON.stop()), "histogram") {
			if h.label("pid") == "0" && strings.HasPrefix(h.label("comm"), "swapper/") && h.bucketTotal() > 0 {
				n++
			}
		}
		if n != 1 {
			t.Errorf("--include-idle --json %v: want one histogram labelled pid 0, comm swapper/N; got %d", mode, n)
		}
		out = without.stop()
		if len(parseHists(t, out)) == 0 {
			t.Errorf("%v: no histogram at all\n%s", mode, out)
		}
		if !strings.Contains(out, "\npid = 0 swapper/") {
			t.Errorf("%v: the idle tasks not counted without -I, as libbpf-tools counts them\n%s", mode, out)
		}
	}
}

// TestCpudistJSON: the 10 ms sleeps of TestCpudistOffCPU, read from --json output, with the
// -e summary as a "table" line; a text run over the same sleeps counts the same.
func TestCpudistJSON(t *testing.T) {
	// A C workload: a Go one's runtime threads wake now and then on their own, and a tool
	// started earlier counts some of that the other never sees.
	l := startStackLoad(t, workloadName("bpfu-cpdj"), "sleep", "100", "10")
	text := start(t, "cpudist", "-O", "-L", "-p", strconv.Itoa(l.pid))
	js := start(t, "cpudist", "--json", "-O", "-L", "-e", "-p", strconv.Itoa(l.pid))
	l.work()
	outs := stopAll(text, js)
	out, lines := outs[0], jsonLines(t, "cpudist", outs[1])

	if starts := ofType(lines, "start"); len(starts) != 1 || starts[0].str("message") != "Tracing off-CPU time... Hit Ctrl-C to end." {
		t.Errorf("want one start line with the banner, got %v", starts)
	}
	var sleeper jsonLine
	for _, h := range ofType(lines, "histogram") {
		if h.str("unit") != "usecs" || h.label("comm") != l.comm {
			t.Errorf("histogram %v: want unit usecs and comm %s", h, l.comm)
		}
		if h.label("tid") == strconv.Itoa(l.pid) {
			sleeper = h
		}
	}
	if sleeper == nil {
		t.Fatalf("no histogram labelled tid=%d in\n%v", l.pid, lines)
	}
	var rows []bucket
	for _, b := range sleeper["buckets"].([]any) {
		m := b.(map[string]any)
		rows = append(rows, bucket{uint64(m["low"].(float64)), uint64(m["high"].(float64)), uint64(m["count"].(float64))})
	}
	if len(rows) < 14 || rows[13].Low != 8192 || rows[13].High != 16383 || rows[13].Count < 80 {
		t.Errorf("want at least 80 of the 100 sleeps of 10 ms in bucket 8192 -> 16383, got %v", rows)
	}
	s := section(t, parseHists(t, out), fmt.Sprintf("tid = %d %s", l.pid, l.comm), out)
	if !agree(s.Total, uint64(sleeper.bucketTotal())) || !agree(s.Rows[8192], rows[13].Count) {
		t.Errorf("text counts %d off-CPU intervals (%d in 8192 -> 16383), JSON %v (%d)\n%s",
			s.Total, s.Rows[8192], sleeper.bucketTotal(), rows[13].Count, out)
	}

	tables := ofType(lines, "table")
	if len(tables) != 1 {
		t.Fatalf("want one -e table line, got %v", tables)
	}
	e := tables[0]
	if e.str("unit") != "usecs" || e.num("count") < 100 || e.num("total") < 100*10000 ||
		e.num("avg") != float64(uint64(e.num("total"))/uint64(e.num("count"))) {
		t.Errorf("-e line %v: want unit usecs, at least the 100 sleeps of 10 ms, avg = total/count", e)
	}
}

// agree reports whether two tools' counts of the same events agree: within 1%, or 2 (the kernel
// now and then skips a tracing program's run while other tracers attach).
func agree(a, b uint64) bool {
	d := max(a, b) - min(a, b)
	return d <= max(2, max(a, b)/100)
}
