package tests

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// wakeupEntry is one block of wakeuptime's output.
type wakeupEntry struct {
	target, waker string
	frames        []string // function names, innermost first
	us            uint64
}

var (
	wakeTarget = regexp.MustCompile(`^\ttarget:          (.*)$`)
	wakeFrame  = regexp.MustCompile(`^\t([0-9a-f]+) +([^ ]+)\+0x[0-9a-f]+$`)
	wakeWaker  = regexp.MustCompile(`^\t          waker: (.*)$`)
	wakeValue  = regexp.MustCompile(`^\t([0-9]+)$`)
)

// parseWakeups parses libbpf-tools' layout: an empty line, "\ttarget:          COMM",
// "\tADDR             name+0xOFF" frames, "\t          waker: COMM", "\tMICROSECONDS".
func parseWakeups(t *testing.T, out string) []wakeupEntry {
	t.Helper()
	lines := strings.Split(out, "\n")
	if lines[0] != "Tracing blocked time (us) by kernel stack" {
		t.Errorf("header %q", lines[0])
	}
	var entries []wakeupEntry
	var cur wakeupEntry
	for i, l := range lines[1:] {
		if l == "" {
			continue
		}
		if m := wakeTarget.FindStringSubmatch(l); m != nil {
			if lines[i] != "" {
				t.Errorf("line %d: no empty line before %q", i+2, l)
			}
			cur = wakeupEntry{target: m[1]}
		} else if m := wakeFrame.FindStringSubmatch(l); m != nil {
			cur.frames = append(cur.frames, m[2])
		} else if strings.HasSuffix(l, " Unknown") {
			cur.frames = append(cur.frames, "Unknown")
		} else if m := wakeWaker.FindStringSubmatch(l); m != nil {
			cur.waker = m[1]
		} else if m := wakeValue.FindStringSubmatch(l); m != nil {
			cur.us, _ = strconv.ParseUint(m[1], 10, 64)
			entries = append(entries, cur)
		} else {
			t.Errorf("line %d: unexpected %q", i+2, l)
		}
	}
	return entries
}

// Two processes bounce a byte through pipes: each one's sleeps in read are ended by the
// other's write, and wakeuptime names the waker with the kernel stack of its pipe write.
func TestWakeuptime(t *testing.T) {
	ping, pong := workloadName("wping"), workloadName("wpong")
	l := startStackLoad(t, ping, "pingpong", pong, "700")
	p := start(t, "wakeuptime", "-p", strconv.Itoa(l.pid))
	l.work()
	out := p.stop()

	var us uint64
	for _, e := range parseWakeups(t, out) {
		if e.target != ping {
			t.Errorf("-p %d (%s) shows wakeups of %s", l.pid, ping, e.target)
		}
		if len(e.frames) > 0 && tracerFrame(e.frames[0]) {
			t.Errorf("kernel stack starts with the tracer: %v", e.frames)
		}
		// The pipe write function is anon_pipe_write since 6.15, pipe_write before.
		if e.waker == pong && (hasInOrder(e.frames, "try_to_wake_up", "anon_pipe_write", "vfs_write") ||
			hasInOrder(e.frames, "try_to_wake_up", "pipe_write", "vfs_write")) {
			us += e.us
		}
	}
	t.Logf("%d us blocked until %s's pipe writes", us, pong)
	if us == 0 {
		t.Errorf("want %s woken by %s in try_to_wake_up <- pipe_write <- vfs_write\n%s", ping, pong, out)
	}
}

// Folded: waker, its kernel frames outermost first, wakee, microseconds; tp_btf attach.
func TestWakeuptimeFolded(t *testing.T) {
	ping, pong := workloadName("wfping"), workloadName("wfpong")
	l := startStackLoad(t, ping, "pingpong", pong, spinLimit)
	l.begin()
	t.Setenv("BPFUTILS_ATTACH", "tp_btf")
	out, stderr, code := runTool(t, "wakeuptime", "-v", "-f", "-p", strconv.Itoa(l.child), "1")
	l.finish()
	if code != 0 || !strings.Contains(stderr, "wakeups via tp_btf sched:sched_waking") {
		t.Fatalf("exit %d, want tp_btf sched_waking: %s", code, stderr)
	}
	frames, values := parseFolded(t, out)
	var us uint64
	for i, f := range frames {
		if f[len(f)-1] != pong {
			t.Errorf("-p %d (%s) shows wakeups of %s", l.child, pong, f[len(f)-1])
		}
		if f[0] == ping && slices.Contains(f, "try_to_wake_up") && slices.Contains(f, "vfs_write") {
			us += values[i]
			if tracerFrame(f[len(f)-2]) {
				t.Errorf("kernel stack starts with the tracer: %v", f)
			}
		}
	}
	if us == 0 {
		t.Errorf("want %s;...;vfs_write;...;try_to_wake_up;%s lines\n%s", ping, pong, out)
	}
}

func TestWakeuptimeBadInput(t *testing.T) {
	badInput(t, "wakeuptime", "invalid PID", "-p", "x")
	badInput(t, "wakeuptime", "use either -u or -p", "-u", "-p", "1")
	badInput(t, "wakeuptime", "min_block_time should be smaller than max_block_time", "-m", "5", "-M", "5")
	badInput(t, "wakeuptime", "invalid stack storage size", "--stack-storage-size", "-1")
	badInput(t, "wakeuptime", "invalid duration", "x")
}

// --json: one "stack" line per waker stack with the waker, the target, the blocked time in
// total_us and the waker's kernel frames named by symbol. Beside the text tool on 50 sleeps of
// 20 ms, both sum the same time. (Not on the ping-pong: there each block lasts microseconds,
// and the tool attached second counts the first one's wakeup program, a few microseconds a
// wakeup, as blocked time.)
func TestWakeuptimeJSON(t *testing.T) {
	ping, pong := workloadName("wjping"), workloadName("wjpong")
	l := startStackLoad(t, ping, "pingpong", pong, "700")
	js := start(t, "wakeuptime", "--json", "-p", strconv.Itoa(l.pid))
	l.work()
	jsonOut := js.stop()
	const header = "Tracing blocked time (us) by kernel stack"
	var us uint64
	for _, s := range jsonStacks(t, "wakeuptime", jsonOut, "total_us", header) {
		if s.target != ping {
			t.Errorf("-p %d (%s) shows wakeups of %s", l.pid, ping, s.target)
		}
		if s.user != nil || s.userMissed || s.comm != "" {
			t.Errorf("a wakeup with a user stack or a comm: %+v", s)
		}
		if len(s.kernel) > 0 && tracerFrame(s.kernel[0]) {
			t.Errorf("kernel stack starts with the tracer: %v", s.kernel)
		}
		if s.waker == pong && (hasInOrder(s.kernel, "try_to_wake_up", "anon_pipe_write", "vfs_write") ||
			hasInOrder(s.kernel, "try_to_wake_up", "pipe_write", "vfs_write")) {
			us += s.value
		}
	}
	t.Logf("%d us blocked until %s's pipe writes", us, pong)
	if us == 0 {
		t.Errorf("want %s woken by %s in try_to_wake_up <- pipe_write <- vfs_write\n%s", ping, pong, jsonOut)
	}

	sleeper := workloadName("wjsleep")
	l = startStackLoad(t, sleeper, "sleep", "50", "20")
	pid := strconv.Itoa(l.pid)
	text := start(t, "wakeuptime", "-p", pid)
	js = start(t, "wakeuptime", "--json", "-p", pid)
	l.work()
	outs := stopAll(text, js)
	textOut, jsonOut := outs[0], outs[1]
	var slept, textSlept uint64
	for _, s := range jsonStacks(t, "wakeuptime", jsonOut, "total_us", header) {
		if s.target != sleeper {
			t.Errorf("-p %d (%s) shows wakeups of %s", l.pid, sleeper, s.target)
		}
		slept += s.value
	}
	for _, e := range parseWakeups(t, textOut) {
		textSlept += e.us
	}
	t.Logf("%s blocked %d us in JSON, %d us in text", sleeper, slept, textSlept)
	if slept < 49*20000 || !within(slept, textSlept, 0.05) {
		t.Errorf("want at least 49 x 20 ms blocked in JSON and text, within 5%%: %d us, %d us\n%s\n%s", slept, textSlept, textOut, jsonOut)
	}
}
