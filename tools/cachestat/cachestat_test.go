package cachestat

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/render"
)

func TestInterval(t *testing.T) {
	for _, tc := range []struct {
		cur, prev counts
		want      row
	}{
		{counts{100, 30, 5}, counts{}, row{Hits: 70, Misses: 30, Dirties: 5, Ratio: 70}},
		{counts{150, 40, 9}, counts{100, 30, 5}, row{Hits: 40, Misses: 10, Dirties: 4, Ratio: 80}},
		// Read-ahead: more misses than accesses are all misses.
		{counts{10, 25, 0}, counts{}, row{Hits: 0, Misses: 10}},
		// Negative growth (dirtyings outnumbering accesses) counts as none.
		{counts{-5, -3, 2}, counts{}, row{Dirties: 2}},
	} {
		if got := interval(tc.cur, tc.prev); got != tc.want {
			t.Errorf("interval(%+v, %+v) = %+v, want %+v", tc.cur, tc.prev, got, tc.want)
		}
	}
}

func TestMeminfo(t *testing.T) {
	dir := t.TempDir()
	defer func(p string) { meminfoPath = p }(meminfoPath)
	meminfoPath = filepath.Join(dir, "meminfo")
	os.WriteFile(meminfoPath, []byte("MemTotal:        8000000 kB\nBuffers:          52224 kB\nCached:          2949120 kB\nSwapCached:            0 kB\n"), 0o644)
	if b, c, err := meminfo(); err != nil || b != 51 || c != 2880 {
		t.Errorf("meminfo: %d %d %v, want 51 2880", b, c, err)
	}
	os.WriteFile(meminfoPath, []byte("MemTotal:        8000000 kB\n"), 0o644)
	if _, _, err := meminfo(); err == nil {
		t.Error("no Buffers and Cached: no error")
	}
}

func TestRowMatchesCFormat(t *testing.T) {
	for _, ts := range []bool{false, true} {
		var got, want bytes.Buffer
		out := render.NewSink("cachestat", render.FormatText, &got, io.Discard)
		rows := records(&config{Timestamp: ts}).To(out)
		rows.Header()
		r := row{Hits: 1234, Misses: 56, Dirties: 7, Ratio: 100 * 1234.0 / 1290, BuffersMB: 51, CachedMB: 2880}
		rows.Write(&r)
		out.Flush()
		if ts {
			fmt.Fprintf(&want, "%-8s ", "TIME")
		}
		fmt.Fprintf(&want, "%8s %8s %8s %8s %12s %10s\n", "HITS", "MISSES", "DIRTIES", "HITRATIO", "BUFFERS_MB", "CACHED_MB")
		line := fmt.Sprintf("%8d %8d %8d %7.2f%% %12d %10d\n", 1234, 56, 7, 100*1234.0/1290, 51, 2880)
		if ts {
			g := got.String()
			if i := bytes.IndexByte(got.Bytes(), '\n'); i >= 0 && len(g) > i+10 {
				want.WriteString(g[i+1 : i+10])
			}
		}
		want.WriteString(line)
		if got.String() != want.String() {
			t.Errorf("-T %v: got\n%q\nwant\n%q", ts, got.String(), want.String())
		}
	}
}

func TestRowDoesNotAllocate(t *testing.T) {
	for _, format := range []render.Format{render.FormatText, render.FormatJSON} {
		rows := records(&config{}).To(render.NewSink("cachestat", format, io.Discard, io.Discard))
		r := row{Hits: 1, Misses: 2, Ratio: 33.3}
		if n := testing.AllocsPerRun(1000, func() { rows.Write(&r) }); n != 0 {
			t.Errorf("format %d: %v allocations per row", format, n)
		}
	}
}
