package tests

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// wantOpCounts are the operations of the "ops" workload (fsslower_test.go) per fsdist
// histogram; getattr only where the filesystem has a getattr function of its own.
func wantOpCounts(kind string) map[string]uint64 {
	want := map[string]uint64{"read": 4, "write": 3, "open": 2, "fsync": 1}
	if kind == "ext4" {
		want["getattr"] = 2 // fstat, and stat by path
	}
	return want
}

// testFsdistOn runs tool (fsdist -t kind, or an alias) over the "ops" workload on fs, and
// checks that each operation's histogram counts what the workload did.
func testFsdistOn(t *testing.T, tool string, fs testFS, args ...string) {
	w := startFsWork(t, "ops", fs.dir)
	p := start(t, tool, append([]string{"-p", strconv.Itoa(w.pid)}, args...)...)
	w.run()
	time.Sleep(200 * time.Millisecond)
	out := p.stop()
	if first := strings.SplitN(out, "\n", 2)[0]; first != "Tracing "+fs.kind+" operation latency... Hit Ctrl-C to end." {
		t.Errorf("banner %q", first)
	}
	hs := parseHists(t, out)
	want := wantOpCounts(fs.kind)
	for op, n := range want {
		h := section(t, hs, "operation = '"+op+"'", out)
		if h.Label != "usecs" || h.Total != n {
			t.Errorf("%s: %d %s, want %d usecs\n%s", op, h.Total, h.Label, n, out)
		}
	}
	if len(hs) != len(want) {
		t.Errorf("%d histograms, want %d\n%s", len(hs), len(want), out)
	}
}

func TestFsdistExt4(t *testing.T) {
	testFsdistOn(t, "fsdist", makeFS(t, "ext4"), "-t", "ext4")
}

func TestFsdistAliases(t *testing.T) {
	for _, kind := range []string{"ext4", "xfs", "btrfs"} {
		t.Run(kind, func(t *testing.T) { testFsdistOn(t, kind+"dist", makeFS(t, kind)) })
	}
}

// TestFsdistIntervals: -T -m 1 2: two reports a second apart, each with its time, in msecs,
// the workload's operations in the report of the interval they were done in.
func TestFsdistIntervals(t *testing.T) {
	fs := makeFS(t, "ext4")
	w := startFsWork(t, "ops", fs.dir)
	p := start(t, "ext4dist", "-T", "-m", "-p", strconv.Itoa(w.pid), "1", "2")
	w.run()
	out := p.wait(10 * time.Second)
	hs := parseHists(t, out)
	var total uint64
	for _, h := range hs {
		if h.Label != "msecs" {
			t.Errorf("unit %s, want msecs", h.Label)
		}
		total += h.Total
	}
	if total != 12 {
		t.Errorf("%d operations counted over both reports, want 12\n%s", total, out)
	}
	times := 0
	for _, l := range strings.Split(out, "\n") {
		if _, err := time.Parse("15:04:05", strings.TrimSpace(l)); err == nil && len(l) == 8 {
			times++
		}
	}
	if times != 2 {
		t.Errorf("%d report times, want 2\n%s", times, out)
	}
}

func TestFsdistJSON(t *testing.T) {
	fs := makeFS(t, "ext4")
	w := startFsWork(t, "ops", fs.dir)
	p := start(t, "ext4dist", "--json", "-p", strconv.Itoa(w.pid))
	w.run()
	time.Sleep(200 * time.Millisecond)
	lines := jsonLines(t, "ext4dist", p.stop())
	got := map[string]uint64{}
	for _, h := range ofType(lines, "histogram") {
		if h.str("unit") != "usecs" {
			t.Errorf("unit %q", h.str("unit"))
		}
		got[h.label("operation")] += uint64(h.bucketTotal())
	}
	want := wantOpCounts("ext4")
	for op, n := range want {
		if got[op] != n {
			t.Errorf("%s: %d, want %d (all: %v)", op, got[op], n, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("operations %v, want %v", got, want)
	}
}

// TestFsdistMissingFS: the aliases of filesystems this kernel lacks say so in one line.
func TestFsdistMissingFS(t *testing.T) {
	for _, kind := range []string{"nfs", "f2fs", "bcachefs", "zfs", "fuse"} {
		t.Run(kind, func(t *testing.T) {
			if fsRegistered(kind) {
				p := start(t, kind+"dist")
				if out := p.stop(); out != "Tracing "+kind+" operation latency... Hit Ctrl-C to end.\n\n" {
					t.Errorf("%sdist printed %q", kind, out)
				}
				return
			}
			badInput(t, kind+"dist", "this kernel has no "+kind+" filesystem")
		})
	}
}

func TestFsdistBadInput(t *testing.T) {
	badInput(t, "fsdist", "filesystem must be specified using -t option.")
	badInput(t, "fsdist", "invalid filesystem: ext5", "-t", "ext5")
	badInput(t, "fsdist", "interval", "-t", "ext4", "0")
	badInput(t, "ext4dist", "interval", "x")
	badInput(t, "xfsdist", "count", "1", "-1")
	badInput(t, "ext4dist", "unrecognized positional argument", "1", "2", "3")
}
