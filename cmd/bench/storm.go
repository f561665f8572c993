package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// storm is a tool and the burst of events it must show in full.
type storm struct {
	tool string
	// base are the arguments the storm needs (fsslower's filesystem); args adds BENCH_ARGS_<tool>.
	base     []string
	args     []string
	events   int
	describe string
	// tally: the tool prints counts (a histogram, rates per interval), not one line per event.
	tally *tally
	// json runs the tool with --json: the same storm, counted from its JSON lines.
	json    bool
	prepare func(dir string) (*workload, error)
}

// tally is how a tool that prints counts rather than lines shows a storm: the counts' total
// is what the tool saw, other activity of the machine adding to it.
type tally struct {
	text, json func(out string) int
	// intervals: the tool prints its counts once per interval and nothing at exit, so the
	// storm is seen once the interval holding its end has been printed.
	intervals bool
	note      string
}

var (
	biolatencyTally = &tally{text: histogramTotal, json: jsonHistogramTotal,
		note: "biolatency counts every request on every disk: seen is the histogram total, which other IO can only raise"}
	vfsstatTally = &tally{text: vfsstatTotal, json: jsonVfsstatTotal, intervals: true,
		note: "vfsstat counts every process's reads and writes: seen is the sum of its READ/s and WRITE/s columns over the storm's intervals, which other IO can only raise"}
)

// label names the storm's row: the tool, and " --json" for the JSON run.
func (s storm) label() string {
	if s.json {
		return s.tool + " --json"
	}
	return s.tool
}

// workload generates a storm; match picks the tool's output lines that belong to it.
type workload struct {
	// run makes events events, at rate per second (0: as fast as it can).
	run   func(events, rate int) error
	match func(line []byte) bool
	// jsonMatch is match for the tool's --json lines.
	jsonMatch func(line []byte) bool
	cleanup   func()
	comm      string // the workload's unique comm
	path      string // and the file it works on
}

func storms(scale float64) []storm {
	n := func(x int) int { return max(1, int(float64(x)*scale)) }
	all := []storm{
		{tool: "execsnoop", events: n(5000), prepare: execStorm,
			describe: "%d execs of a uniquely named copy of /bin/true"},
		{tool: "opensnoop", events: n(200000), prepare: openStorm,
			describe: "%d opens of a unique path from a thread of a unique name, as fast as one core can"},
		{tool: "biosnoop", events: n(20000), prepare: directWriteStorm,
			describe: "%d O_DIRECT 4 KiB writes to a file under /var/tmp"},
		{tool: "biolatency", events: n(20000), prepare: directWriteStorm, tally: biolatencyTally,
			describe: "%d O_DIRECT 4 KiB writes to a file under /var/tmp"},
		{tool: "tcpconnect", events: n(20000), prepare: connectStorm(tcpconnectLines),
			describe: connectDescribe + "; seen: the lines of the thread's comm and the listener's port"},
		{tool: "tcplife", events: n(20000), prepare: connectStorm(tcplifeLines),
			describe: connectDescribe + "; seen: the sessions of the thread's comm whose remote port is the listener's"},
		{tool: "tcpstates", events: n(20000), prepare: connectStorm(tcpstatesLines),
			describe: connectDescribe + "; seen: the SYN_SENT -> ESTABLISHED lines whose remote port is the listener's, one per connection (both ends' other changes are printed and counted in CPU per event)"},
		{tool: "fsslower", events: n(200000), prepare: vfsStorm, base: []string{"-t", fsType(dioDir), "-m", "0"},
			describe: vfsDescribe + "; seen: the R and W lines of the thread's comm and the file's name"},
		{tool: "vfsstat", events: n(200000), prepare: vfsStorm, tally: vfsstatTally,
			describe: vfsDescribe},
	}
	for i := range all {
		all[i].args = append(append([]string{}, all[i].base...), extraArgs(all[i].tool)...)
	}
	// Every storm again with --json: the JSON writer must keep up as the text one does.
	for _, s := range all[:len(all):len(all)] {
		s.json = true
		s.args = append(append([]string{}, s.args...), "--json")
		all = append(all, s)
	}
	return all
}

type stormResult struct {
	generated    int
	seen         int   // lines (or a tally's counts) that belong to the workload
	processed    int   // every event the tool printed, the workload's and others'
	lostReported int64 // what the tool said it lost on stderr
	// runs of the tool's BPF programs the kernel skipped during the storm (recursion_misses;
	// -1: not known)
	kernelSkipped int64
	cpuNS         int64 // tool CPU from just before the storm until the tool printed it all
	hwmKB         int64
	// the RSS at the storm's end split as smaps_rollup tells it: anonymous memory (the heap,
	// buffers) and file pages (the binary), and the PSS
	anonKB, fileKB, pssKB int64
	workload              time.Duration
	note                  string
}

// runStorm starts the tool, runs the workload, waits until the tool has printed what it is
// going to print, reads its CPU time and peak RSS, then stops it and counts.
func runStorm(s storm, link, work string) (stormResult, error) {
	dir, err := os.MkdirTemp(work, s.tool+"-")
	if err != nil {
		return stormResult{}, err
	}
	defer os.RemoveAll(dir)
	w, err := s.prepare(dir)
	if err != nil {
		return stormResult{}, err
	}
	if w.cleanup != nil {
		defer w.cleanup()
	}
	match := w.match
	if s.json {
		match = w.jsonMatch
	}
	tr, err := startTool(link, s.args, match, s.tally != nil)
	if err != nil {
		return stormResult{}, err
	}
	res := stormResult{generated: s.events}
	cpu0 := cpuNS(tr.pid())
	skipped0 := recursionMisses(tr.pid())
	t0 := time.Now()
	werr := w.run(s.events, 0)
	res.workload = time.Since(t0)
	if werr != nil {
		tr.finish()
		return res, fmt.Errorf("workload: %w", werr)
	}
	switch {
	case s.tally != nil && s.tally.intervals:
		// Two more lines, in case the first was printed before the storm's end and only read
		// after it.
		tr.waitLines(tr.lines.Load()+2, 10*time.Second)
	case s.tally != nil:
		time.Sleep(300 * time.Millisecond) // the last completions
	default:
		tr.waitMatched(int64(s.events), time.Second)
	}
	res.cpuNS = cpuNS(tr.pid()) - cpu0
	res.kernelSkipped = -1
	if skipped := recursionMisses(tr.pid()); skipped >= 0 && skipped0 >= 0 {
		res.kernelSkipped = skipped - skipped0
	}
	res.hwmKB = procStatus(tr.pid())["VmHWM"]
	rollup := smapsRollup(tr.pid())
	res.anonKB, res.pssKB = rollup["Anonymous"], rollup["Pss"]
	res.fileKB = rollup["Rss"] - rollup["Anonymous"]
	if err := tr.finish(); err != nil {
		return res, err
	}
	res.lostReported = lostReported(tr.errText())
	res.seen, res.processed = int(tr.matched.Load()), int(tr.lines.Load())
	if s.tally != nil {
		total := s.tally.text
		if s.json {
			total = s.tally.json
		}
		res.seen = total(tr.kept.String())
		res.processed = res.seen
		res.note = s.tally.note
	}
	return res, nil
}

// lostRE matches the tools' loss reports: "lost 12 events" (or "Lost 12 events!") and the block
// tools' "12 I/Os not seen completing".
var lostRE = regexp.MustCompile(`(?i)lost (\d+) events|(\d+) I/Os not seen completing`)

// lostReported adds up the tool's "lost N events" lines.
func lostReported(stderr string) int64 {
	var n int64
	for _, m := range lostRE.FindAllStringSubmatch(stderr, -1) {
		v, _ := strconv.ParseInt(m[1]+m[2], 10, 64)
		n += v
	}
	return n
}

// histogramTotal adds up the counts of the log2 histogram rows ("  16 -> 31  : 42  |**|").
func histogramTotal(out string) int {
	total := 0
	for _, line := range strings.Split(out, "\n") {
		if !strings.Contains(line, "->") {
			continue
		}
		_, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		if v, err := strconv.Atoi(f[0]); err == nil {
			total += v
		}
	}
	return total
}

const (
	connectDescribe = "%d TCP connects to a listener of the bench's on 127.0.0.1, each closed at once, from a thread of a unique name"
	vfsDescribe     = "%d 4-byte page-cache writes and reads in turn, of a file under /var/tmp, from a thread of a unique name"
)

// uniqueName is prefix and 8 random hex digits; with a 6-byte prefix it fits a 15-byte comm.
func uniqueName(prefix string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// onNamedThread runs f on an OS thread of its own whose comm is name; the thread is not reused
// afterwards (the goroutine exits still locked, so the runtime ends the thread), and no other
// work runs under that name.
func onNamedThread(name string, f func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		b := append([]byte(name), 0)
		if err := unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(&b[0])), 0, 0, 0); err != nil {
			done <- fmt.Errorf("set thread name: %w", err)
			return
		}
		done <- f()
	}()
	return <-done
}

// pacer spaces events at rate per second (0: no pacing), sleeping in steps of at least a
// millisecond so that a steady load costs the generator little.
type pacer struct {
	rate  int
	start time.Time
}

func newPacer(rate int) pacer { return pacer{rate: rate, start: time.Now()} }

func (p pacer) wait(i int) {
	if p.rate <= 0 {
		return
	}
	due := p.start.Add(time.Duration(int64(i) * int64(time.Second) / int64(p.rate)))
	if d := time.Until(due); d >= time.Millisecond {
		time.Sleep(d)
	}
}

// execStorm execs a copy of /bin/true under a unique name, one after the other.
func execStorm(dir string) (*workload, error) {
	name := uniqueName("bbtrue")
	path := filepath.Join(dir, name)
	src, err := os.ReadFile("/bin/true")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, src, 0o755); err != nil {
		return nil, err
	}
	prefix := []byte(name + " ")
	return &workload{
		run: func(events, rate int) error {
			attr := &syscall.ProcAttr{Env: []string{}}
			argv := []string{path}
			p := newPacer(rate)
			for i := 0; i < events; i++ {
				p.wait(i)
				pid, err := syscall.ForkExec(path, argv, attr)
				if err != nil {
					return err
				}
				var ws syscall.WaitStatus
				if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
					return err
				}
			}
			return nil
		},
		// execsnoop's first column is the new comm: the copy's name
		match:     func(line []byte) bool { return bytes.HasPrefix(line, prefix) },
		jsonMatch: jsonHas(`"comm":"` + name + `"`),
		comm:      name, path: path,
	}, nil
}

// openStorm opens and closes one file of a unique name from a thread of a unique name.
func openStorm(dir string) (*workload, error) {
	comm := uniqueName("bbopen")
	path := filepath.Join(dir, uniqueName("open-"))
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		return nil, err
	}
	commField, pathField := []byte(" "+comm+" "), []byte(" "+path)
	return &workload{
		run: func(events, rate int) error {
			return onNamedThread(comm, func() error {
				p := newPacer(rate)
				for i := 0; i < events; i++ {
					p.wait(i)
					fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
					if err != nil {
						return err
					}
					unix.Close(fd)
				}
				return nil
			})
		},
		match: func(line []byte) bool {
			return bytes.HasSuffix(line, pathField) && bytes.Contains(line, commField)
		},
		jsonMatch: jsonHas(`"comm":"`+comm+`"`, `"path":"`+path+`"`),
		comm:      comm, path: path,
	}, nil
}

const (
	dioSize  = 4096
	dioSpan  = 16 << 20   // the file the writes cycle over
	dioDir   = "/var/tmp" // /tmp is tmpfs here: block IO must go to a real disk
	dioBlock = dioSpan / dioSize
)

// directWriteStorm writes 4 KiB blocks with O_DIRECT over an already written file, so that
// every write is one block request issued by a thread of a unique name.
func directWriteStorm(string) (*workload, error) {
	comm := uniqueName("bbdio_")
	path := filepath.Join(dioDir, "bpfutils-bench-"+comm)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	chunk := make([]byte, 1<<20)
	for off := 0; off < dioSpan; off += len(chunk) {
		if _, err := f.Write(chunk); err != nil {
			f.Close()
			os.Remove(path)
			return nil, err
		}
	}
	err = f.Sync()
	f.Close()
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	commField := []byte(" " + comm + " ")
	return &workload{
		cleanup: func() { os.Remove(path) },
		run: func(events, rate int) error {
			return onNamedThread(comm, func() error {
				fd, err := unix.Open(path, unix.O_WRONLY|unix.O_DIRECT|unix.O_CLOEXEC, 0)
				if err != nil {
					return fmt.Errorf("open %s with O_DIRECT: %w", path, err)
				}
				defer unix.Close(fd)
				// O_DIRECT wants an aligned buffer: a page of its own.
				buf, err := unix.Mmap(-1, 0, dioSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
				if err != nil {
					return err
				}
				defer unix.Munmap(buf)
				p := newPacer(rate)
				for i := 0; i < events; i++ {
					p.wait(i)
					buf[0] = byte(i)
					if _, err := unix.Pwrite(fd, buf, int64(i%dioBlock)*dioSize); err != nil {
						return err
					}
				}
				return nil
			})
		},
		// biosnoop: "TIME(s) COMM PID DISK ..."
		match:     func(line []byte) bool { return bytes.Contains(line, commField) },
		jsonMatch: jsonHas(`"comm":"` + comm + `"`),
		comm:      comm, path: path,
	}, nil
}

// extraArgs are the tool's arguments from BENCH_ARGS_<tool> (e.g. a buffer size to compare).
func extraArgs(tool string) []string {
	if v := os.Getenv("BENCH_ARGS_" + tool); v != "" {
		return strings.Fields(v)
	}
	return nil
}

// jsonHas matches the JSON lines that hold every one of members ("key":"value", as the tools
// write them: no spaces).
func jsonHas(members ...string) func([]byte) bool {
	bs := make([][]byte, len(members))
	for i, m := range members {
		bs[i] = []byte(m)
	}
	return func(line []byte) bool {
		for _, b := range bs {
			if !bytes.Contains(line, b) {
				return false
			}
		}
		return true
	}
}

// jsonHistogramTotal adds up the bucket counts of the histogram lines of --json output.
func jsonHistogramTotal(out string) int {
	total := 0
	for _, line := range strings.Split(out, "\n") {
		var h struct {
			Type    string `json:"type"`
			Buckets []struct {
				Count int `json:"count"`
			} `json:"buckets"`
		}
		if json.Unmarshal([]byte(line), &h) != nil || h.Type != "histogram" {
			continue
		}
		for _, b := range h.Buckets {
			total += b.Count
		}
	}
	return total
}
