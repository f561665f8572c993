package tests

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// A program spinning in burn_here <- spin_loop <- main for 1.5 s, and reading /dev/zero from
// spin_loop, sampled at 99 Hz: its user stacks name those functions, its kernel stacks the
// read, and the samples add up to a good part of 1.5 s on a busy machine.
func TestProfile(t *testing.T) {
	l := startStackLoad(t, workloadName("pspin"), "spin", "1500")
	pid := strconv.Itoa(l.pid)
	// A stack map as large as the default of BCC's Python tool: with libbpf-tools' 1024 slots
	// two stacks now and then hash to one slot, and a sample loses its user stack.
	p := start(t, "profile", "-F", "99", "--stack-storage-size", "16384", "-p", pid)
	l.work()
	out := p.stop()

	if want := fmt.Sprintf("Sampling at 99 Hertz of PID [%d] by user + kernel... Hit Ctrl-C to end.\n", l.pid); !strings.HasPrefix(out, want) {
		t.Errorf("header: want %q\n%s", want, out)
	}
	entries := parseStacks(t, out)
	own := entriesOf(entries, l.comm, l.pid)
	if len(own) != len(entries) {
		t.Errorf("-p %d: %d entries of other processes\n%s", l.pid, len(entries)-len(own), out)
	}
	var total, inBurn, inRead uint64
	for _, e := range own {
		total += e.value
		if hasInOrder(e.frames(), "burn_here", "spin_loop", "main") {
			inBurn += e.value
		}
		// Without -d the kernel frames come first, then the user frames.
		if hasInOrder(e.frames(), "vfs_read", "ksys_read", "spin_loop", "main") {
			inRead += e.value
			if tracerFrame(e.frames()[0]) {
				t.Errorf("kernel stack starts with the tracer: %v", e.frames())
			}
		}
	}
	// 1.5 s at 99 Hz is 148 samples on an idle CPU.
	t.Logf("%d samples: %d in burn_here <- spin_loop <- main, %d in vfs_read <- ... <- spin_loop", total, inBurn, inRead)
	if inBurn < 10 || inRead < 3 || (inBurn+inRead)*2 < total {
		t.Errorf("want most of the samples in burn_here <- spin_loop <- main (at least 10) and "+
			"vfs_read <- ksys_read <- ... <- spin_loop <- main (at least 3)\n%s", out)
	}
	// Most-sampled first.
	if !slices.IsSortedFunc(own, func(a, b stackEntry) int { return int(b.value) - int(a.value) }) {
		t.Errorf("entries not sorted by count, largest first\n%s", out)
	}
}

// Folded output, one line per stack, comm then user frames outermost first, as flame graph
// scripts read it; -d puts a "-" frame between user and kernel frames, -a marks kernel frames.
func TestProfileFolded(t *testing.T) {
	l := startStackLoad(t, workloadName("pfold"), "spin", spinLimit)
	pid := strconv.Itoa(l.pid)
	l.begin()
	out, stderr, code := runTool(t, "profile", "-f", "-F", "99", "-p", pid, "1")
	delimited, _, code2 := runTool(t, "profile", "-f", "-d", "-a", "-F", "99", "-p", pid, "1")
	l.finish()
	if code != 0 || code2 != 0 {
		t.Fatalf("exit %d, %d: %s", code, code2, stderr)
	}
	frames, values := parseFolded(t, out)
	var inBurn uint64
	for i, f := range frames {
		if f[0] != l.comm {
			t.Errorf("line of another process: %v", f)
		}
		if n := len(f); n >= 4 && slices.Equal(f[n-3:], []string{"main", "spin_loop", "burn_here"}) {
			inBurn += values[i]
		}
	}
	if inBurn < 10 {
		t.Errorf("want at least 10 samples ending in main;spin_loop;burn_here\n%s", out)
	}

	frames, _ = parseFolded(t, delimited)
	kernelSeen := false
	for _, f := range frames {
		i := slices.Index(f, "-")
		if i < 0 {
			continue // a sample with one stack only
		}
		if slices.Contains(f[:i], "spin_loop") && slices.Contains(f[i:], "vfs_read_[k]") {
			kernelSeen = true
		}
		for _, k := range f[i+1:] {
			if !strings.HasSuffix(k, "_[k]") {
				t.Errorf("kernel frame %q without _[k] in %v", k, f)
			}
		}
		for _, u := range f[1:i] {
			if strings.HasSuffix(u, "_[k]") {
				t.Errorf("user frame %q with _[k] in %v", u, f)
			}
		}
		if tracerFrame(f[len(f)-1]) {
			t.Errorf("kernel stack starts with the tracer: %v", f)
		}
	}
	if !kernelSeen {
		t.Errorf("-d -a: no ...;spin_loop;...;-;...;vfs_read_[k];... line\n%s", delimited)
	}
}

// -U shows user stacks only, -K kernel stacks only, -C one CPU, -c a period instead of a
// frequency.
func TestProfileModes(t *testing.T) {
	l := startStackLoad(t, workloadName("pmode"), "spin", spinLimit)
	pid := strconv.Itoa(l.pid)
	l.begin()
	userOnly, _, _ := runTool(t, "profile", "-U", "-d", "-p", pid, "1")
	kernelOnly, _, _ := runTool(t, "profile", "-K", "-p", pid, "1")
	period, _, _ := runTool(t, "profile", "-c", "2000000", "-C", "0", "-p", pid, "1")
	l.finish()

	if want := fmt.Sprintf("Sampling at 49 Hertz of PID [%d] by user for 1 secs.\n", l.pid); !strings.HasPrefix(userOnly, want) {
		t.Errorf("-U header: want %q\n%s", want, userOnly)
	}
	var n uint64
	for _, e := range parseStacks(t, userOnly) {
		if len(e.user) > 0 {
			t.Errorf("-U -d printed a delimiter: %+v", e)
		}
		if hasInOrder(e.kernel, "burn_here", "spin_loop", "main") {
			n += e.value
		}
		for _, f := range e.kernel {
			if strings.HasPrefix(f, "entry_SYSCALL") || strings.HasPrefix(f, "asm_") {
				t.Errorf("-U shows kernel frame %s", f)
			}
		}
	}
	if n < 5 {
		t.Errorf("-U: want at least 5 samples in burn_here\n%s", userOnly)
	}

	if !strings.HasPrefix(kernelOnly, fmt.Sprintf("Sampling at 49 Hertz of PID [%d] by kernel for 1 secs.\n", l.pid)) {
		t.Errorf("-K header\n%s", kernelOnly)
	}
	n = 0
	for _, e := range parseStacks(t, kernelOnly) {
		if slices.Contains(e.frames(), "spin_loop") {
			t.Errorf("-K shows user frames: %v", e.frames())
		}
		if hasInOrder(e.kernel, "vfs_read", "ksys_read") {
			n += e.value
		}
	}
	if n < 3 {
		t.Errorf("-K: want at least 3 samples in vfs_read <- ksys_read\n%s", kernelOnly)
	}

	if !strings.HasPrefix(period, fmt.Sprintf("Sampling at every 2000000 events of PID [%d] by user + kernel on CPU#0 for 1 secs.\n", l.pid)) {
		t.Errorf("-c -C header\n%s", period)
	}
	parseStacks(t, period) // CPU 0 may not have run the workload: the layout is what counts
}

// --cgroup profiles only the processes of one cgroup-v2 group.
func TestProfileCgroup(t *testing.T) {
	l := startStackLoad(t, workloadName("pcg"), "spin", spinLimit)
	cg := l.cgroupOf()
	l.begin()
	out, stderr, code := runTool(t, "profile", "--cgroup", cg, "1")
	l.finish()
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	entries := parseStacks(t, out)
	if own := entriesOf(entries, l.comm, l.pid); len(own) == 0 || len(own) != len(entries) {
		t.Errorf("want the workload's stacks only\n%s", out)
	}
}

func TestProfileBadInput(t *testing.T) {
	badInput(t, "profile", "invalid PID", "-p", "x")
	badInput(t, "profile", "too many PIDs", "-p", strings.Repeat("1,", 30)+"1")
	badInput(t, "profile", "cannot be used together", "-U", "-K")
	badInput(t, "profile", "cannot be used together", "-p", "1", "-L", "1")
	badInput(t, "profile", "cannot be used together", "-F", "99", "-c", "1000")
	badInput(t, "profile", "invalid FREQUENCY", "-F", "0")
	badInput(t, "profile", "cpu 4096 out of range", "-C", "4096")
	badInput(t, "profile", "invalid perf max stack depth", "--perf-max-stack-depth", "100000")
	badInput(t, "profile", "invalid stack storage size", "--stack-storage-size", "0")
	badInput(t, "profile", "invalid duration", "0")
	badInput(t, "profile", "cgroup", "--cgroup", "/sys/fs/cgroup/unified/no-such-group")
}

// --json: one "stack" line per stack, with the task, the count and frames that carry the
// workload's symbol names; run beside the text tool over the whole of one workload, the two
// count about as many samples. -f with --json prints JSON lines too.
func TestProfileJSON(t *testing.T) {
	l := startStackLoad(t, workloadName("pjson"), "spin", "1500")
	pid := strconv.Itoa(l.pid)
	text := start(t, "profile", "-F", "99", "--stack-storage-size", "16384", "-p", pid)
	js := start(t, "profile", "--json", "-F", "99", "--stack-storage-size", "16384", "-p", pid)
	folded := start(t, "profile", "--json", "-f", "-F", "99", "-p", pid)
	l.work()
	outs := stopAll(text, js, folded)
	textOut, jsonOut, foldedOut := outs[0], outs[1], outs[2]

	header := fmt.Sprintf("Sampling at 99 Hertz of PID [%d] by user + kernel... Hit Ctrl-C to end.", l.pid)
	var total, inBurn, inRead uint64
	for _, s := range jsonStacks(t, "profile", jsonOut, "count", header) {
		if s.comm != l.comm || s.pid != l.pid {
			t.Errorf("-p %d: a stack of %s (%d)", l.pid, s.comm, s.pid)
		}
		total += s.value
		switch {
		case hasInOrder(s.user, "burn_here", "spin_loop", "main"):
			inBurn += s.value
		case hasInOrder(s.kernel, "vfs_read") && hasInOrder(s.user, "spin_loop", "main"):
			inRead += s.value
		}
		if len(s.kernel) > 0 && tracerFrame(s.kernel[0]) {
			t.Errorf("kernel stack starts with the tracer: %v", s.kernel)
		}
	}
	var textTotal uint64
	for _, e := range entriesOf(parseStacks(t, textOut), l.comm, l.pid) {
		textTotal += e.value
	}
	t.Logf("JSON: %d samples, %d in burn_here <- spin_loop <- main, %d in vfs_read; text: %d samples", total, inBurn, inRead, textTotal)
	if inBurn < 10 || (inBurn+inRead)*2 < total {
		t.Errorf("want most samples in burn_here <- spin_loop <- main (at least 10) or its reads\n%s", jsonOut)
	}
	if !within(total, textTotal, 0.2) {
		t.Errorf("JSON counted %d samples, text %d: want them within 20%%", total, textTotal)
	}
	if len(jsonStacks(t, "profile", foldedOut, "count", header)) == 0 {
		t.Errorf("-f --json: no stack lines\n%s", foldedOut)
	}
}
