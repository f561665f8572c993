package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// waitLines waits until stdout holds at least n lines containing s.
func (p *proc) waitLines(s string, n int, limit time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if len(linesWith(p.Stdout(), s)) >= n {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.t.Fatalf("saw %d of %d lines with %q\nstdout:\n%s\nstderr:\n%s", len(linesWith(p.Stdout(), s)), n, s, p.Stdout(), p.Stderr())
}

// biosnoopOp is the operation letter of an rwbs string: after an optional preflush F.
func biosnoopOp(rwbs string) string {
	if len(rwbs) > 1 && rwbs[0] == 'F' {
		rwbs = rwbs[1:]
	}
	return rwbs[:1]
}

// biosnoopWrites is the workload size. Under concurrent tracing load the kernel now and then
// does not run BPF programs attached to block_rq_complete at all (a trivial raw_tp counter misses
// the same completions, bursts of a few consecutive requests), so the test asks for 90% of them.
const (
	biosnoopWrites  = 50
	biosnoopAtLeast = biosnoopWrites * 9 / 10
)

func TestBiosnoop(t *testing.T) {
	disk := scratchDisk(t)
	name := workloadName("bpfu-bios") // %-14.14s: keep it within 14 bytes
	p := start(t, "biosnoop", "-d", disk)
	header := strings.Split(p.Stdout(), "\n")[0]
	if want := "TIME(s)     COMM           PID     DISK    T    SECTOR     BYTES   LAT(ms)"; header != want {
		t.Fatalf("header\n%q, want\n%q", header, want)
	}
	pid := directWrite(t, copyExecutable(t, "/bin/dd", name), "4k", biosnoopWrites)
	p.waitLines(name, biosnoopAtLeast, 10*time.Second)
	out := p.stop()

	row := regexp.MustCompile(`^(\d+\.\d{6}) +(\S+) +(\d+) +(\S+) +([A-Z]+) +(\d+) +(\d+) +(\d+\.\d{3})$`)
	writes := 0
	for _, l := range linesWith(out, name) {
		m := row.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("malformed line %q", l)
			continue
		}
		if m[2] != name || m[3] != strconv.Itoa(pid) || m[4] != disk {
			t.Errorf("line %q: want comm %s pid %d disk %s", l, name, pid, disk)
		}
		// Columns are libbpf-tools' fixed widths: "%-11.6f %-14.14s %-7d %-7s %-4s %-10lld %-7d %7.3f".
		if len(l) < 74 || l[11] != ' ' || l[12:12+len(name)] != name || l[27:27+len(m[3])] != m[3] {
			t.Errorf("line %q is not in libbpf-tools' column layout", l)
		}
		if biosnoopOp(m[5]) == "W" && m[7] == "4096" {
			writes++
		}
	}
	if writes < biosnoopAtLeast {
		t.Errorf("saw %d of %d 4096-byte writes by %s (pid %d) on %s\n%s", writes, biosnoopWrites, name, pid, disk, out)
	}
}

func TestBiosnoopQueuedTimestampPattern(t *testing.T) {
	disk := scratchDisk(t)
	name := workloadName("bpfu-bioq")
	// Python's --queue, a short group, and a value attached to its option, as getopt reads them;
	// the block tracepoints on tp_btf, the alternative to the preferred raw_tp.
	t.Setenv("BPFUTILS_ATTACH", "tp_btf")
	p := start(t, "biosnoop", "-v", "--queue", "-tP", "-d"+disk)
	header := strings.Split(p.Stdout(), "\n")[0]
	if want := "TIMESTAMP    COMM           PID     DISK    T    SECTOR     BYTES   P QUE(ms) LAT(ms)"; header != want {
		t.Fatalf("header\n%q, want\n%q", header, want)
	}
	pid := directWrite(t, copyExecutable(t, "/bin/dd", name), "4k", 10)
	p.waitLines(name, 5, 10*time.Second)
	out := p.stop()
	if !strings.Contains(p.Stderr(), "via tp_btf block:block_rq_issue") {
		t.Errorf("BPFUTILS_ATTACH=tp_btf not used: %s", p.Stderr())
	}
	row := regexp.MustCompile(`^(\d\d:\d\d:\d\d\.\d{3}) +(\S+) +(\d+) +(\S+) +([A-Z]+) +(\d+) +(\d+) +([SR?]) +(-?\d+\.\d{3}) +(\d+\.\d{3})$`)
	now := time.Now()
	for _, l := range linesWith(out, name) {
		m := row.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("malformed line %q", l)
			continue
		}
		if m[3] != strconv.Itoa(pid) || m[4] != disk {
			t.Errorf("line %q: want pid %d disk %s", l, pid, disk)
		}
		ts, err := time.ParseInLocation("15:04:05.000", m[1], time.Local)
		if err != nil {
			t.Errorf("timestamp %q: %v", m[1], err)
			continue
		}
		ts = time.Date(now.Year(), now.Month(), now.Day(), ts.Hour(), ts.Minute(), ts.Second(), ts.Nanosecond(), time.Local)
		if d := now.Sub(ts); d < 0 || d > time.Minute {
			t.Errorf("timestamp %s is not the wall-clock time of the event (now %s)", m[1], now.Format("15:04:05.000"))
		}
		if q, _ := strconv.ParseFloat(m[9], 64); q < 0 && m[9] != "-1.000" {
			t.Errorf("QUE %s: want a queue time or -1.000", m[9])
		}
	}
}

func TestBiosnoopMinAndDuration(t *testing.T) {
	disk := scratchDisk(t)
	name := workloadName("bpfu-biom")
	// 100 s latency: nothing of the workload qualifies. The duration ends the run by itself.
	slow := start(t, "biosnoop", "-d", disk, "-m", "100000", "3")
	all := start(t, "biosnoop", "-d", disk)
	began := time.Now()
	directWrite(t, copyExecutable(t, "/bin/dd", name), "4k", 10)
	all.waitLines(name, 5, 10*time.Second)
	all.stop()
	out := slow.wait(15 * time.Second)
	if d := time.Since(began); d > 12*time.Second {
		t.Errorf("duration 3 ran for %s", d)
	}
	if l := linesWith(out, name); len(l) != 0 {
		t.Errorf("-m 100000 printed requests of the workload: %q", l)
	}
}

func TestBiosnoopBadInput(t *testing.T) {
	badInput(t, "biosnoop", "unknown disk", "-d", "nosuchdisk0")
	badInput(t, "biosnoop", "invalid duration", "soon")
	badInput(t, "biosnoop", "invalid duration", "0")
	badInput(t, "biosnoop", "unrecognized positional argument", "1", "2")
	badInput(t, "biosnoop", "invalid min latency", "-m", "fast")
	badInput(t, "biosnoop", "invalid min latency", "-m", "-1")
	badInput(t, "biosnoop", "flag provided but not defined", "--bogus")
	badInput(t, "biosnoop", "cgroup", "-c", "/nonexistent/cgroup")
}

func TestBiosnoopCgroup(t *testing.T) {
	disk := scratchDisk(t)
	cg := newCgroup(t, "bpfu-bioc")
	inside, outside := workloadName("bpfu-bioi"), workloadName("bpfu-bioo")
	p := start(t, "biosnoop", "-c", cg, "-d", disk)
	// The shell moves itself into the cgroup, then becomes dd.
	dd := copyExecutable(t, "/bin/dd", inside)
	target := filepath.Join(scratchDir(t), inside)
	t.Cleanup(func() { os.Remove(target) })
	script := fmt.Sprintf("echo $$ > %s/cgroup.procs && exec %s if=/dev/zero of=%s bs=4k count=10 oflag=direct 2>/dev/null", cg, dd, target)
	if out, err := exec.Command("/bin/sh", "-c", script).CombinedOutput(); err != nil {
		t.Fatalf("dd in cgroup: %v\n%s", err, out)
	}
	directWrite(t, copyExecutable(t, "/bin/dd", outside), "4k", 10)
	p.waitLines(inside, 5, 10*time.Second)
	time.Sleep(200 * time.Millisecond)
	out := p.stop()
	if l := linesWith(out, outside); len(l) != 0 {
		t.Errorf("-c traced a task outside the cgroup: %q", l)
	}
}

// TestBiosnoopJSON: the same workload as TestBiosnoop, read from --json: one event per write
// with dd's pid and comm, the disk, the size and a latency.
func TestBiosnoopJSON(t *testing.T) {
	disk := scratchDisk(t)
	name := workloadName("bpfu-bjs")
	p := start(t, "biosnoop", "--json", "-Q", "-d", disk)
	pid := directWrite(t, copyExecutable(t, "/bin/dd", name), "4k", biosnoopWrites)
	p.waitLines(name, biosnoopAtLeast, 10*time.Second)
	lines := jsonLines(t, "biosnoop", p.stop())
	if len(lines) == 0 || lines[0].str("type") != "start" {
		t.Fatalf("first line is not the start line: %v", lines)
	}
	writes := 0
	for _, e := range ofType(lines, "event") {
		// The workload's own reads (its executable paging in) are not counted.
		if e.str("comm") != name || biosnoopOp(e.str("rwbs")) != "W" {
			continue
		}
		if int(e.num("pid")) != pid || e.str("disk") != disk || e.num("bytes") != 4096 {
			t.Errorf("event of the workload (pid %d) reads %v", pid, e)
		}
		if e.num("latency_ns") <= 0 || e.num("queue_ns") < -1 {
			t.Errorf("latency %v, queue %v", e["latency_ns"], e["queue_ns"])
		}
		writes++
	}
	if writes < biosnoopAtLeast {
		t.Errorf("%d JSON events of the workload, want at least %d", writes, biosnoopAtLeast)
	}
}
