package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const readaheadPages = 2048 // 8 MiB

// readaheadFile writes a file under the scratch directory (a disk: tmpfs does not read ahead),
// flushed so that the workload can drop its pages.
func readaheadFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(scratchDir(t), fmt.Sprintf("bpfu-readahead-%d", os.Getpid()))
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(path) })
	if _, err := f.Write(make([]byte, readaheadPages*4096)); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

// readColdFile drops the file's pages from the page cache and reads it from start to end,
// a page a call: the kernel reads ahead, and the reads use what it read.
func readColdFile(t *testing.T, path string) {
	t.Helper()
	startFileIO(t, "bpfu-ra", "dontneed", path, "0", "0", "read", path, strconv.Itoa(readaheadPages), "4096").run()
}

// checkReadahead: the file's pages were read ahead and used, and the histogram counts every
// page used (other processes' read-ahead can only add to both).
func checkReadahead(t *testing.T, unused, total, histTotal int64, out string) {
	t.Helper()
	used := total - unused
	t.Logf("sequential read of %d cold pages: %d/%d unused/total read ahead, %d accesses in the histogram", readaheadPages, unused, total, histTotal)
	if total < readaheadPages*9/10 || used < readaheadPages*9/10 {
		t.Errorf("sequential read of %d cold pages: %d/%d unused/total pages read ahead\n%s", readaheadPages, unused, total, out)
	}
	if diff := histTotal - used; diff > used/50 || diff < -used/50 {
		t.Errorf("histogram holds %d accesses, %d pages read ahead were used\n%s", histTotal, used, out)
	}
}

func TestReadahead(t *testing.T) {
	path := readaheadFile(t)
	p := start(t, "readahead")
	if first := strings.Split(p.Stdout(), "\n")[0]; first != "Tracing fs read-ahead ... Hit Ctrl-C to end." {
		t.Fatalf("banner %q", first)
	}
	readColdFile(t, path)
	out := p.stop()
	var unused, total int64
	var line string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "Readahead ") {
			line = l
		}
	}
	if n, err := fmt.Sscanf(line, "Readahead unused/total pages: %d/%d", &unused, &total); n != 2 || err != nil ||
		line != fmt.Sprintf("Readahead unused/total pages: %d/%d", unused, total) {
		t.Fatalf("no summary line\n%s", out)
	}
	if !strings.Contains(out, "Hit Ctrl-C to end.\n\n"+line+"\n") {
		t.Errorf("summary not after an empty line\n%s", out)
	}
	h := section(t, parseHists(t, out), line, out)
	if h.Label != "msecs" {
		t.Errorf("histogram of %s, want msecs", h.Label)
	}
	checkReadahead(t, unused, total, int64(h.Total), out)
}

func TestReadaheadJSON(t *testing.T) {
	path := readaheadFile(t)
	p := start(t, "readahead", "--json")
	readColdFile(t, path)
	out := p.stop()
	lines := jsonLines(t, "readahead", out)
	tables, hists := ofType(lines, "table"), ofType(lines, "histogram")
	if len(tables) != 1 || len(hists) != 1 {
		t.Fatalf("want one table line and one histogram\n%s", out)
	}
	if hists[0].str("unit") != "msecs" {
		t.Errorf("histogram without its unit: %v", hists[0])
	}
	checkReadahead(t, int64(tables[0].num("unused_pages")), int64(tables[0].num("total_pages")), int64(hists[0].bucketTotal()), out)
}

// TestReadaheadDuration: -d ends the tool by itself, with the summary.
func TestReadaheadDuration(t *testing.T) {
	out, stderr, code := runTool(t, "readahead", "-d", "1")
	if code != 0 || !strings.Contains(out, "\nReadahead unused/total pages: ") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}

func TestReadaheadBadInput(t *testing.T) {
	badInput(t, "readahead", "duration", "-d", "0")
	badInput(t, "readahead", "duration", "-d", "soon")
	badInput(t, "readahead", "unrecognized positional argument", "5")
	badInput(t, "readahead", "flag provided but not defined", "--bogus")
}
