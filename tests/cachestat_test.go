package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const cachestatHeader = "    HITS   MISSES  DIRTIES HITRATIO   BUFFERS_MB  CACHED_MB"

// cacheReport is one line of cachestat.
type cacheReport struct {
	hits, misses, dirties int64
	ratio                 float64
}

// cachestatReports parses cachestat's text (with -T when timestamp), checking the header and
// each row's layout.
func cachestatReports(t *testing.T, out string, timestamp bool) []cacheReport {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	header := cachestatHeader
	if timestamp {
		header = "TIME     " + header
	}
	if lines[0] != header {
		t.Fatalf("header %q, want %q", lines[0], header)
	}
	var reports []cacheReport
	for _, l := range lines[1:] {
		f := fields(l)
		if timestamp {
			if len(f) == 0 {
				t.Fatalf("bad row %q", l)
			}
			if _, err := time.Parse("15:04:05", f[0]); err != nil || !strings.HasPrefix(l, f[0]+" ") {
				t.Fatalf("bad time in %q", l)
			}
			l, f = l[9:], f[1:]
		}
		var r cacheReport
		var buffers, cached uint64
		n, err := fmt.Sscanf(l, "%d %d %d %f%% %d %d", &r.hits, &r.misses, &r.dirties, &r.ratio, &buffers, &cached)
		if err != nil || n != 6 || l != fmt.Sprintf("%8d %8d %8d %7.2f%% %12d %10d", r.hits, r.misses, r.dirties, r.ratio, buffers, cached) {
			t.Fatalf("bad row %q: %v", l, err)
		}
		if r.hits < 0 || r.misses < 0 || cached == 0 {
			t.Errorf("impossible row %q", l)
		}
		reports = append(reports, r)
	}
	return reports
}

// cachestatFile writes a file of pages pages under the scratch directory (on a disk: the page
// cache of tmpfs is no cache), flushed so that its pages can be dropped.
func cachestatFile(t *testing.T, pages int) string {
	t.Helper()
	path := filepath.Join(scratchDir(t), fmt.Sprintf("bpfu-cachestat-%d", os.Getpid()))
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(path) })
	if _, err := f.Write(make([]byte, pages*4096)); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

// waitLines waits until p printed more than n lines and returns how many it printed.
func waitLines(p *proc, n int) int {
	p.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if got := strings.Count(p.Stdout(), "\n"); got > n {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.t.Fatalf("no new report in 20s\n%s", p.Stdout())
	return 0
}

func sumReports(rs []cacheReport) (s cacheReport) {
	for _, r := range rs {
		s.hits += r.hits
		s.misses += r.misses
		s.dirties += r.dirties
	}
	return s
}

// cachestatColdWarm reads a file of pages pages twice, 4 KiB a call (one access per page on
// every path): first after dropping its pages (cold), then again (warm), each in reports of
// its own. It returns how many lines the tool had printed after each read.
func cachestatColdWarm(t *testing.T, p *proc, path string, pages int) (afterCold, afterWarm int) {
	t.Helper()
	cold := startFileIO(t, "bpfu-cs-cold", "dontneed", path, "0", "0", "read", path, strconv.Itoa(pages), "4096")
	warm := startFileIO(t, "bpfu-cs-warm", "read", path, strconv.Itoa(pages), "4096")
	// The reports so far must not hold the reads: start them just after one.
	n := waitLines(p, strings.Count(p.Stdout(), "\n"))
	cold.run()
	afterCold = waitLines(p, n)
	warm.run()
	afterWarm = waitLines(p, afterCold)
	return afterCold - 1, afterWarm - 1
}

const cachePages = 4096 // 16 MiB

func TestCachestat(t *testing.T) {
	path := cachestatFile(t, cachePages)
	p := start(t, "cachestat", "-T", "1")
	afterCold, afterWarm := cachestatColdWarm(t, p, path, cachePages)
	out := p.stop()
	reports := cachestatReports(t, out, true)
	cold, warm := sumReports(reports[:afterCold]), sumReports(reports[afterCold:afterWarm])
	t.Logf("cold read of %d pages: %+v; warm read: %+v", cachePages, cold, warm)
	// Other processes use the cache too: they can only add to what the reads did.
	if cold.misses < cachePages*9/10 {
		t.Errorf("cold read of %d pages: %d misses\n%s", cachePages, cold.misses, out)
	}
	if warm.hits < cachePages*9/10 {
		t.Errorf("warm read of %d pages: %d hits\n%s", cachePages, warm.hits, out)
	}
	if warm.misses > cold.misses-cachePages/2 {
		t.Errorf("warm read: %d misses, cold read: %d: the warm read missed too\n%s", warm.misses, cold.misses, out)
	}
	for _, r := range reports[afterCold:afterWarm] {
		if r.hits > cachePages/2 && r.ratio < 50 {
			t.Errorf("warm read: hit ratio %.2f%%", r.ratio)
		}
	}
}

// TestCachestatCount: with [interval] [count], cachestat ends by itself after count reports.
func TestCachestatCount(t *testing.T) {
	out, stderr, code := runTool(t, "cachestat", "1", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := len(cachestatReports(t, out, false)); n != 2 {
		t.Errorf("want 2 reports, got %d\n%s", n, out)
	}
}

func TestCachestatJSON(t *testing.T) {
	path := cachestatFile(t, cachePages)
	p := start(t, "cachestat", "--json", "1")
	afterCold, afterWarm := cachestatColdWarm(t, p, path, cachePages)
	out := p.stop()
	lines := jsonLines(t, "cachestat", out)
	if len(lines) < afterWarm+1 || lines[0]["type"] != "start" {
		t.Fatalf("want a start line and %d reports\n%s", afterWarm, out)
	}
	var cold, warm cacheReport
	for i, l := range lines[1 : afterWarm+1] {
		if l["type"] != "table" || l["hits"] == nil || l["misses"] == nil || l["dirties"] == nil ||
			l["hit_ratio_percent"] == nil || l["buffers_mb"] == nil || l.num("cached_mb") == 0 {
			t.Fatalf("bad line %v", l)
		}
		r := &warm
		if i < afterCold {
			r = &cold
		}
		r.hits += int64(l.num("hits"))
		r.misses += int64(l.num("misses"))
	}
	if cold.misses < cachePages*9/10 || warm.hits < cachePages*9/10 || warm.misses > cold.misses-cachePages/2 {
		t.Errorf("cold read: %+v, warm read: %+v, of %d pages\n%s", cold, warm, cachePages, out)
	}
}

func TestCachestatBadInput(t *testing.T) {
	badInput(t, "cachestat", "interval", "0")
	badInput(t, "cachestat", "interval", "x")
	badInput(t, "cachestat", "count", "1", "0")
	badInput(t, "cachestat", "unrecognized positional argument", "1", "2", "3")
	badInput(t, "cachestat", "flag provided but not defined", "-p", "1")
}
