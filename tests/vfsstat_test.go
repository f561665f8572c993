package tests

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

var vfsstatColumns = []string{"READ", "WRITE", "FSYNC", "OPEN", "CREATE", "UNLINK", "MKDIR", "RMDIR"}

// vfsstatWant is at least what the "vfs" workload (fsslower_test.go) adds to each count.
var vfsstatWant = map[string]uint64{
	"READ": vfsOpsN, "WRITE": vfsOpsN, "FSYNC": vfsOpsN / 10, "OPEN": vfsOpsN, "CREATE": vfsOpsN,
	"UNLINK": vfsOpsN, "MKDIR": vfsOpsN, "RMDIR": vfsOpsN,
}

// runVfsstat starts vfsstat with args (1-second intervals), waits for a first report, runs the
// "vfs" workload, waits for two more reports and stops it.
func runVfsstat(t *testing.T, linePrefix string, args ...string) string {
	w := startFsWork(t, "vfs", makeFS(t, "ext4").dir)
	p := start(t, "vfsstat", args...)
	reports := func() int { return strings.Count(p.Stdout(), linePrefix) }
	waitReports := func(n int) {
		for deadline := time.Now().Add(20 * time.Second); reports() < n; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("fewer than %d reports in 20s\n%s", n, p.Stdout())
			}
		}
	}
	waitReports(1)
	w.run()
	waitReports(reports() + 2)
	return p.stop()
}

func TestVfsstat(t *testing.T) {
	out := runVfsstat(t, ": ")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if lines[0] != "TIME         READ/s  WRITE/s  FSYNC/s   OPEN/s CREATE/s UNLINK/s  MKDIR/s  RMDIR/s" {
		t.Errorf("header %q", lines[0])
	}
	sums := map[string]uint64{}
	for _, l := range lines[1:] {
		f := fields(l)
		if len(f) != 9 || len(l) != 10+8*9 || !strings.HasSuffix(f[0], ":") {
			t.Errorf("report line %q", l)
			continue
		}
		if _, err := time.Parse("15:04:05:", f[0]); err != nil {
			t.Errorf("time in %q", l)
		}
		for i, c := range vfsstatColumns {
			n, err := strconv.ParseUint(f[i+1], 10, 64)
			if err != nil {
				t.Errorf("%s in %q", c, l)
			}
			sums[c] += n
		}
	}
	for c, n := range vfsstatWant {
		if sums[c] < n {
			t.Errorf("%s: %d calls in all reports, the workload alone made %d\n%s", c, sums[c], n, out)
		}
	}
}

func TestVfsstatJSON(t *testing.T) {
	out := runVfsstat(t, `"type":"table"`, "--json")
	sums := map[string]uint64{}
	rows := ofType(jsonLines(t, "vfsstat", out), "table")
	for _, r := range rows {
		for _, c := range vfsstatColumns {
			v, ok := r[strings.ToLower(c)+"_per_sec"].(float64)
			if !ok {
				t.Errorf("row without %s: %v", c, r)
			}
			sums[c] += uint64(v)
		}
	}
	for c, n := range vfsstatWant {
		if sums[c] < n {
			t.Errorf("%s: %d calls in all reports, the workload alone made %d", c, sums[c], n)
		}
	}
}

// TestVfsstatCount: "vfsstat 1 2" prints two reports and exits by itself.
func TestVfsstatCount(t *testing.T) {
	out, stderr, code := runTool(t, "vfsstat", "1", "2")
	if lines := strings.Split(strings.TrimRight(out, "\n"), "\n"); code != 0 || len(lines) != 3 {
		t.Errorf("exit %d, stdout:\n%s\nstderr: %s", code, out, stderr)
	}
}

func TestVfsstatBadInput(t *testing.T) {
	badInput(t, "vfsstat", "invalid interval: 0", "0")
	badInput(t, "vfsstat", "invalid interval: x", "x")
	badInput(t, "vfsstat", "invalid count: -1", "1", "-1")
	badInput(t, "vfsstat", "unrecognized positional argument", "1", "2", "3")
}
