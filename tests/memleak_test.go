package tests

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// What testdata/leaker.c keeps: leak_here's blocks, calloc_here's, align_here's.
const (
	leaks, leakSize     = 1000, 4096
	callocs, callocSize = 100, 8 * 512
	aligns, alignSize   = 50, 8192
	leakPipes           = 200
)

// startLeaker starts testdata/leaker.c in a mode (leak, pipes N) and waits until it is ready.
func startLeaker(t *testing.T, comm string, args ...string) *stackLoad {
	t.Helper()
	cmd := exec.Command(cProgram(t, "leaker"), append([]string{comm}, args...)...)
	l := &stackLoad{workload: startWorkload(t, cmd, comm)}
	if line := l.line(); !strings.HasPrefix(line, "ready ") {
		t.Fatalf("workload said %q, want ready", line)
	}
	return l
}

// memEntry is one stack of a memleak report: "N bytes in M allocations from stack", -a's
// "addr = ... size = ..." lines, then frames "\tI [<ADDR>] name+0xOFF [module]".
type memEntry struct {
	bytes, allocs uint64
	sizes         []uint64 // -a
	frames        []string // function names, "<null sym>" or "[module]" when unknown
}

func (e memEntry) has(fn string) bool {
	for _, f := range e.frames {
		if strings.Contains(f, fn) {
			return true
		}
	}
	return false
}

type memReport struct {
	top     int
	entries []memEntry
}

var (
	memReportLine = regexp.MustCompile(`^\[\d{1,2}:\d{1,2}:\d{1,2}\] Top (\d+) stacks with outstanding allocations:$`)
	memEntryLine  = regexp.MustCompile(`^(\d+) bytes in (\d+) allocations from stack$`)
	memAllocLine  = regexp.MustCompile(`^\taddr = 0x[0-9a-f]+ size = (\d+)$`)
	memFrameLine  = regexp.MustCompile(`^\t(\d+) \[<([0-9a-f]{16})>\] (.*)$`)
)

// parseMemleak parses memleak's text output after the lines before the first report, which
// must be the banner (and with -c the child's lines); each report's "Top N" must be its count.
func parseMemleak(t *testing.T, out string) []memReport {
	t.Helper()
	var reports []memReport
	for i, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if m := memReportLine.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[1])
			reports = append(reports, memReport{top: n})
			continue
		}
		if len(reports) == 0 {
			continue
		}
		r := &reports[len(reports)-1]
		if m := memEntryLine.FindStringSubmatch(l); m != nil {
			b, _ := strconv.ParseUint(m[1], 10, 64)
			a, _ := strconv.ParseUint(m[2], 10, 64)
			r.entries = append(r.entries, memEntry{bytes: b, allocs: a})
			continue
		}
		if len(r.entries) == 0 {
			if l == "signaled child process" || l == "reaped child process" {
				continue
			}
			t.Fatalf("line %d: %q before a stack\n%s", i+1, l, out)
		}
		e := &r.entries[len(r.entries)-1]
		if m := memAllocLine.FindStringSubmatch(l); m != nil {
			s, _ := strconv.ParseUint(m[1], 10, 64)
			e.sizes = append(e.sizes, s)
			continue
		}
		if m := memFrameLine.FindStringSubmatch(l); m != nil {
			if idx, _ := strconv.Atoi(m[1]); idx != len(e.frames) {
				t.Fatalf("line %d: frame %d after %d frames\n%s", i+1, idx, len(e.frames), out)
			}
			name, _, _ := strings.Cut(m[3], "+0x")
			e.frames = append(e.frames, name)
			continue
		}
		if l == "signaled child process" || l == "reaped child process" {
			continue
		}
		t.Fatalf("line %d: unexpected %q\n%s", i+1, l, out)
	}
	for _, r := range reports {
		if r.top != len(r.entries) {
			t.Errorf("report says Top %d, shows %d stacks\n%s", r.top, len(r.entries), out)
		}
	}
	if len(reports) == 0 {
		t.Fatalf("no report\n%s", out)
	}
	return reports
}

// entriesWith keeps the entries with a frame naming fn.
func entriesWith(entries []memEntry, fn string) []memEntry {
	var out []memEntry
	for _, e := range entries {
		if e.has(fn) {
			out = append(out, e)
		}
	}
	return out
}

// checkLeaks holds the last report to what leaker.c keeps, and to nothing of what it freed.
func checkLeaks(t *testing.T, out string, r memReport) {
	t.Helper()
	for _, want := range []struct {
		fn          string
		count, size uint64
	}{{"leak_here", leaks, leakSize}, {"calloc_here", callocs, callocSize}, {"align_here", aligns, alignSize}} {
		es := entriesWith(r.entries, want.fn)
		if len(es) != 1 || es[0].allocs != want.count || es[0].bytes != want.count*want.size {
			t.Errorf("want one stack through %s with %d bytes in %d allocations, got %+v\n%s",
				want.fn, want.count*want.size, want.count, es, out)
			continue
		}
		if es[0].frames[0] != want.fn || !es[0].has("main") {
			t.Errorf("stack of %s does not start in it and reach main: %v", want.fn, es[0].frames)
		}
	}
	if es := entriesWith(r.entries, "churn_here"); len(es) > 0 {
		t.Errorf("churn_here frees every block, yet memleak shows %+v\n%s", es, out)
	}
}

// A process keeps 1000 blocks of 4096 bytes from leak_here, 100 callocs and 50 posix_memaligns,
// and frees 1000 more: memleak -p shows exactly what it kept, by the functions that kept it.
func TestMemleakProcess(t *testing.T) {
	l := startLeaker(t, workloadName("mleak"), "leak")
	p := start(t, "memleak", "-p", strconv.Itoa(l.pid), "1")
	l.work()
	out := p.stop()
	if want := fmt.Sprintf("Attaching to pid %d, Ctrl+C to quit.\n", l.pid); !strings.HasPrefix(out, want) {
		t.Errorf("want header %q\n%s", want, out)
	}
	reports := parseMemleak(t, out)
	checkLeaks(t, out, reports[len(reports)-1])
}

// -a lists each outstanding block; -z/-Z keep only sizes within bounds.
func TestMemleakShowAllocsSizes(t *testing.T) {
	l := startLeaker(t, workloadName("mlsize"), "leak")
	p := start(t, "memleak", "-a", "-z", "4000", "-Z", "5000", "-p", strconv.Itoa(l.pid), "1")
	l.work()
	out := p.stop()
	r := parseMemleak(t, out)
	last := r[len(r)-1]
	es := entriesWith(last.entries, "leak_here")
	if len(es) != 1 || len(es[0].sizes) != leaks {
		t.Fatalf("want leak_here's %d blocks listed, got %+v\n%s", leaks, es, out)
	}
	for _, s := range es[0].sizes {
		if s != leakSize {
			t.Fatalf("block of %d bytes, want %d", s, leakSize)
		}
	}
	// calloc_here's 4096-byte blocks are within bounds, align_here's 8192 not.
	if len(entriesWith(last.entries, "calloc_here")) != 1 || len(entriesWith(last.entries, "align_here")) != 0 {
		t.Errorf("-z 4000 -Z 5000: want calloc_here's blocks and not align_here's\n%s", out)
	}
}

func TestMemleakProcessJSON(t *testing.T) {
	l := startLeaker(t, workloadName("mljson"), "leak")
	p := start(t, "memleak", "--json", "-a", "-p", strconv.Itoa(l.pid), "1")
	l.work()
	out := p.stop()
	lines := jsonLines(t, "memleak", out)
	stacks := ofType(lines, "stack")
	last := 0.0
	for _, s := range stacks {
		last = max(last, s.num("report"))
	}
	var found int
	for _, s := range stacks {
		if s.num("report") != last || s.num("pid") != float64(l.pid) {
			continue
		}
		frames, _ := s["user"].([]any)
		if len(frames) == 0 {
			t.Fatalf("stack without user frames: %v", s)
		}
		first, _ := frames[0].(map[string]any)
		if first["symbol"] != "leak_here" {
			continue
		}
		found++
		allocs, _ := s["allocs"].([]any)
		if s.num("bytes") != leaks*leakSize || s.num("allocations") != leaks || len(allocs) != leaks {
			t.Errorf("leak_here: %v bytes in %v allocations (%d listed), want %d in %d", s.num("bytes"), s.num("allocations"), len(allocs), leaks*leakSize, leaks)
		}
		if !strings.HasSuffix(fmt.Sprint(first["module"]), "leaker") {
			t.Errorf("leak_here's module %v, want the leaker", first["module"])
		}
	}
	if found != 1 {
		t.Errorf("want one stack starting in leak_here in the last report, got %d\n%s", found, out)
	}
}

// -c runs the command, held until its allocator is probed, and ends it at the end.
func TestMemleakCommand(t *testing.T) {
	bin := cProgram(t, "leaker")
	p := start(t, "memleak", "-c", bin, "1")
	p.waitFor("leak_here", 30*time.Second)
	// One more report, which sees all of what the command keeps.
	n := strings.Count(p.Stdout(), "Top ")
	for deadline := time.Now().Add(20 * time.Second); strings.Count(p.Stdout(), "Top ") <= n; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no report after the first one\n%s", p.Stdout())
		}
	}
	out := p.stop()
	var child, attached int
	if _, err := fmt.Sscanf(out, "child created with pid: %d\nreceived go event. executing child command\nAttaching to pid %d, Ctrl+C to quit.\n", &child, &attached); err != nil || child != attached {
		t.Errorf("want the child's lines and the header naming it: %v\n%s", err, out)
	}
	if !strings.HasSuffix(out, "signaled child process\nreaped child process\n") {
		t.Errorf("want the child signaled and reaped at the end\n%s", out)
	}
	if err := syscall.Kill(child, 0); err == nil {
		t.Errorf("child %d still runs", child)
	}
	reports := parseMemleak(t, out)
	checkLeaks(t, out, reports[len(reports)-1])
}

// kernelPipeLeak runs memleak in kernel mode (args added) while leaker opens leakPipes pipes
// and writes a byte into each: the kernel keeps a page per pipe from pipe_write and a buffer
// array from alloc_pipe_info. Then the pipes are closed, which frees them. It returns the
// output and the number of reports made before the pipes were closed and after they were
// filled (the last of those is the one to look for them in).
func kernelPipeLeak(t *testing.T, args ...string) (out string, filled int) {
	l := startLeaker(t, workloadName("mlpipe"), "pipes", strconv.Itoa(leakPipes))
	// Stacks of the whole system compete for the map's slots: a larger map keeps a collision
	// from losing the pipes' stack.
	p := start(t, "memleak", append([]string{"-T", "100000", "--stack-storage-size", "65536", "--perf-max-stack-depth", "32"}, args...)...)
	l.work()
	// Reports so far: their headers, or in JSON the highest report number (kernel mode
	// always has stacks to show).
	reports := func() int {
		n := strings.Count(p.Stdout(), "Top ")
		for _, m := range jsonReportNumber.FindAllStringSubmatch(p.Stdout(), -1) {
			r, _ := strconv.Atoi(m[1])
			n = max(n, r)
		}
		return n
	}
	// Two more reports: the second was read from the kernel after the pipes were filled. What
	// shows of a report was read before any of it was printed.
	want := reports() + 2
	for deadline := time.Now().Add(30 * time.Second); reports() < want; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no report\n%s", p.Stdout())
		}
	}
	filled = reports()
	io.WriteString(l.stdin, "close\n")
	if s := l.line(); s != "closed" {
		t.Fatalf("workload said %q, want closed", s)
	}
	return p.stop(), filled
}

var jsonReportNumber = regexp.MustCompile(`"report":(\d+)`)

// pipePages adds up the allocations of the stacks through pipe_write <- vfs_write, and checks
// that each is a page.
func pipePages(t *testing.T, r memReport) (pages, pipeInfos uint64) {
	t.Helper()
	for _, e := range r.entries {
		if e.allocs == 0 || e.bytes < e.allocs {
			t.Errorf("%d bytes in %d allocations", e.bytes, e.allocs)
		}
		if e.has("pipe_write") && e.has("vfs_write") {
			pages += e.allocs
			if e.bytes != e.allocs*uint64(os.Getpagesize()) {
				t.Errorf("pipe_write: %d bytes in %d allocations, want a page each: %v", e.bytes, e.allocs, e.frames)
			}
		}
		if e.has("alloc_pipe_info") && !e.has("slab") {
			pipeInfos += e.allocs
		}
	}
	return pages, pipeInfos
}

func TestMemleakKernel(t *testing.T) {
	out, filled := kernelPipeLeak(t, "1")
	if !strings.HasPrefix(out, "Attaching to kernel allocators, Ctrl+C to quit.\n") {
		t.Errorf("header\n%.500s", out)
	}
	reports := parseMemleak(t, out)
	pages, pipeInfos := pipePages(t, reports[filled-1])
	if pages < leakPipes || pipeInfos < leakPipes {
		t.Errorf("want at least %d pages from pipe_write <- vfs_write and %d buffers from alloc_pipe_info, got %d and %d\n%s",
			leakPipes, leakPipes, pages, pipeInfos, out)
	}
	// Closed, the pipes are freed: what is left of them is other processes' (a few at most).
	pages, pipeInfos = pipePages(t, reports[len(reports)-1])
	if pages > leakPipes/4 || pipeInfos > leakPipes/4 {
		t.Errorf("after the pipes were closed, still %d pages from pipe_write and %d buffers from alloc_pipe_info\n%s",
			pages, pipeInfos, out)
	}
}

func TestMemleakKernelJSON(t *testing.T) {
	out, filled := kernelPipeLeak(t, "--json", "1")
	stacks := ofType(jsonLines(t, "memleak", out), "stack")
	// Pages from pipe_write <- vfs_write, by report.
	pages := map[float64]float64{}
	for _, s := range stacks {
		frames, ok := s["kernel"].([]any)
		if !ok {
			t.Fatalf("stack without kernel frames: %v", s)
		}
		var names []string
		for _, f := range frames {
			m, _ := f.(map[string]any)
			names = append(names, fmt.Sprint(m["symbol"]))
		}
		joined := strings.Join(names, " ")
		if strings.Contains(joined, "pipe_write") && strings.Contains(joined, "vfs_write") {
			pages[s.num("report")] += s.num("allocations")
			if s.num("bytes") != s.num("allocations")*float64(os.Getpagesize()) {
				t.Errorf("pipe_write: %v bytes in %v allocations", s.num("bytes"), s.num("allocations"))
			}
		}
	}
	last := 0.0
	for _, s := range stacks {
		last = max(last, s.num("report"))
	}
	if pages[float64(filled)] < leakPipes || pages[last] > leakPipes/4 {
		t.Errorf("want at least %d pages from pipe_write in report %d, at most %d in the last, got %v",
			leakPipes, filled, leakPipes/4, pages)
	}
}

func TestMemleakBadInput(t *testing.T) {
	missing := 0
	for pid := 32767; pid > 1; pid-- {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
			missing = pid
			break
		}
	}
	badInput(t, "memleak", fmt.Sprintf("no process with pid %d", missing), "-p", strconv.Itoa(missing))
	badInput(t, "memleak", "min size (-z) can't be greater than max_size (-Z)", "-z", "100", "-Z", "10")
	badInput(t, "memleak", `invalid MIN_SIZE "-5"`, "-z", "-5")
	badInput(t, "memleak", `invalid MAX_SIZE "x"`, "-Z", "x")
	badInput(t, "memleak", `invalid interval "0"`, "0")
	badInput(t, "memleak", "cannot specify both command and pid", "-c", "/bin/true", "-p", "1")
	badInput(t, "memleak", "cannot execute", "-c", "/nonexistent/leaker")
}
