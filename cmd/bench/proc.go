package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const headerTimeout = 30 * time.Second

// toolEnv is added to the tools' environment (-tool-env), not the bench's.
var toolEnv []string

// toolRun is a running tool whose stdout goes to a pipe that the bench reads as fast as it
// comes, counting lines as they arrive (the workload's, and all of them).
type toolRun struct {
	cmd     *exec.Cmd
	started time.Time
	match   func([]byte) bool

	header  chan struct{} // closed at the first complete line
	untilHd time.Duration // exec to the first line
	// exitAfter: from SIGINT until the tool had exited
	exitAfter time.Duration
	eof       chan struct{} // closed when stdout is closed
	lines     atomic.Int64  // lines after the first (the header)
	matched   atomic.Int64  // of those, the workload's

	mu     sync.Mutex
	stderr bytes.Buffer
	keep   bool
	kept   bytes.Buffer // all of stdout, when keep (read it after finish)
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// startTool runs the tool and returns once it printed its first line (libbpf-tools print their
// header once attached), or with an error if it exits or stays silent.
func startTool(link string, args []string, match func([]byte) bool, keep bool) (*toolRun, error) {
	tr := &toolRun{match: match, keep: keep, header: make(chan struct{}), eof: make(chan struct{})}
	if tr.match == nil {
		tr.match = func([]byte) bool { return false }
	}
	tr.cmd = exec.Command(link, args...)
	if len(toolEnv) > 0 {
		tr.cmd.Env = append(os.Environ(), toolEnv...)
	}
	tr.cmd.Stderr = lockedWriter{&tr.mu, &tr.stderr}
	out, err := tr.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	tr.started = time.Now()
	if err := tr.cmd.Start(); err != nil {
		return nil, err
	}
	go tr.read(out)
	select {
	case <-tr.header:
		return tr, nil
	case <-tr.eof:
		tr.cmd.Wait()
		return nil, fmt.Errorf("%s exited before printing: %s", filepath.Base(link), tr.errText())
	case <-time.After(headerTimeout):
		tr.cmd.Process.Kill()
		tr.cmd.Wait()
		return nil, fmt.Errorf("%s printed nothing in %s: %s", filepath.Base(link), headerTimeout, tr.errText())
	}
}

// read counts lines with no allocation per line: a storm is hundreds of thousands of them, and
// a slow reader would stall the tool on a full pipe.
func (tr *toolRun) read(out io.Reader) {
	defer close(tr.eof)
	buf := make([]byte, 1<<20)
	have := 0 // bytes of an incomplete line kept at the start of buf
	first := true
	for {
		n, err := out.Read(buf[have:])
		if n > 0 {
			if tr.keep {
				tr.kept.Write(buf[have : have+n])
			}
			data := buf[:have+n]
			var lines, matched int64
			for {
				i := bytes.IndexByte(data, '\n')
				if i < 0 {
					break
				}
				if first {
					tr.untilHd = time.Since(tr.started)
					first = false
					close(tr.header)
				} else {
					lines++
					if tr.match(data[:i]) {
						matched++
					}
				}
				data = data[i+1:]
			}
			tr.lines.Add(lines)
			tr.matched.Add(matched)
			if len(data) == len(buf) { // a line longer than the buffer: count it as cut
				data = data[:0]
			}
			have = copy(buf, data)
		}
		if err != nil {
			return
		}
	}
}

func (tr *toolRun) pid() int { return tr.cmd.Process.Pid }

func (tr *toolRun) errText() string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return strings.TrimSpace(tr.stderr.String())
}

// waitMatched returns once want of the workload's lines arrived, or none came for quiet.
func (tr *toolRun) waitMatched(want int64, quiet time.Duration) {
	last, lastChange := int64(-1), time.Now()
	for {
		m := tr.matched.Load()
		if m >= want {
			return
		}
		if m != last {
			last, lastChange = m, time.Now()
		} else if time.Since(lastChange) > quiet {
			return
		}
		select {
		case <-tr.eof:
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// waitLines returns once the tool printed want lines after its first, or after timeout.
func (tr *toolRun) waitLines(want int64, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for tr.lines.Load() < want && time.Now().Before(deadline) {
		select {
		case <-tr.eof:
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// finish stops the tool as Ctrl-C does, reads the rest of its output and waits for it.
func (tr *toolRun) finish() error {
	sent := time.Now()
	tr.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-tr.eof:
	case <-time.After(10 * time.Second):
		tr.cmd.Process.Kill()
		tr.cmd.Wait()
		return errors.New("tool did not exit within 10s of SIGINT")
	}
	err := tr.cmd.Wait()
	tr.exitAfter = time.Since(sent)
	if err != nil {
		return fmt.Errorf("tool exited with %v: %s", err, tr.errText())
	}
	return nil
}

// startupOnce runs the tool until its first line and returns the time from exec to that line,
// its VmHWM then, and how long it took to exit after SIGINT (detach, final output, exit).
func startupOnce(link string, args []string) (time.Duration, int64, time.Duration, error) {
	tr, err := startTool(link, args, nil, false)
	if err != nil {
		return 0, 0, 0, err
	}
	hwm := procStatus(tr.pid())["VmHWM"]
	if err := tr.finish(); err != nil {
		return 0, 0, 0, err
	}
	return tr.untilHd, hwm, tr.exitAfter, nil
}

// procStatus returns the kB figures of /proc/PID/status (VmRSS, VmHWM, ...).
func procStatus(pid int) map[string]int64 { return kbFigures(fmt.Sprintf("/proc/%d/status", pid)) }

// smapsRollup returns the kB figures of /proc/PID/smaps_rollup (Rss, Pss, Anonymous, ...).
func smapsRollup(pid int) map[string]int64 {
	return kbFigures(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
}

// kbFigures reads the "Name: N kB" lines of a /proc file.
func kbFigures(path string) map[string]int64 {
	m := map[string]int64{}
	b, err := os.ReadFile(path)
	if err != nil {
		return m
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || !strings.HasSuffix(v, " kB") {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(v, " kB")), 10, 64)
		if err == nil {
			m[k] = n
		}
	}
	return m
}

// cpuNS is the CPU time the process's threads have used, in nanoseconds: the scheduler's
// runtime from schedstat, since utime+stime in /proc/PID/stat count whole 10 ms ticks, too
// coarse for a storm that costs the tool tens of milliseconds.
func cpuNS(pid int) int64 {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	var total int64
	found := false
	for _, p := range tasks {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		f := strings.Fields(string(b))
		if len(f) == 0 {
			continue
		}
		if n, err := strconv.ParseInt(f[0], 10, 64); err == nil && n > 0 {
			total += n
			found = true
		}
	}
	if found {
		return total
	}
	return ticksNS(pid)
}

// recursionMisses adds up recursion_misses of the BPF programs pid holds (their fds' fdinfo):
// the runs the kernel skipped because another kprobe, tracepoint or perf_event program was
// already running on that CPU (a softirq's tracepoint nested in a program interrupted in
// process context, or in a bpf() map call). A skipped run is an event the tool never got
// and cannot count as lost from its buffer; -1 where fdinfo has no such line (before 5.12).
func recursionMisses(pid int) int64 {
	fds, _ := filepath.Glob(fmt.Sprintf("/proc/%d/fdinfo/*", pid))
	var total int64 = -1
	for _, p := range fds {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if n, ok := fdinfoRecursionMisses(string(b)); ok {
			total = max(total, 0) + n
		}
	}
	return total
}

// fdinfoRecursionMisses reads the recursion_misses line of a BPF program's fdinfo.
func fdinfoRecursionMisses(fdinfo string) (int64, bool) {
	for _, line := range strings.Split(fdinfo, "\n") {
		if v, ok := strings.CutPrefix(line, "recursion_misses:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// ticksNS is utime+stime from /proc/PID/stat, for kernels without schedstat.
func ticksNS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return (ut + st) * int64(time.Second) / 100 // USER_HZ is 100 on every Linux ABI
}
