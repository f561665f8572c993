package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const biolatencyWrites = 100

// TestBiolatency: every one of the workload's requests lands in the -d disk's histogram, and
// the tool stops by itself after count reports.
func TestBiolatency(t *testing.T) {
	disk := scratchDisk(t)
	dd := copyExecutable(t, "/bin/dd", workloadName("bpfu-blat"))
	p := start(t, "biolatency", "-v", "-d", disk, "1", "3")
	directWrite(t, dd, "4k", biolatencyWrites)
	out := p.wait(10 * time.Second)

	if first := strings.SplitN(out, "\n", 2)[0]; first != "Tracing block device I/O... Hit Ctrl-C to end." {
		t.Errorf("start line %q", first)
	}
	if !strings.Contains(p.Stderr(), "via raw_tp block:block_rq_issue") {
		t.Errorf("want raw_tp hooks (preferred) on this kernel, -v said:\n%s", p.Stderr())
	}
	hs := parseHists(t, out)
	var total uint64
	for _, h := range hs {
		if h.Label != "usecs" || h.Caption != "" {
			t.Errorf("histogram labelled %q after %q, want usecs with no caption", h.Label, h.Caption)
		}
		total += h.Total
	}
	t.Logf("%d requests timed on %s while dd wrote %d", total, disk, biolatencyWrites)
	if total < biolatencyWrites {
		t.Errorf("histograms count %d requests, want at least the workload's %d\n%s", total, biolatencyWrites, out)
	}
	if !strings.Contains(out, "\n     usecs               : count    distribution\n") {
		t.Errorf("no usecs header\n%s", out)
	}
	// Three reports, each opened by an empty line after the start line.
	if n := len(linesEqual(strings.TrimSuffix(out, "\n"), "")); n < 3 {
		t.Errorf("want 3 reports, found %d blank lines\n%s", n, out)
	}
}

// TestBiolatencyPerDiskFlags runs the other attach path (tp_btf) with -Q, and checks the -D
// and -F captions, -m and -T.
func TestBiolatencyPerDiskFlags(t *testing.T) {
	t.Setenv("BPFUTILS_ATTACH", "tp_btf")
	disk := scratchDisk(t)
	dd := copyExecutable(t, "/bin/dd", workloadName("bpfu-blfl"))
	p := start(t, "biolatency", "-v", "-Q", "-D", "-F", "-mT", "-d", disk, "1", "2")
	directWrite(t, dd, "4k", biolatencyWrites)
	out := p.wait(10 * time.Second)

	for _, tp := range []string{"block_rq_insert", "block_rq_issue", "block_rq_complete"} {
		if want := "via tp_btf block:" + tp; !strings.Contains(p.Stderr(), want) {
			t.Errorf("-v output lacks %q:\n%s", want, p.Stderr())
		}
	}
	if stamps := regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d$`).FindAllString(out, -1); len(stamps) != 2 {
		t.Errorf("want one HH:MM:SS line per report (2), got %d\n%s", len(stamps), out)
	}
	caption := regexp.MustCompile(`^disk = (\S+)\tflags = ((?:[A-Za-z]+-)*)([A-Za-z]+)$`)
	var writes uint64
	for _, h := range parseHists(t, out) {
		if h.Label != "msecs" {
			t.Errorf("label %q, want msecs", h.Label)
		}
		m := caption.FindStringSubmatch(h.Caption)
		if m == nil || m[1] != disk {
			t.Errorf("caption %q, want \"disk = %s\\tflags = …\"", h.Caption, disk)
			continue
		}
		if m[3] == "Write" {
			writes += h.Total
		}
	}
	t.Logf("%d write requests timed on %s while dd wrote %d", writes, disk, biolatencyWrites)
	if writes < biolatencyWrites {
		t.Errorf("write histograms count %d requests, want at least %d\n%s", writes, biolatencyWrites, out)
	}
}

// TestBiolatencyCgroup: with -c only the requests of tasks in that cgroup are timed; -Q makes
// the timing start when the submitting task inserts the request.
func TestBiolatencyCgroup(t *testing.T) {
	cg := newCgroup(t, "bpfu-blcg")
	dd := copyExecutable(t, "/bin/dd", workloadName("bpfu-blcg"))
	p := start(t, "biolatency", "-Q", "-e", "-c", cg, "-d", scratchDisk(t), "2", "1")
	// The shell moves itself into the cgroup, then becomes dd.
	target := filepath.Join(scratchDir(t), fmt.Sprintf("bpfu-blcg-%d", os.Getpid()))
	defer os.Remove(target)
	script := fmt.Sprintf(`echo $$ > %s/cgroup.procs && exec %s if=/dev/zero of=%s bs=4k count=%d oflag=direct`,
		cg, dd, target, biolatencyWrites)
	if out, err := exec.Command("sh", "-c", script).CombinedOutput(); err != nil {
		t.Fatalf("workload: %v\n%s", err, out)
	}
	out := p.wait(10 * time.Second)
	var total uint64
	for _, h := range parseHists(t, out) {
		total += h.Total
	}
	t.Logf("%d requests timed in the cgroup while dd wrote %d", total, biolatencyWrites)
	// dd's writes plus the odd metadata read ext4 makes on its behalf; nobody else's I/O.
	if total < biolatencyWrites || total > biolatencyWrites+20 {
		t.Errorf("cgroup histograms count %d requests, want %d (+ a few)\n%s", total, biolatencyWrites, out)
	}
	// -e sums the same latencies the histogram counts.
	ext := regexp.MustCompile(`\navg = (\d+) usecs, total: (\d+) usecs, count: (\d+)\n\n`).FindStringSubmatch(out)
	if ext == nil || ext[3] != fmt.Sprint(total) {
		t.Errorf("want the -e line with count: %d\n%s", total, out)
	} else if avg, sum := atoi(t, ext[1]), atoi(t, ext[2]); avg != sum/int(total) || avg == 0 {
		t.Errorf("-e line %q: avg is not total/count", strings.TrimSpace(ext[0]))
	}
}

func TestBiolatencyBadInput(t *testing.T) {
	badInput(t, "biolatency", "unknown disk", "-d", "nosuchdisk")
	badInput(t, "biolatency", "invalid interval", "x")
	badInput(t, "biolatency", "invalid interval", "0")
	badInput(t, "biolatency", "invalid count", "1", "-2")
	badInput(t, "biolatency", "unrecognized positional argument", "1", "2", "3")
	badInput(t, "biolatency", "flag provided but not defined", "--bogus")
	badInput(t, "biolatency", "cgroup", "-c", "/nonexistent/cgroup")
}

// TestBiolatencyJSON: `biolatency --json -D -d DISK 1 3` prints histogram lines labelled with the
// disk, whose counts add up to at least the requests of the workload, and stops after 3
// reports; -j is the same option.
func TestBiolatencyJSON(t *testing.T) {
	disk := scratchDisk(t)
	dd := copyExecutable(t, "/bin/dd", workloadName("bpfu-bljs"))
	p := start(t, "biolatency", "-j", "-D", "-d", disk, "1", "3")
	directWrite(t, dd, "4k", biolatencyWrites)
	lines := jsonLines(t, "biolatency", p.wait(10*time.Second))
	var total float64
	for _, h := range ofType(lines, "histogram") {
		if h.str("unit") != "usecs" || h.label("disk") != disk {
			t.Errorf("histogram %v: want unit usecs and label disk=%s", h, disk)
		}
		total += h.bucketTotal()
	}
	if total < biolatencyWrites {
		t.Errorf("JSON histograms count %v requests, want at least %d", total, biolatencyWrites)
	}
}
