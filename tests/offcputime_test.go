package tests

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// 50 sleeps of 20 ms in sleep_here: at least a second off the CPU under sleep_here, in
// kernel stacks that start at __schedule (not in the tracer) and go through do_nanosleep.
func TestOffcputime(t *testing.T) {
	l := startStackLoad(t, workloadName("osleep"), "sleep", "50", "20")
	p := start(t, "offcputime", "-d", "-p", strconv.Itoa(l.pid))
	l.work()
	out := p.stop()

	if want := fmt.Sprintf("Tracing off-CPU time (us) of PID [%d]... Hit Ctrl-C to end.\n", l.pid); !strings.HasPrefix(out, want) {
		t.Errorf("header: want %q\n%s", want, out)
	}
	entries := parseStacks(t, out)
	var slept uint64
	for _, e := range entries {
		if e.comm != l.comm || e.pid != l.pid {
			t.Errorf("-p %d shows %s (%d)", l.pid, e.comm, e.pid)
		}
		if len(e.kernel) == 0 || tracerFrame(e.kernel[0]) {
			t.Errorf("kernel stack empty or starting with the tracer: %v", e.kernel)
		}
		if hasInOrder(e.user, "sleep_here", "main") && hasInOrder(e.kernel, "schedule", "do_nanosleep") {
			slept += e.value
		}
	}
	t.Logf("%d us off-CPU under sleep_here", slept)
	// Each sleep keeps the task off the CPU at least 20 ms; allow for one sleep whose
	// context switches a busy machine hands to another stack (or that the kernel skipped
	// while other tracers attached to sched_switch).
	if slept < 49*20000 {
		t.Errorf("want at least 49 x 20 ms off-CPU in schedule <- do_nanosleep ... sleep_here <- main\n%s", out)
	}
	// The longest last.
	if !slices.IsSortedFunc(entries, func(a, b stackEntry) int { return int(a.value) - int(b.value) }) {
		t.Errorf("entries not sorted by time, longest last\n%s", out)
	}
}

// Folded output: comm, user frames outermost first, then kernel frames down to __schedule.
// The tracepoint is forced onto tp_btf (the alternative to the preferred raw_tp).
func TestOffcputimeFolded(t *testing.T) {
	l := startStackLoad(t, workloadName("ofold"), "sleep", "100000", "10")
	l.begin()
	t.Setenv("BPFUTILS_ATTACH", "tp_btf")
	out, stderr, code := runTool(t, "offcputime", "-v", "-f", "-p", strconv.Itoa(l.pid), "1")
	l.finish()
	if code != 0 || !strings.Contains(stderr, "via tp_btf sched:sched_switch") {
		t.Fatalf("exit %d, want tp_btf: %s", code, stderr)
	}
	frames, values := parseFolded(t, out)
	var slept uint64
	for i, f := range frames {
		if f[0] != l.comm {
			t.Errorf("line of another process: %v", f)
		}
		if tracerFrame(f[len(f)-1]) {
			t.Errorf("kernel stack starts with the tracer: %v", f)
		}
		if hasInOrder(f, "main", "sleep_here", "do_nanosleep", "schedule") {
			slept += values[i]
		}
	}
	// A 1 s window over a thread that sleeps all the time, less the sleeps cut by its ends.
	t.Logf("%d us off-CPU under sleep_here", slept)
	if slept < 500000 {
		t.Errorf("want at least 0.5 s off-CPU under main;sleep_here;...;do_nanosleep;...;schedule\n%s", out)
	}
}

// -v numbers the frames through both stacks and shows addresses and offsets; -U and -K keep
// one side; -m drops the short blocks.
func TestOffcputimeModes(t *testing.T) {
	l := startStackLoad(t, workloadName("omode"), "sleep", "20", "20")
	pid := strconv.Itoa(l.pid)
	verbose := start(t, "offcputime", "-v", "-p", pid)
	userOnly := start(t, "offcputime", "-U", "-p", pid)
	kernelOnly := start(t, "offcputime", "-K", "-t", pid)
	long := start(t, "offcputime", "-m", "1000000", "-p", pid)
	l.work()

	out := verbose.stop()
	kernelFrame := regexp.MustCompile(`^#(\d+) +0x[0-9a-f]+ [^ ]+\+0x[0-9a-f]+$`)
	userFrame := regexp.MustCompile(`^#(\d+) +0x[0-9a-f]{16}( [^ ]+\+0x[0-9a-f]+)?( \(.+\+0x[0-9a-f]+\))?$`)
	found := false
	for _, e := range parseStacks(t, out) {
		for i, f := range e.kernel {
			m := kernelFrame.FindStringSubmatch(f)
			if m == nil {
				m = userFrame.FindStringSubmatch(f)
			}
			if m == nil || m[1] != strconv.Itoa(i) {
				t.Errorf("frame %d: %q is not a verbose frame #%d", i, f, i)
			}
			if strings.Contains(f, " sleep_here+0x") && strings.Contains(f, "stackload+0x") {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("-v: no sleep_here+0xOFF (.../stackload+0xOFF) frame\n%s", out)
	}

	out = userOnly.stop()
	for _, e := range parseStacks(t, out) {
		if slices.ContainsFunc(e.kernel, func(f string) bool { return strings.Contains(f, "schedule") }) {
			t.Errorf("-U shows kernel frames: %v", e.kernel)
		}
	}
	if !strings.Contains(out, "    sleep_here\n") {
		t.Errorf("-U: no sleep_here\n%s", out)
	}

	out = kernelOnly.stop()
	if !strings.HasPrefix(out, fmt.Sprintf("Tracing off-CPU time (us) of TID [%d]... ", l.pid)) {
		t.Errorf("-t header\n%s", out)
	}
	for _, e := range parseStacks(t, out) {
		if slices.Contains(e.kernel, "sleep_here") {
			t.Errorf("-K shows user frames: %v", e.kernel)
		}
	}
	if !strings.Contains(out, "    do_nanosleep\n") {
		t.Errorf("-K: no do_nanosleep\n%s", out)
	}

	// No 20 ms sleep lasts a second.
	if out := long.stop(); strings.Contains(out, "sleep_here") {
		t.Errorf("-m 1000000 shows 20 ms sleeps\n%s", out)
	}
}

func TestOffcputimeBadInput(t *testing.T) {
	badInput(t, "offcputime", "invalid PID", "-p", "1,x")
	badInput(t, "offcputime", "invalid TID", "-t", "0")
	badInput(t, "offcputime", "cannot be used together", "-u", "-k")
	badInput(t, "offcputime", "cannot be used together", "-U", "-K")
	badInput(t, "offcputime", "doesn't make sense", "-k", "-U")
	badInput(t, "offcputime", "min_block_time should be smaller than max_block_time", "-m", "10", "-M", "5")
	badInput(t, "offcputime", "Invalid min block time", "-m", "x")
	badInput(t, "offcputime", "Invalid task state", "--state", "3")
	badInput(t, "offcputime", "invalid perf max stack depth", "--perf-max-stack-depth", "0")
	badInput(t, "offcputime", "unrecognized positional argument", "1", "2")
}

// --json: one "stack" line per stack with the thread, its blocked time in total_us and frames
// named by symbol; beside the text tool on the same sleeps, both sum the same time.
func TestOffcputimeJSON(t *testing.T) {
	l := startStackLoad(t, workloadName("ojson"), "sleep", "50", "20")
	pid := strconv.Itoa(l.pid)
	text := start(t, "offcputime", "-d", "-p", pid)
	js := start(t, "offcputime", "--json", "-p", pid)
	l.work()
	outs := stopAll(text, js)
	textOut, jsonOut := outs[0], outs[1]

	header := fmt.Sprintf("Tracing off-CPU time (us) of PID [%d]... Hit Ctrl-C to end.", l.pid)
	var slept uint64
	for _, s := range jsonStacks(t, "offcputime", jsonOut, "total_us", header) {
		if s.comm != l.comm || s.pid != l.pid {
			t.Errorf("-p %d: a stack of %s (%d)", l.pid, s.comm, s.pid)
		}
		if len(s.kernel) == 0 || tracerFrame(s.kernel[0]) {
			t.Errorf("kernel stack empty or starting with the tracer: %v", s.kernel)
		}
		if hasInOrder(s.user, "sleep_here", "main") && hasInOrder(s.kernel, "schedule", "do_nanosleep") {
			slept += s.value
		}
	}
	var textSlept uint64
	for _, e := range parseStacks(t, textOut) {
		if hasInOrder(e.user, "sleep_here", "main") && hasInOrder(e.kernel, "schedule", "do_nanosleep") {
			textSlept += e.value
		}
	}
	t.Logf("%d us off-CPU under sleep_here in JSON, %d us in text", slept, textSlept)
	if slept < 49*20000 {
		t.Errorf("JSON: want at least 49 x 20 ms off-CPU in schedule <- do_nanosleep ... sleep_here <- main\n%s", jsonOut)
	}
	if !within(slept, textSlept, 0.05) {
		t.Errorf("JSON sums %d us, text %d us: want them within 5%%\n%s\n%s", slept, textSlept, textOut, jsonOut)
	}
}

// -s (BCC's Python offcputime): every known frame as name+0xOFF, kernel and user; the
// offsets are those the -v frames show. -f and -s exclude each other, as in Python.
func TestOffcputimeOffsets(t *testing.T) {
	l := startStackLoad(t, workloadName("ooffs"), "sleep", "20", "20")
	pid := strconv.Itoa(l.pid)
	offsets := start(t, "offcputime", "-s", "-d", "-p", pid)
	verbose := start(t, "offcputime", "-v", "-p", pid)
	l.work()
	out, vout := offsets.stop(), verbose.stop()

	frame := regexp.MustCompile(`^([^ ]+)\+(0x[0-9a-f]+)$`)
	var kernelSeen, userSeen bool
	seen := map[string]bool{}
	for _, e := range parseStacks(t, out) {
		for _, f := range e.frames() {
			m := frame.FindStringSubmatch(f)
			if m == nil && f != "unknown" && f != "[unknown]" {
				t.Errorf("frame %q is not name+0xOFF", f)
				continue
			}
			if m != nil {
				seen[f] = true
			}
		}
		if slices.ContainsFunc(e.kernel, func(f string) bool { return strings.HasPrefix(f, "do_nanosleep+0x") }) {
			kernelSeen = true
		}
		if slices.ContainsFunc(e.user, func(f string) bool { return strings.HasPrefix(f, "sleep_here+0x") }) {
			userSeen = true
		}
	}
	if !kernelSeen || !userSeen {
		t.Errorf("-s -d: want do_nanosleep+0xOFF among the kernel frames and sleep_here+0xOFF among the user frames\n%s", out)
	}
	// -v shows "#N 0xADDR name+0xOFF ...": the same name+0xOFF as -s.
	for _, e := range parseStacks(t, vout) {
		for _, f := range e.kernel {
			if fs := strings.Fields(f); len(fs) >= 3 && strings.HasPrefix(fs[2], "sleep_here+0x") && !seen[fs[2]] {
				t.Errorf("-v shows %s, -s never did\n%s", fs[2], out)
			}
		}
	}
	badInput(t, "offcputime", "can only use -f or -s", "-f", "-s")
}
