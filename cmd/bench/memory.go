package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// The memory comparison runs every tool as a user first meets it: system-wide with its default
// arguments for a few seconds of ordinary background activity, then Ctrl-C. The split into
// anonymous and file-backed pages is smaps_rollup's just before the signal. With a directory of bcc's C libbpf-tools, each C tool runs the same
// way right after ours, and the ratios are what issue "memory" holds us to.
// The peak is VmHWM, the image's high-water mark, read until the process exits.

// memoryRun is one tool's run.
type memoryRun struct {
	PeakKB, AnonKB, FileKB, PssKB int64
}

// memoryResult is a tool's medians, ours and (when given) the C tool's.
type memoryResult struct {
	Tool  string     `json:"tool"`
	Args  []string   `json:"args,omitempty"`
	Ours  memoryRun  `json:"ours"`
	C     *memoryRun `json:"c,omitempty"`
	Stack bool       `json:"stack_tool"`
	Error string     `json:"error,omitempty"`
}

// memoryArgs are what a tool needs beyond its defaults to run system-wide, or nil to skip it.
var memoryArgs = map[string][]string{
	"javagc":      nil,                      // needs a JVM's pid
	"llcstat":     nil,                      // needs hardware cache counters
	"memleak":     {},                       // kernel mode
	"funclatency": {libcPath() + ":malloc"}, // the C tool resolves a bare "c" only with -p
	"ksnoop":      nil,                      // kprobes only, and what it holds depends on the functions traced
}

// stackTools keep stacks and symbolize them: their target is tighter (1.5x).
var stackTools = map[string]bool{"profile": true, "offcputime": true, "wakeuptime": true, "memleak": true, "futexctn": true, "biostacks": true}

// libcPath is the C library's path on this machine, for tools that take LIB:FUNC.
func libcPath() string {
	for _, p := range []string{"/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib64/libc.so.6", "/usr/lib64/libc.so.6", "/lib/libc.so.6"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "c"
}

func measureMemory(c config, listed []string, links map[string]string) []memoryResult {
	var out []memoryResult
	for _, tool := range listed {
		if c.only != nil && !c.only[tool] {
			continue
		}
		args, ok := memoryArgs[tool]
		if ok && args == nil {
			continue
		}
		var cbin string
		if c.cTools != "" {
			if p := filepath.Join(c.cTools, tool); isExecutable(p) {
				cbin = p
			} else {
				continue // side by side only where both exist
			}
		}
		fmt.Fprintf(os.Stderr, "== memory: %s (x%d)\n", tool, c.reps)
		r := memoryResult{Tool: tool, Args: args, Stack: stackTools[tool]}
		var ours, theirs []memoryRun
		for i := 0; i < c.reps; i++ {
			m, err := runForMemory(links[tool], args, c.memoryRun, c.exitLimit)
			if err != nil {
				r.Error = err.Error()
				break
			}
			ours = append(ours, m)
			if cbin != "" {
				m, err := runForMemory(cbin, args, c.memoryRun, c.exitLimit)
				if err != nil {
					r.Error = "C tool: " + err.Error()
					break
				}
				theirs = append(theirs, m)
			}
		}
		if len(ours) > 0 {
			r.Ours = medianRun(ours)
		}
		if len(theirs) > 0 {
			m := medianRun(theirs)
			r.C = &m
		}
		out = append(out, r)
	}
	return out
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// runForMemory runs bin for d with background activity (execs, opens, a disk write: every tool
// has something to see), reads the split, stops it with SIGINT and takes the peak from wait4.
func runForMemory(bin string, args []string, d, exitLimit time.Duration) (memoryRun, error) {
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = nil, nil
	var errBuf strings.Builder
	cmd.Stderr = &errBuf
	if err := cmd.Start(); err != nil {
		return memoryRun{}, err
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { backgroundActivity(stop); close(done) }()
	time.Sleep(d)
	split := smapsRollup(cmd.Process.Pid)
	close(stop)
	<-done
	peak := procStatus(cmd.Process.Pid)["VmHWM"]
	cmd.Process.Signal(syscall.SIGINT)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// The peak is the new image's own high-water mark, followed until the process is gone:
	// stack tools symbolize after the signal. (wait4's ru_maxrss would not do: it keeps the
	// larger of the image's and the forking bench's RSS, which grows as the bench runs.)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	deadline := time.After(exitLimit)
wait:
	for {
		select {
		case <-exited:
			break wait
		case <-tick.C:
			peak = max(peak, procStatus(cmd.Process.Pid)["VmHWM"])
		case <-deadline:
			cmd.Process.Kill()
			<-exited
			return memoryRun{}, fmt.Errorf("did not exit within %s of SIGINT", exitLimit)
		}
	}
	if len(split) == 0 {
		return memoryRun{}, fmt.Errorf("exited early: %s", firstLine(errBuf.String()))
	}
	return memoryRun{
		PeakKB: peak,
		AnonKB: split["Anonymous"],
		FileKB: split["Rss"] - split["Anonymous"],
		PssKB:  split["Pss"],
	}, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// backgroundActivity execs, opens and writes a little, about a hundred times a second, until
// stop: ordinary background for tools that would otherwise see nothing.
func backgroundActivity(stop chan struct{}) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	f, _ := os.CreateTemp("", "bpfutils-bench-mem-")
	if f != nil {
		defer os.Remove(f.Name())
		defer f.Close()
	}
	buf := make([]byte, 4096)
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		if i%10 == 0 {
			exec.Command("/bin/true").Run()
		}
		if g, err := os.Open("/etc/hostname"); err == nil {
			g.Close()
		}
		if f != nil {
			f.WriteAt(buf, int64(i%256)*4096)
			if i%20 == 0 {
				f.Sync()
			}
		}
	}
}

func medianRun(runs []memoryRun) memoryRun {
	med := func(get func(memoryRun) int64) int64 {
		v := make([]int64, len(runs))
		for i, r := range runs {
			v[i] = get(r)
		}
		sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
		return v[len(v)/2]
	}
	return memoryRun{
		PeakKB: med(func(r memoryRun) int64 { return r.PeakKB }),
		AnonKB: med(func(r memoryRun) int64 { return r.AnonKB }),
		FileKB: med(func(r memoryRun) int64 { return r.FileKB }),
		PssKB:  med(func(r memoryRun) int64 { return r.PssKB }),
	}
}

// memoryTargets: peak at most 2x the C tool's (stack tools 1.5x), anonymous at most C's peak.
func (r memoryResult) targets() (ratio float64, limit float64, peakMet, anonMet bool) {
	limit = 2
	if r.Stack {
		limit = 1.5
	}
	if r.C == nil || r.C.PeakKB == 0 {
		return 0, limit, false, false
	}
	ratio = float64(r.Ours.PeakKB) / float64(r.C.PeakKB)
	return ratio, limit, ratio <= limit, r.Ours.AnonKB <= r.C.PeakKB
}

func mib(kb int64) string { return fmt.Sprintf("%.2f", float64(kb)/1024) }

func memoryMarkdown(b *strings.Builder, rs []memoryResult, runFor string, cTools string) {
	if len(rs) == 0 {
		return
	}
	fmt.Fprintf(b, "\n## Memory: each tool system-wide for %s, then SIGINT (MiB; medians)\n\n", runFor)
	yes := map[bool]string{true: "yes", false: "**no**"}
	if cTools == "" {
		b.WriteString("| tool | peak RSS | anonymous | file-backed | PSS |\n|---|---:|---:|---:|---:|\n")
		for _, r := range rs {
			if r.Error != "" {
				fmt.Fprintf(b, "| %s | %s | | | |\n", r.Tool, r.Error)
				continue
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", r.Tool, mib(r.Ours.PeakKB), mib(r.Ours.AnonKB), mib(r.Ours.FileKB), mib(r.Ours.PssKB))
		}
		return
	}
	fmt.Fprintf(b, "Side by side with the C tools in %s.\n\n", cTools)
	b.WriteString("| tool | C peak | ours peak | ours / C | target | met | C anon | ours anon | anon <= C peak | C file | ours file |\n")
	b.WriteString("|---|---:|---:|---:|---:|---|---:|---:|---|---:|---:|\n")
	var met, total int
	for _, r := range rs {
		if r.Error != "" || r.C == nil {
			fmt.Fprintf(b, "| %s | %s | | | | | | | | | |\n", r.Tool, r.Error)
			continue
		}
		ratio, limit, peakOK, anonOK := r.targets()
		total++
		if peakOK && anonOK {
			met++
		}
		fmt.Fprintf(b, "| %s | %s | %s | %.2fx | %gx | %s | %s | %s | %s | %s | %s |\n", r.Tool,
			mib(r.C.PeakKB), mib(r.Ours.PeakKB), ratio, limit, yes[peakOK],
			mib(r.C.AnonKB), mib(r.Ours.AnonKB), yes[anonOK], mib(r.C.FileKB), mib(r.Ours.FileKB))
	}
	fmt.Fprintf(b, "\n%d of %d tools meet both memory targets.\n", met, total)
}
