package tests

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

const biopatternWrites = 200

// TestBiopattern: one report covering a sequential O_DIRECT dd shows the disk with at least the
// workload's requests and bytes, most of them sequential.
func TestBiopattern(t *testing.T) {
	disk := scratchDisk(t)
	dd := copyExecutable(t, "/bin/dd", workloadName("bpfu-bpat"))
	p := start(t, "biopattern", "-d", disk, "3", "1")
	// A disk's first completion in a report only marks where the next would continue, so one
	// more write than the count asserted below.
	directWrite(t, dd, "4k", biopatternWrites+1)
	out := p.wait(10 * time.Second)

	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) < 2 || lines[0] != "Tracing block device I/O requested seeks... Hit Ctrl-C to end." ||
		lines[1] != "DISK     %RND  %SEQ    COUNT     KBYTES" {
		t.Fatalf("start and header lines wrong\n%s", out)
	}
	rows := lines[2:]
	if len(rows) != 1 {
		t.Fatalf("want one row, for %s only\n%s", disk, out)
	}
	f := fields(rows[0])
	if len(f) != 5 || f[0] != disk {
		t.Fatalf("row %q, want 5 columns for %s", rows[0], disk)
	}
	rnd, seq, count, kbytes := atoi(t, f[1]), atoi(t, f[2]), atoi(t, f[3]), atoi(t, f[4])
	t.Logf("%s: %d%% random, %d%% sequential of %d requests, %d KB; dd wrote %d x 4 KB", disk, rnd, seq, count, kbytes, biopatternWrites+1)
	if count < biopatternWrites || kbytes < 4*biopatternWrites {
		t.Errorf("row %q: want COUNT >= %d and KBYTES >= %d", rows[0], biopatternWrites, 4*biopatternWrites)
	}
	if rnd+seq < 99 || rnd+seq > 100 {
		t.Errorf("row %q: shares add up to %d%%", rows[0], rnd+seq)
	}
	// Other tests' I/O may share the disk and the interval, which lowers the share; dd's own
	// requests still follow one another, so they alone keep the sequential count up.
	if sequential := seq * count / 100; sequential < biopatternWrites/2 {
		t.Errorf("row %q: only about %d sequential requests, dd made %d", rows[0], sequential, biopatternWrites)
	}
	if want := "%-7s %5d %5d %8d %10d"; rows[0] != fmt.Sprintf(want, f[0], rnd, seq, count, kbytes) {
		t.Errorf("row %q not in the %q layout", rows[0], want)
	}
}

// TestBiopatternTimestamp: -T adds the TIME column to the header and to every row.
func TestBiopatternTimestamp(t *testing.T) {
	dd := copyExecutable(t, "/bin/dd", workloadName("bpfu-bpatt"))
	p := start(t, "biopattern", "-T", "1", "2")
	directWrite(t, dd, "4k", 20)
	out := p.wait(10 * time.Second)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) < 3 || lines[1] != "TIME      DISK     %RND  %SEQ    COUNT     KBYTES" {
		t.Fatalf("want the -T header and rows\n%s", out)
	}
	row := regexp.MustCompile(`^\d\d:\d\d:\d\d  \S+ +\d+ +\d+ +\d+ +\d+$`)
	for _, l := range lines[2:] {
		if !row.MatchString(l) {
			t.Errorf("row %q", l)
		}
	}
}

func TestBiopatternBadInput(t *testing.T) {
	badInput(t, "biopattern", "unknown disk", "-d", "nosuchdisk")
	badInput(t, "biopattern", "invalid interval", "1x")
	badInput(t, "biopattern", "invalid count", "1", "0")
	badInput(t, "biopattern", "flag provided but not defined", "--bogus")
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}

// TestBiopatternJSON: TestBiopattern's workload read from --json: one "table" line for the disk
// with at least the workload's requests and bytes, most of them sequential, and shares that
// agree with the counts.
func TestBiopatternJSON(t *testing.T) {
	disk := scratchDisk(t)
	dd := copyExecutable(t, "/bin/dd", workloadName("bpfu-bpatj"))
	p := start(t, "biopattern", "--json", "-d", disk, "3", "1")
	directWrite(t, dd, "4k", biopatternWrites+1)
	lines := jsonLines(t, "biopattern", p.wait(10*time.Second))
	if len(lines) == 0 || lines[0].str("type") != "start" || !strings.Contains(lines[0].str("message"), "Tracing block device I/O") {
		t.Fatalf("first line is not the start line: %v", lines)
	}
	rows := ofType(lines, "table")
	if len(rows) != 1 || rows[0].str("disk") != disk {
		t.Fatalf("want one row, for %s only: %v", disk, rows)
	}
	r := rows[0]
	count, rnd, seq := r.num("count"), r.num("random"), r.num("sequential")
	t.Logf("%s: %v random, %v sequential of %v requests, %v bytes", disk, rnd, seq, count, r.num("bytes"))
	if count < biopatternWrites || r.num("bytes") < 4096*biopatternWrites {
		t.Errorf("row %v: want count >= %d and bytes >= %d", r, biopatternWrites, 4096*biopatternWrites)
	}
	if rnd+seq != count || r.num("random_pct") != float64(int(rnd*100/count)) || r.num("sequential_pct") != float64(int(seq*100/count)) {
		t.Errorf("row %v: shares and counts disagree", r)
	}
	if seq < biopatternWrites/2 {
		t.Errorf("row %v: only %v sequential requests, dd made %d", r, seq, biopatternWrites)
	}
}
