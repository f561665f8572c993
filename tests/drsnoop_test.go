package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// reclaimHog reads a 32 MB file, not in the page cache, twice from inside an 8 MB memory
// cgroup: its page cache outgrows the limit and it reclaims at the limit again and again.
func reclaimHog(t *testing.T, prefix string) *workload {
	t.Helper()
	path := filepath.Join(scratchDir(t), fmt.Sprintf("%s-%d", prefix, os.Getpid()))
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(path) })
	chunk := make([]byte, 1<<20)
	for i := range chunk {
		chunk[i] = byte(i)
	}
	for range 32 {
		if _, err := f.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	// Cached pages stay charged to the test's own group: drop them, so the hog faults them in.
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
	f.Close()
	g := newMemGroup(t, prefix, 8<<20)
	return memHog(t, g, prefix, "file", path, "2")
}

// drRows are the rows of drsnoop's text output under its banner and header.
func drRows(t *testing.T, out, header string) [][]string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "Tracing direct reclaim events") || lines[1] != header {
		t.Fatalf("bad banner or header\n%s", out)
	}
	var rows [][]string
	for _, l := range lines[2:] {
		f := fields(l)
		want := ""
		if len(f) >= 5 {
			want = fmt.Sprintf("%-8s %-16s %-6s %8s %5s", f[0], f[1], f[2], f[3], f[4])
		}
		if len(f) == 6 {
			want += fmt.Sprintf(" %8s", f[5])
		}
		if l != want || !strings.Contains(f[3], ".") || len(f[3])-strings.Index(f[3], ".") != 4 {
			t.Errorf("row %q is not %%-8s %%-16s %%-6d %%8.3f %%5d [%%8d]", l)
		}
		rows = append(rows, f)
	}
	return rows
}

func TestDrsnoop(t *testing.T) {
	w := reclaimHog(t, "bpfu-dr")
	memcg := start(t, "drsnoop", "--memcg", "-p", strconv.Itoa(w.pid))
	extended := start(t, "drsnoop", "--memcg", "-e", "-t", strconv.Itoa(w.pid))
	plain := start(t, "drsnoop")
	w.stdin.Write([]byte("go\n"))
	if s := w.line(); s != "done" {
		t.Fatalf("memhog said %q", s)
	}

	out := memcg.stop()
	rows := drRows(t, out, "TIME     COMM             TID     LAT(ms) PAGES")
	var reclaimed uint64
	for _, f := range rows {
		lat, err := strconv.ParseFloat(f[3], 64)
		pages, err2 := strconv.ParseUint(f[4], 10, 64)
		if len(f) != 5 || f[1] != w.comm || f[2] != strconv.Itoa(w.pid) || err != nil || err2 != nil || lat < 0 {
			t.Errorf("bad row %v (hog %s %d)", f, w.comm, w.pid)
		}
		reclaimed += pages
	}
	// The hog read 64 MB through an 8 MB limit: most of it was reclaimed on the way.
	if min := uint64(40<<20) / uint64(os.Getpagesize()); len(rows) == 0 || reclaimed < min {
		t.Errorf("%d reclaims of %d pages in all, want at least %d pages\n%s", len(rows), reclaimed, min, out)
	}
	t.Logf("%d reclaims at the limit, %d pages", len(rows), reclaimed)

	out = extended.stop()
	rows = drRows(t, out, "TIME     COMM             TID     LAT(ms) PAGES FREE(KB)")
	for _, f := range rows {
		if free, err := strconv.ParseUint(f[5], 10, 64); len(f) != 6 || f[2] != strconv.Itoa(w.pid) || err != nil || free == 0 {
			t.Errorf("bad -e row %v", f)
		}
	}
	if len(rows) == 0 {
		t.Errorf("-e -t %d: no rows\n%s", w.pid, out)
	}

	// libbpf-tools' drsnoop sees the page allocator's reclaim only, never a cgroup limit's.
	out = plain.stop()
	if rows := linesWith(out, " "+w.comm+" "); len(rows) > 0 {
		t.Errorf("without --memcg, reclaim at the limit was reported: %v", rows)
	}
}

func TestDrsnoopJSON(t *testing.T) {
	w := reclaimHog(t, "bpfu-drj")
	p := start(t, "drsnoop", "--json", "--memcg", "-p", strconv.Itoa(w.pid))
	w.stdin.Write([]byte("go\n"))
	if s := w.line(); s != "done" {
		t.Fatalf("memhog said %q", s)
	}
	lines := jsonLines(t, "drsnoop", p.stop())
	if starts := ofType(lines, "start"); len(starts) != 1 || starts[0].str("message") != "Tracing direct reclaim events... Hit Ctrl-C to end." {
		t.Errorf("want one start line with the banner, got %v", starts)
	}
	events := ofType(lines, "event")
	var reclaimed float64
	for _, e := range events {
		if e.str("comm") != w.comm || int(e.num("tid")) != w.pid || e.str("reclaim") != "memcg" || e["latency_ns"] == nil {
			t.Errorf("bad event %v (hog %s %d)", e, w.comm, w.pid)
		}
		reclaimed += e.num("pages")
	}
	if min := float64(40<<20) / float64(os.Getpagesize()); len(events) == 0 || reclaimed < min {
		t.Errorf("%d reclaims of %.0f pages in all, want at least %.0f pages", len(events), reclaimed, min)
	}
}

func TestDrsnoopDuration(t *testing.T) {
	begin := time.Now()
	p := start(t, "drsnoop", "-d", "1")
	out := p.wait(10 * time.Second)
	if !strings.HasPrefix(out, "Tracing direct reclaim events for 1 secs.\nTIME     COMM             TID     LAT(ms) PAGES\n") {
		t.Errorf("bad -d 1 output\n%s", out)
	}
	if d := time.Since(begin); d < time.Second {
		t.Errorf("-d 1 ended after %s", d)
	}
}

func TestDrsnoopBadInput(t *testing.T) {
	badInput(t, "drsnoop", "invalid PID", "-p", "0")
	badInput(t, "drsnoop", "invalid TID", "-t", "x")
	badInput(t, "drsnoop", "invalid DURATION", "-d", "0")
	badInput(t, "drsnoop", "invalid DURATION", "-d", "soon")
	badInput(t, "drsnoop", "unrecognized positional argument", "10")
	badInput(t, "drsnoop", "flag provided but not defined", "--bogus")
}
