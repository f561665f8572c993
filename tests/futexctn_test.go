package tests

import (
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// futexLoad is testdata/futexload.c running: threads contending on one pthread mutex from
// futexload_contend_here() <- futexload_worker().
type futexLoad struct {
	*workload
	lock    string       // the mutex's address, as futexctn prints it
	threads map[int]bool // the threads that contended, once work returned
}

func startFutexLoad(t *testing.T, comm string, threads, rounds int) *futexLoad {
	t.Helper()
	cmd := exec.Command(cProgram(t, "futexload"), comm, strconv.Itoa(threads), strconv.Itoa(rounds))
	l := &futexLoad{workload: startWorkload(t, cmd, comm)}
	if _, err := fmt.Sscanf(l.line(), "ready %d", &l.pid); err != nil {
		t.Fatalf("futexload did not say ready: %v", err)
	}
	if _, err := fmt.Sscanf(l.line(), "lock %s", &l.lock); err != nil || !strings.HasPrefix(l.lock, "0x") {
		t.Fatalf("futexload did not name its lock: %v", err)
	}
	return l
}

// work lets the threads contend and waits until they are done; the workload stays, so that
// its symbols can be read.
func (l *futexLoad) work() {
	l.t.Helper()
	io.WriteString(l.stdin, "go\n")
	l.threads = map[int]bool{}
	for {
		s := l.line()
		var tid int
		if _, err := fmt.Sscanf(s, "thread %d", &tid); err == nil {
			l.threads[tid] = true
			continue
		}
		if s != "done" {
			l.t.Fatalf("futexload said %q, want done", s)
		}
		return
	}
}

// startFutexctn runs futexctn in text, which says it is attached on stderr only, as
// libbpf-tools does, and waits for that line.
func startFutexctn(t *testing.T, args ...string) *proc {
	t.Helper()
	p, hooks := launchTool(t, "futexctn", args...)
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(p.Stderr(), "hit ctrl-c to exit"); {
		select {
		case <-p.done:
			t.Fatalf("futexctn %v exited: %v\nstderr: %s", args, p.err, p.Stderr())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("futexctn %v said nothing in 20s", args)
		}
	}
	checkHooks(t, "futexctn", hooks)
	return p
}

// futexEntry is one entry of futexctn's text report.
type futexEntry struct {
	comm           string
	id             int
	lock           string
	count, avg     uint64
	max, min       uint64
	frames         []string
	histogramTotal uint64
}

var (
	futexHeading = regexp.MustCompile(`^(.*)\[(\d+)\] lock (0x[0-9a-f]+) contended (\d+) times, (\d+) avg usecs \[max: (\d+) usecs, min (\d+) usecs\]$`)
	futexHistRow = regexp.MustCompile(`^\s+\d+ -> \d+\s+: (\d+)\s+\|`)
)

// parseFutexctn reads the entries of a text report: the heading, the stack between "    -"
// lines, the histogram's rows.
func parseFutexctn(t *testing.T, out string) []futexEntry {
	t.Helper()
	var entries []futexEntry
	var e *futexEntry
	inStack := false
	for _, l := range strings.Split(out, "\n") {
		if m := futexHeading.FindStringSubmatch(l); m != nil {
			entries = append(entries, futexEntry{comm: m[1], lock: m[3]})
			e = &entries[len(entries)-1]
			e.id, _ = strconv.Atoi(m[2])
			for i, v := range []*uint64{&e.count, &e.avg, &e.max, &e.min} {
				*v, _ = strconv.ParseUint(m[4+i], 10, 64)
			}
			continue
		}
		switch {
		case e == nil:
		case l == "    -":
			inStack = !inStack
		case inStack:
			e.frames = append(e.frames, strings.TrimSpace(l))
		default:
			if m := futexHistRow.FindStringSubmatch(l); m != nil {
				n, _ := strconv.ParseUint(m[1], 10, 64)
				e.histogramTotal += n
			}
		}
	}
	return entries
}

// TestFutexctn: threads of the workload wait for its mutex; each waiting thread's entry names
// the workload's comm, one of its threads, the mutex, a user stack through futexload_worker,
// and a histogram counting each wait. -T prints the time above the report.
func TestFutexctn(t *testing.T) {
	comm := workloadName("bpfu-futex")
	l := startFutexLoad(t, comm, 4, 30)
	p := startFutexctn(t, "-T", "-p", strconv.Itoa(l.pid))
	l.work()
	out := p.stop()
	if !regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d$`).MatchString(out) {
		t.Errorf("-T: no time line\n%s", out)
	}
	var total uint64
	threads := map[int]bool{}
	for _, e := range parseFutexctn(t, out) {
		if e.comm != comm || e.lock != l.lock {
			t.Errorf("-p %d: entry of %s[%d] lock %s, want %s's lock %s", l.pid, e.comm, e.id, e.lock, comm, l.lock)
			continue
		}
		if !l.threads[e.id] {
			t.Errorf("entry of thread %d, not one of the workload's %v", e.id, l.threads)
		}
		threads[e.id] = true
		total += e.count
		if e.count == 0 || e.histogramTotal != e.count || e.min > e.avg || e.avg > e.max {
			t.Errorf("thread %d: count %d, histogram %d, min %d avg %d max %d", e.id, e.count, e.histogramTotal, e.min, e.avg, e.max)
		}
		if !strings.Contains(strings.Join(e.frames, " "), "futexload_worker") {
			t.Errorf("thread %d: stack %q lacks futexload_worker", e.id, e.frames)
		}
	}
	if total == 0 || len(threads) < 2 {
		t.Errorf("want contention of at least 2 threads, saw %d waits of %d threads\n%s", total, len(threads), out)
	}
}

// TestFutexctnJSON: the same from --json, per thread (table lines with the user stack, and
// histograms labelled alike), then with -s -l -m: one entry for the process and its lock.
func TestFutexctnJSON(t *testing.T) {
	comm := workloadName("bpfu-futexj")
	l := startFutexLoad(t, comm, 4, 30)
	p := start(t, "futexctn", "--json", "-p", strconv.Itoa(l.pid))
	l.work()
	lines := jsonLines(t, "futexctn", p.stop())
	if len(lines) == 0 || lines[0].str("type") != "start" {
		t.Fatalf("no start line: %v", lines)
	}
	counts := map[string]float64{} // by tid and stack id
	for _, e := range ofType(lines, "table") {
		if e.str("comm") != comm || int(e.num("pid")) != l.pid || e.str("lock") != l.lock || e.str("unit") != "usecs" {
			t.Errorf("-p %d: table line %v", l.pid, e)
			continue
		}
		user, _ := e["user"].([]any)
		var names []string
		for _, f := range user {
			m, _ := f.(map[string]any)
			names = append(names, fmt.Sprint(m["symbol"]))
		}
		if !strings.Contains(strings.Join(names, " "), "futexload_worker") {
			t.Errorf("user stack %q lacks futexload_worker", names)
		}
		if e.num("count") == 0 || e.num("min") > e.num("avg") || e.num("avg") > e.num("max") {
			t.Errorf("table line %v", e)
		}
		if !l.threads[int(e.num("tid"))] {
			t.Errorf("table line of thread %v, not one of the workload's %v", e["tid"], l.threads)
		}
		counts[fmt.Sprint(e.num("tid"), "/", e.str("stack_id"))] = e.num("count")
	}
	hists := 0
	for _, h := range ofType(lines, "histogram") {
		k := h.label("tid") + "/" + h.label("stack_id")
		if h.label("comm") != comm || h.label("lock") != l.lock || h.str("unit") != "usecs" || counts[k] == 0 || h.bucketTotal() != counts[k] {
			t.Errorf("histogram %v: want %s's, counting %v", h, comm, counts[k])
		}
		hists++
	}
	if len(counts) < 2 || hists != len(counts) {
		t.Errorf("want entries of at least 2 threads, each with a histogram: %d table lines, %d histograms", len(counts), hists)
	}

	// -s sums the process's threads; -l keeps its lock only; -m counts milliseconds.
	l = startFutexLoad(t, comm, 4, 30)
	p = start(t, "futexctn", "--json", "-s", "-m", "-l", l.lock)
	l.work()
	lines = jsonLines(t, "futexctn", p.stop())
	var count float64
	for _, e := range ofType(lines, "table") {
		if int(e.num("pid")) != l.pid {
			continue // another process's lock at the same address
		}
		if e.str("comm") != comm || e.str("lock") != l.lock || e.str("unit") != "msecs" || e["tid"] != nil || e["user"] != nil {
			t.Errorf("-s -m -l: table line %v", e)
		}
		count += e.num("count")
	}
	var counted float64
	for _, h := range ofType(lines, "histogram") {
		if h.label("pid") == strconv.Itoa(l.pid) {
			counted += h.bucketTotal()
		}
	}
	if count == 0 || counted != count {
		t.Errorf("-s -m -l: %v waits in table lines, %v in histograms\n%v", count, counted, lines)
	}
}

func TestFutexctnBadInput(t *testing.T) {
	badInput(t, "futexctn", "Invalid lock", "-l", "zz")
	badInput(t, "futexctn", "invalid PID", "-p", "abc")
	badInput(t, "futexctn", "invalid TID", "-t", "0")
	badInput(t, "futexctn", "perf max stack depth", "--perf-max-stack-depth", "0")
	badInput(t, "futexctn", "unrecognized positional argument", "1", "2", "3")
}
