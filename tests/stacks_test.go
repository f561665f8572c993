package tests

// Workloads and output parsers for the stack tools' tests (profile, offcputime, wakeuptime).

import (
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// stackLoad is testdata/stackload.c running: a C program with known function names, built
// with frame pointers so that its user stacks unwind.
type stackLoad struct {
	*workload
	child int // pingpong's second process
}

// startStackLoad builds and starts stackload under comm with args (see stackload.c) and waits
// until it is ready to work.
func startStackLoad(t *testing.T, comm string, args ...string) *stackLoad {
	t.Helper()
	bin := cProgram(t, "stackload")
	cmd := exec.Command(bin, append([]string{comm}, args...)...)
	l := &stackLoad{workload: startWorkload(t, cmd, comm)}
	for {
		line := l.line()
		if _, err := fmt.Sscanf(line, "child %d", &l.child); err == nil {
			continue
		}
		if _, err := fmt.Sscanf(line, "ready %d", &l.pid); err != nil {
			t.Fatalf("workload said %q, want ready", line)
		}
		return l
	}
}

// begin lets the workload go; done waits until it finished. It stays alive afterwards, so
// that the tools can still read its symbols.
func (l *stackLoad) begin() { io.WriteString(l.stdin, "go\n") }

func (l *stackLoad) done() {
	l.t.Helper()
	if s := l.line(); s != "done" {
		l.t.Fatalf("workload said %q, want done", s)
	}
}

// spinLimit bounds a spin that the test ends with finish.
const spinLimit = "60000"

// finish ends a spin or sleep loop that was started with a long limit and waits until it stopped: the tools
// then sampled the workload for all of their run, however long a slow machine took to start them.
func (l *stackLoad) finish() {
	l.t.Helper()
	io.WriteString(l.stdin, "stop\n")
	l.done()
}

func (l *stackLoad) work() {
	l.t.Helper()
	l.begin()
	l.done()
}

// stackEntry is one block of the multi-line stack output of profile or offcputime.
type stackEntry struct {
	kernel []string // with -d: the frames before the "--" line; else every frame
	user   []string // with -d: the frames after it
	comm   string
	pid    int
	value  uint64
}

var commLine = regexp.MustCompile(`^    -                (.*) \((\d+)\)$`)

// parseStacks parses the blocks after the header line: frames "    name", an optional "    --",
// "    -                comm (pid)", "        value", an empty line.
func parseStacks(t *testing.T, out string) []stackEntry {
	t.Helper()
	lines := strings.Split(out, "\n")
	var entries []stackEntry
	var cur stackEntry
	inUser := false
	for i := 1; i < len(lines); i++ {
		l := lines[i]
		if m := commLine.FindStringSubmatch(l); m != nil {
			cur.comm = m[1]
			cur.pid, _ = strconv.Atoi(m[2])
			if i+2 >= len(lines) || !strings.HasPrefix(lines[i+1], "        ") || lines[i+2] != "" {
				t.Fatalf("line %d: no value and empty line after %q\n%s", i+1, l, out)
			}
			v, err := strconv.ParseUint(strings.TrimPrefix(lines[i+1], "        "), 10, 64)
			if err != nil {
				t.Fatalf("line %d: bad value %q\n%s", i+2, lines[i+1], out)
			}
			cur.value = v
			entries = append(entries, cur)
			cur, inUser = stackEntry{}, false
			i += 2
			continue
		}
		switch {
		case l == "" && i == len(lines)-1:
		case l == "    --":
			inUser = true
		case strings.HasPrefix(l, "    ") && !strings.HasPrefix(l, "     "):
			if inUser {
				cur.user = append(cur.user, l[4:])
			} else {
				cur.kernel = append(cur.kernel, l[4:])
			}
		default:
			t.Fatalf("line %d: unexpected %q\n%s", i+1, l, out)
		}
	}
	return entries
}

// entriesOf returns the entries of one process.
func entriesOf(entries []stackEntry, comm string, pid int) []stackEntry {
	var r []stackEntry
	for _, e := range entries {
		if e.comm == comm && e.pid == pid {
			r = append(r, e)
		}
	}
	return r
}

func (e stackEntry) frames() []string { return append(append([]string{}, e.kernel...), e.user...) }

// hasInOrder reports whether frames holds want in this order (not necessarily adjacent).
func hasInOrder(frames []string, want ...string) bool {
	for _, f := range frames {
		if len(want) > 0 && f == want[0] {
			want = want[1:]
		}
	}
	return len(want) == 0
}

// foldedLine is flame-graph input: ";"-separated frames, a space, a count. Frames may hold
// spaces ("[Missed User Stack]"): flamegraph.pl splits at the last one.
var foldedLine = regexp.MustCompile(`^(.+) ([0-9]+)$`)

// parseFolded returns each line's frames (the comm first) and value.
func parseFolded(t *testing.T, out string) (frames [][]string, values []uint64) {
	t.Helper()
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if l == "" {
			continue
		}
		m := foldedLine.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("not a folded stack line: %q", l)
			continue
		}
		v, _ := strconv.ParseUint(m[2], 10, 64)
		frames = append(frames, strings.Split(m[1], ";"))
		values = append(values, v)
	}
	return frames, values
}

// tracerFrame names the frames of the tracing machinery that must not lead a kernel stack.
// The image's end markers stand for a BPF program that kallsyms did not list when it was read.
func tracerFrame(f string) bool {
	if f == "_etext" || f == "_einittext" {
		return true
	}
	for _, p := range []string{"bpf_prog_", "bpf_trace_run", "__traceiter_", "__bpf_trace_"} {
		if strings.HasPrefix(f, p) {
			return true
		}
	}
	return false
}

// jsonStack is one "stack" line of a stack tool's --json output.
type jsonStack struct {
	comm          string // profile, offcputime
	pid           int
	waker, target string // wakeuptime
	value         uint64
	kernel, user  []string // symbol names, innermost first; "[unknown]" where the symbol is null
	kernelMissed  bool
	userMissed    bool
}

// jsonStacks parses a stack tool's --json output: the "start" line first, with the text
// header as its message, then "stack" lines whose value is named valueKey and whose frames
// each have an address; it returns the stacks.
func jsonStacks(t *testing.T, tool, out, valueKey, header string) []jsonStack {
	t.Helper()
	lines := jsonLines(t, tool, out)
	if len(lines) == 0 || lines[0]["type"] != "start" || lines[0].str("message") != header {
		t.Fatalf("want a start line with message %q first\n%s", header, out)
	}
	if n := len(ofType(lines, "stack")); n != len(lines)-1 {
		t.Errorf("%d lines besides the start line are not stack lines\n%s", len(lines)-1-n, out)
	}
	var stacks []jsonStack
	for _, l := range ofType(lines, "stack") {
		v, ok := l[valueKey].(float64)
		if !ok {
			t.Errorf("stack line without a number %q: %v", valueKey, l)
		}
		s := jsonStack{comm: l.str("comm"), pid: int(l.num("pid")), waker: l.str("waker"), target: l.str("target"), value: uint64(v)}
		s.kernel, s.kernelMissed = jsonFrames(t, l, "kernel")
		s.user, s.userMissed = jsonFrames(t, l, "user")
		stacks = append(stacks, s)
	}
	return stacks
}

// jsonFrames reads one side of a stack line: its symbol names, or whether it was lost.
func jsonFrames(t *testing.T, l jsonLine, side string) (names []string, missed bool) {
	t.Helper()
	v, present := l[side]
	if present && v == nil {
		if l[side+"_missed"] != true {
			t.Errorf("%s is null without %s_missed: %v", side, side, l)
		}
		return nil, true
	}
	frames, _ := v.([]any)
	if present && frames == nil {
		t.Errorf("%s is not an array of frames: %v", side, l)
	}
	for _, f := range frames {
		m, _ := f.(map[string]any)
		if a, _ := m["address"].(string); !strings.HasPrefix(a, "0x") {
			t.Errorf("%s frame without an address: %v", side, f)
		}
		name, _ := m["symbol"].(string)
		if name == "" {
			name = "[unknown]"
		} else if _, ok := m["offset"].(float64); !ok {
			t.Errorf("%s frame with a symbol but no offset: %v", side, f)
		}
		names = append(names, name)
	}
	return names, false
}

// within reports whether two tools' measures of one workload agree within a fraction of the
// larger one.
func within(a, b uint64, fraction float64) bool {
	d := float64(max(a, b) - min(a, b))
	return d <= fraction*float64(max(a, b))
}
