package tests

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	sysloopGetppid = 5000
	sysloopClose   = 300 // close(-1): EBADF
)

// startSysloop starts testdata/sysloop.c under a unique name; run makes it do its syscalls.
func startSysloop(t *testing.T, prefix string) (w *workload, run func()) {
	t.Helper()
	name := workloadName(prefix)
	prog := copyExecutable(t, cProgram(t, "sysloop"), name)
	w = startWorkload(t, exec.Command(prog, strconv.Itoa(sysloopGetppid), strconv.Itoa(sysloopClose)), name)
	if l := w.line(); l != fmt.Sprintf("ready %d", w.pid) {
		t.Fatalf("workload said %q", l)
	}
	return w, func() {
		t.Helper()
		fmt.Fprintln(w.stdin, "go")
		if l := w.line(); l != "done" {
			t.Fatalf("workload said %q", l)
		}
	}
}

// syscountRows parses the rows of syscount's text reports: first column (a syscall, or "PID
// COMM" with -P), then the count and, with -L, the time.
func syscountRows(t *testing.T, out string, process bool) map[string][]float64 {
	t.Helper()
	rows := map[string][]float64{}
	for _, l := range strings.Split(out, "\n") {
		f := fields(l)
		key := 1
		if process {
			key = 2
		}
		if len(f) <= key || f[0] == "SYSCALL" || f[0] == "PID" || strings.HasPrefix(l, "[") || strings.HasPrefix(l, "Tracing") {
			continue
		}
		var nums []float64
		for _, s := range f[key:] {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Errorf("bad row %q", l)
			}
			nums = append(nums, v)
		}
		rows[strings.Join(f[:key], " ")] = nums
	}
	return rows
}

// TestSyscount: -p counts the workload's syscalls exactly, in the one report made at Ctrl-C.
func TestSyscount(t *testing.T) {
	w, run := startSysloop(t, "bpfu-sysc")
	p := start(t, "syscount", "-p", strconv.Itoa(w.pid))
	if l := strings.Split(p.Stdout(), "\n")[0]; l != "Tracing syscalls, printing top 10... Ctrl+C to quit." {
		t.Fatalf("banner %q", l)
	}
	run()
	out := p.stop()
	lines := strings.Split(out, "\n")
	if len(lines) < 4 || len(linesEqual(out, "SYSCALL                   COUNT")) != 1 {
		t.Fatalf("want one report:\n%s", out)
	}
	if _, err := time.Parse("[15:04:05]", lines[1]); err != nil {
		t.Errorf("no time line: %q", lines[1])
	}
	// "%-22s %8llu"
	if want := fmt.Sprintf("%-22s %8d", "getppid", sysloopGetppid); len(linesEqual(out, want)) != 1 {
		t.Errorf("no line %q:\n%s", want, out)
	}
	rows := syscountRows(t, out, false)
	if rows["close"] == nil || rows["close"][0] != sysloopClose {
		t.Errorf("close: %v, want %d", rows["close"], sysloopClose)
	}
	// Sorted by count.
	if first := fields(lines[3]); first[0] != "getppid" {
		t.Errorf("first row %q, want getppid's", lines[3])
	}
}

// TestSyscountLatencyErrno: -L times the calls; -e by name and -x keep only the failed ones.
func TestSyscountLatencyErrno(t *testing.T) {
	for _, filter := range [][]string{{"-e", "EBADF"}, {"-x", "-m"}} {
		w, run := startSysloop(t, "bpfu-sysl")
		p := start(t, "syscount", append([]string{"-L", "-p", strconv.Itoa(w.pid)}, filter...)...)
		run()
		out := p.stop()
		unit := "us"
		if filter[0] == "-x" {
			unit = "ms"
		}
		if len(linesEqual(out, "SYSCALL                   COUNT        TIME ("+unit+")")) != 1 {
			t.Errorf("%v: header missing:\n%s", filter, out)
		}
		rows := syscountRows(t, out, false)
		if len(rows) != 1 || len(rows["close"]) != 2 || rows["close"][0] != sysloopClose || rows["close"][1] <= 0 {
			t.Errorf("%v: want only close, %d calls in some time:\n%s", filter, sysloopClose, out)
		}
	}
}

// TestSyscountProcess: -P counts per process, named by its comm.
func TestSyscountProcess(t *testing.T) {
	w, run := startSysloop(t, "bpfu-sysP")
	p := start(t, "syscount", "-P", "-L", "-T", "8192")
	run()
	out := p.stop()
	if len(linesEqual(out, "PID    COMM               COUNT        TIME (us)")) != 1 {
		t.Errorf("header missing:\n%s", out)
	}
	row := syscountRows(t, out, true)[fmt.Sprintf("%d %s", w.pid, w.comm)]
	if len(row) != 2 || row[0] < sysloopGetppid+sysloopClose || row[1] <= 0 {
		t.Errorf("workload's row %v, want at least %d calls:\n%s", row, sysloopGetppid+sysloopClose, out)
	}
}

// TestSyscountIntervalDuration: -i 1 -d 2 reports twice, a second apart, and ends by itself
// (the tool's own syscalls fill every report).
func TestSyscountIntervalDuration(t *testing.T) {
	p := start(t, "syscount", "-i", "1", "-d", "2", "-T", "3")
	out := p.wait(20 * time.Second)
	var stamps []time.Time
	for _, l := range strings.Split(out, "\n") {
		if ts, err := time.Parse("[15:04:05]", l); err == nil {
			stamps = append(stamps, ts)
		}
	}
	if len(stamps) != 2 || len(linesEqual(out, "SYSCALL                   COUNT")) != 2 {
		t.Fatalf("want two reports:\n%s", out)
	}
	if d := stamps[1].Sub(stamps[0]); d < time.Second || d > 3*time.Second {
		t.Errorf("reports %v apart", d)
	}
	if rows := len(strings.Split(strings.TrimSpace(out), "\n")); rows > 1+2*(2+3)+1 {
		t.Errorf("-T 3: more than 3 rows a report:\n%s", out)
	}
}

// TestSyscountJSON: the counts and times of TestSyscount's workload as table rows.
func TestSyscountJSON(t *testing.T) {
	w, run := startSysloop(t, "bpfu-sysj")
	p := start(t, "syscount", "--json", "-L", "-p", strconv.Itoa(w.pid))
	run()
	rows := ofType(jsonLines(t, "syscount", p.stop()), "table")
	got := map[string]jsonLine{}
	for _, r := range rows {
		got[r.str("syscall")] = r
	}
	if r := got["getppid"]; r.num("count") != sysloopGetppid || r.num("nr") != 110 || r.num("total_ns") <= 0 {
		t.Errorf("getppid row %v", r)
	}
	if r := got["close"]; r.num("count") != sysloopClose || r.num("nr") != 3 || r.num("total_ns") <= 0 {
		t.Errorf("close row %v", r)
	}
}

// TestSyscountList: -l prints the table as libbpf-tools does, loading nothing.
func TestSyscountList(t *testing.T) {
	out, stderr, code := runTool(t, "syscount", "-l")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"  0: read", "  3: close", "110: getppid", "231: exit_group"} {
		if len(linesEqual(out, want)) != 1 {
			t.Errorf("no line %q in the list", want)
		}
	}
}

// TestSyscountListJSON: -l --json gives the same table as JSON lines.
func TestSyscountListJSON(t *testing.T) {
	out, stderr, code := runTool(t, "syscount", "-l", "--json")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	nr := map[string]float64{}
	for _, l := range ofType(jsonLines(t, "syscount", out), "table") {
		nr[l.str("syscall")] = l.num("nr")
	}
	for name, want := range map[string]float64{"read": 0, "close": 3, "getppid": 110, "exit_group": 231} {
		if got, ok := nr[name]; !ok || got != want {
			t.Errorf("%s: nr %v (listed %v), want %v", name, got, ok, want)
		}
	}
}

func TestSyscountBadInput(t *testing.T) {
	badInput(t, "syscount", "invalid errno", "-e", "ENOSUCHERR")
	badInput(t, "syscount", "invalid errno", "-e", "0")
	badInput(t, "syscount", "invalid INTERVAL", "-i", "-1")
	badInput(t, "syscount", "invalid INTERVAL", "-i", "abc")
	badInput(t, "syscount", "invalid DURATION", "-d", "0")
	badInput(t, "syscount", "invalid TOP", "-T", "0")
	badInput(t, "syscount", "invalid PID", "-p", "abc")
	badInput(t, "syscount", "cgroup", "-c", "/nonexistent/cgroup")
	badInput(t, "syscount", "unrecognized positional argument", "1")
}

// TestSyscountCgroup: -c counts the syscalls of the cgroup's processes only.
func TestSyscountCgroup(t *testing.T) {
	w, run := startSysloop(t, "bpfu-sysg")
	p := start(t, "syscount", "-c", w.cgroupOf())
	run()
	rows := syscountRows(t, p.stop(), false)
	if rows["getppid"] == nil || rows["getppid"][0] != sysloopGetppid || rows["close"] == nil || rows["close"][0] != sysloopClose {
		t.Errorf("getppid %v, close %v: want the workload's %d and %d", rows["getppid"], rows["close"], sysloopGetppid, sysloopClose)
	}
}
