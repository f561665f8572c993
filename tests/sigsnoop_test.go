package tests

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sigWorkload is testdata/sigsend.c under a unique name, started and waiting: it has forked its
// target (named target) and sends its signals when go is called.
type sigWorkload struct {
	*workload
	name, target string
	child        int
}

func startSigWorkload(t *testing.T, prefix string) *sigWorkload {
	t.Helper()
	name := workloadName(prefix)
	target := workloadName("bpfu-tgt")
	prog := copyExecutable(t, cProgram(t, "sigsend"), name)
	w := &sigWorkload{workload: startWorkload(t, exec.Command(prog, target), name), name: name, target: target}
	var pid int
	if _, err := fmt.Sscanf(w.line(), "ready %d %d", &pid, &w.child); err != nil || pid != w.pid {
		t.Fatalf("workload did not get ready: %v", err)
	}
	return w
}

// send makes the workload send its signals and waits until it reaped its target.
func (w *sigWorkload) send() {
	w.t.Helper()
	fmt.Fprintln(w.stdin, "go")
	if l := w.line(); l != "done" {
		w.t.Fatalf("workload said %q", l)
	}
}

// sigRow is one line of sigsnoop's text: TIME PID COMM SIG TPID TCOMM RESULT.
type sigRow struct {
	pid       int
	comm, sig string
	tpid      int
	tcomm     string
	ret       int
}

func sigRows(t *testing.T, out string, pid int) []sigRow {
	t.Helper()
	var rows []sigRow
	for _, l := range strings.Split(out, "\n") {
		f := fields(l)
		if len(f) != 7 || f[1] != strconv.Itoa(pid) {
			continue
		}
		if _, err := time.Parse("15:04:05", f[0]); err != nil {
			t.Errorf("no time in %q", l)
		}
		var r sigRow
		r.pid, _ = strconv.Atoi(f[1])
		r.comm, r.sig = f[2], f[3]
		r.tpid, _ = strconv.Atoi(f[4])
		r.tcomm = f[5]
		r.ret, _ = strconv.Atoi(f[6])
		rows = append(rows, r)
	}
	return rows
}

func checkSigRows(t *testing.T, got, want []sigRow) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got rows\n%v\nwant\n%v", got, want)
	}
}

// TestSigsnoop: every signal the workload generates, with -p, in order, named with -n.
func TestSigsnoop(t *testing.T) {
	w := startSigWorkload(t, "bpfu-sig")
	p := start(t, "sigsnoop", "-n", "-p", strconv.Itoa(w.pid))
	if h := strings.Split(p.Stdout(), "\n")[0]; h != "TIME     PID     COMM             SIG          TPID    TCOMM            RESULT" {
		t.Fatalf("header %q", h)
	}
	w.send()
	p.waitFor("SIGKILL", 10*time.Second)
	out := p.stop()
	// Signal 0 and the kill of no process generate no signal.
	row := func(sig string) sigRow { return sigRow{w.pid, w.name, sig, w.child, w.target, 0} }
	queued := row("SIGUSR1")
	queued.ret = 5 // the si_errno rt_sigqueueinfo() passed
	checkSigRows(t, sigRows(t, out, w.pid), []sigRow{row("SIGUSR1"), row("SIGUSR2"), row("SIGHUP"), queued, row("SIGKILL")})
	// -p: the target's SIGCHLD to the workload is not its own.
	if l := linesWith(out, "SIGCHLD"); len(l) != 0 {
		t.Errorf("-p %d shows other senders: %q", w.pid, l)
	}
}

// TestSigsnoopSignalFilter: -s keeps the signals listed (numbers, as -n is not given).
func TestSigsnoopSignalFilter(t *testing.T) {
	w := startSigWorkload(t, "bpfu-sigs")
	p := start(t, "sigsnoop", "-s", "10,9", "-p", strconv.Itoa(w.pid))
	w.send()
	p.waitFor(fmt.Sprintf(" %-12d %-7d", 9, w.child), 10*time.Second)
	out := p.stop()
	row := func(sig, ret int) sigRow { return sigRow{w.pid, w.name, strconv.Itoa(sig), w.child, w.target, ret} }
	checkSigRows(t, sigRows(t, out, w.pid), []sigRow{row(10, 0), row(10, 5), row(9, 0)})
}

// TestSigsnoopFailed: -x shows the signals generated with an error (si_errno): the queued one.
func TestSigsnoopFailed(t *testing.T) {
	w := startSigWorkload(t, "bpfu-sigx")
	p := start(t, "sigsnoop", "-x", "-p", strconv.Itoa(w.pid))
	w.send()
	p.waitFor(fmt.Sprintf(" %-7d %-16s %-6d", w.child, w.target, 5), 10*time.Second)
	// The signals after it were sent too (the workload said so): none may show.
	out := p.stop()
	checkSigRows(t, sigRows(t, out, w.pid), []sigRow{{w.pid, w.name, "10", w.child, w.target, 5}})
}

// TestKillsnoop: killsnoop, through its own name, traces the three kill calls with their
// results, signal 0 and the failed call included.
func TestKillsnoop(t *testing.T) {
	w := startSigWorkload(t, "bpfu-kill")
	p := start(t, "killsnoop", "-n", "-p", strconv.Itoa(w.pid))
	w.send()
	p.waitFor("SIGKILL", 10*time.Second)
	got := sigRows(t, p.stop(), w.pid)
	row := func(sig string, tpid int, tcomm string, ret int) sigRow {
		return sigRow{w.pid, w.name, sig, tpid, tcomm, ret}
	}
	// kill(pid, 0) sends nothing: its target is named only if it is still there when the event is
	// read, and the workload kills it right after.
	if len(got) > 3 && got[3].tcomm == w.target {
		got[3].tcomm = "N/A"
	}
	checkSigRows(t, got, []sigRow{
		row("SIGUSR1", w.child, w.target, 0), row("SIGUSR2", w.child, w.target, 0),
		row("SIGHUP", w.child, w.target, 0), row("N/A", w.child, "N/A", 0),
		row("SIGTERM", 4195000, "N/A", -3), row("SIGKILL", w.child, w.target, 0),
	})
}

// TestKillsnoopFailed: sigsnoop -k -x shows only the kill that failed.
func TestKillsnoopFailed(t *testing.T) {
	w := startSigWorkload(t, "bpfu-killx")
	p := start(t, "sigsnoop", "-k", "-x", "-p", strconv.Itoa(w.pid))
	w.send()
	p.waitFor(" -3", 10*time.Second)
	// The calls after the failed one are done too (the workload said so): none may show.
	out := p.stop()
	checkSigRows(t, sigRows(t, out, w.pid), []sigRow{{w.pid, w.name, "15", 4195000, "N/A", -3}})
}

// TestSigsnoopJSON: the signals of TestSigsnoop read from --json, and killsnoop's results.
func TestSigsnoopJSON(t *testing.T) {
	for _, tool := range []string{"sigsnoop", "killsnoop"} {
		w := startSigWorkload(t, "bpfu-sigj")
		p := start(t, tool, "--json", "-p", strconv.Itoa(w.pid))
		w.send()
		p.waitFor(`"sig_name":"SIGKILL"`, 10*time.Second)
		var got []string
		for _, e := range ofType(jsonLines(t, tool, p.stop()), "event") {
			if e.num("pid") != float64(w.pid) || e.str("comm") != w.name {
				t.Errorf("%s: event of another sender: %v", tool, e)
				continue
			}
			tcomm := e.str("tcomm")
			if int(e.num("tpid")) == w.child && e.num("sig") == 0 && tcomm == w.target {
				tcomm = "N/A" // as in TestKillsnoop
			}
			got = append(got, fmt.Sprintf("%s/%d/%s/%d/%s/%d", e.str("sig_name"), int(e.num("sig")),
				tcomm, int(e.num("tpid")), tcomm, int(e.num("ret"))))
		}
		sig := func(name string, n int) string {
			return fmt.Sprintf("%s/%d/%s/%d/%s/0", name, n, w.target, w.child, w.target)
		}
		want := []string{sig("SIGUSR1", 10), sig("SIGUSR2", 12), sig("SIGHUP", 1)}
		if tool == "killsnoop" {
			want = append(want, fmt.Sprintf("N/A/0/N/A/%d/N/A/0", w.child), "SIGTERM/15/N/A/4195000/N/A/-3")
		} else {
			want = append(want, strings.TrimSuffix(sig("SIGUSR1", 10), "/0")+"/5")
		}
		want = append(want, sig("SIGKILL", 9))
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: got\n%v\nwant\n%v", tool, got, want)
		}
	}
}

func TestSigsnoopBadInput(t *testing.T) {
	badInput(t, "sigsnoop", "invalid SIGNAL", "-s", "0")
	badInput(t, "sigsnoop", "invalid SIGNAL", "-s", "1,32")
	badInput(t, "sigsnoop", "invalid SIGNAL", "-s", "TERM")
	badInput(t, "sigsnoop", "invalid PID", "-p", "-5")
	badInput(t, "killsnoop", "invalid PID", "-p", "x")
	badInput(t, "killsnoop", "flag provided but not defined", "--bogus")
	badInput(t, "sigsnoop", "unrecognized positional argument", "9")
}
