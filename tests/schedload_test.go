package tests

// Scheduler workloads for the sched tools' tests. The test binary doubles as the workload: copied
// under a unique name (so its comm is unique) and run with BPFUTILS_SCHED_WORKLOAD set, init
// runs the workload instead of the tests.

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const schedWorkloadEnv = "BPFUTILS_SCHED_WORKLOAD"

func init() {
	if mode := os.Getenv(schedWorkloadEnv); mode != "" {
		os.Exit(schedWorkload(mode, os.Args[1:]))
	}
}

// schedWorkload speaks a line protocol on stdin/stdout: it prints "ready <tid>" (the tid of its
// first worker thread), waits for a line, works, prints "done", then idles until stdin closes so
// that its /proc entries stay readable.
//
//	storm THREADS BUSY_US SLEEP_US MILLIS: THREADS OS threads each spin BUSY_US then sleep
//	    SLEEP_US, for MILLIS ms. More threads than CPUs keep the run queues busy.
//	sleep COUNT SLEEP_US: one thread sleeps SLEEP_US, COUNT times, with next to no CPU in between.
func schedWorkload(mode string, args []string) int {
	num := func(i int) int {
		n, err := strconv.Atoi(args[i])
		if err != nil {
			panic(err)
		}
		return n
	}
	var work func(tids chan<- int)
	threads := 1
	switch mode {
	case "storm":
		threads = num(0)
		busy := time.Duration(num(1)) * time.Microsecond
		nap := unix.NsecToTimespec(int64(num(2)) * 1000)
		until := time.Duration(num(3)) * time.Millisecond
		work = func(tids chan<- int) {
			tids <- unix.Gettid()
			<-startSignal
			end := time.Now().Add(until)
			for time.Now().Before(end) {
				for spin := time.Now(); time.Since(spin) < busy; {
				}
				unix.Nanosleep(&nap, nil)
			}
		}
	case "sleep":
		count := num(0)
		nap := unix.NsecToTimespec(int64(num(1)) * 1000)
		work = func(tids chan<- int) {
			tids <- unix.Gettid()
			<-startSignal
			for i := 0; i < count; i++ {
				unix.Nanosleep(&nap, nil)
			}
		}
	default:
		fmt.Fprintf(os.Stderr, "unknown workload %q\n", mode)
		return 2
	}
	// Every worker spins in Go code, which takes a P: give each one.
	runtime.GOMAXPROCS(threads + 1)
	tids := make(chan int, threads)
	var wg sync.WaitGroup
	for i := 0; i < threads; i++ {
		wg.Add(1)
		go func() {
			runtime.LockOSThread() // one OS thread per worker, sleeping in the kernel
			work(tids)
			wg.Done()
			<-make(chan struct{}) // keep the thread, and its /proc entry, until the end
		}()
	}
	first := <-tids
	for i := 1; i < threads; i++ {
		<-tids
	}
	in := bufio.NewReader(os.Stdin)
	fmt.Printf("ready %d\n", first)
	if _, err := in.ReadString('\n'); err != nil {
		return 0
	}
	close(startSignal)
	wg.Wait()
	fmt.Println("done")
	io.Copy(io.Discard, in)
	return 0
}

var startSignal = make(chan struct{})

// schedLoad is a running workload.
type schedLoad struct {
	*workload
	tid int // first worker thread
}

// startSchedLoad starts a workload under a unique comm and waits until it is ready to work.
func startSchedLoad(t *testing.T, prefix, mode string, args ...string) *schedLoad {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	comm := workloadName(prefix)
	cmd := exec.Command(copyExecutable(t, self, comm), args...)
	cmd.Env = append(os.Environ(), schedWorkloadEnv+"="+mode)
	cmd.Stderr = os.Stderr
	l := &schedLoad{workload: startWorkload(t, cmd, comm)}
	line := l.line()
	if _, err := fmt.Sscanf(line, "ready %d", &l.tid); err != nil {
		t.Fatalf("workload said %q, want ready", line)
	}
	return l
}

// work lets the workload go and returns when it is done.
func (l *schedLoad) work() {
	l.t.Helper()
	io.WriteString(l.stdin, "go\n")
	if s := l.line(); s != "done" {
		l.t.Fatalf("workload said %q, want done", s)
	}
}

// switches sums the voluntary and involuntary context switches of all the workload's threads.
func (l *schedLoad) switches() (voluntary, involuntary int) {
	l.t.Helper()
	for tid := range l.tids() {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/status", l.pid, tid))
		if err != nil {
			continue // thread gone
		}
		for _, line := range strings.Split(string(b), "\n") {
			k, v, _ := strings.Cut(line, ":")
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			switch k {
			case "voluntary_ctxt_switches":
				voluntary += n
			case "nonvoluntary_ctxt_switches":
				involuntary += n
			}
		}
	}
	return voluntary, involuntary
}

// tids lists the workload's thread ids.
func (l *schedLoad) tids() map[string]bool {
	l.t.Helper()
	ents, err := os.ReadDir(filepath.Join("/proc", strconv.Itoa(l.pid), "task"))
	if err != nil {
		l.t.Fatal(err)
	}
	tids := map[string]bool{}
	for _, e := range ents {
		tids[e.Name()] = true
	}
	return tids
}

// startTPBTF starts a tool with its tracepoints forced onto tp_btf (raw_tp is preferred) and
// checks with -v that it took them.
func startTPBTF(t *testing.T, tool string, args ...string) *proc {
	t.Helper()
	t.Setenv("BPFUTILS_ATTACH", "tp_btf")
	p := start(t, tool, append([]string{"-v"}, args...)...)
	// stderr is copied by its own goroutine: it may lag behind the header on stdout.
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(p.Stderr(), "via tp_btf sched:sched_switch") {
			break
		}
	}
	if !strings.Contains(p.Stderr(), "via tp_btf sched:sched_switch") || strings.Contains(p.Stderr(), "via raw_tp") {
		t.Errorf("%s did not attach through tp_btf:\n%s", tool, p.Stderr())
	}
	return p
}
