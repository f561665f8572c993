package llcstat

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
)

var update = flag.Bool("update", false, "rewrite the JSON golden files")

func row(cpu, pid, tid uint32, ref, miss uint64, comm string) entry {
	return entry{Key: key{CPU: cpu, Pid: pid, Tid: tid}, Value: value{Ref: ref, Miss: miss, Comm: filter.Comm(comm)}}
}

var reportEntries = []entry{
	row(1, 4242, 4243, 300, 100, "worker"),
	row(0, 1, 1, 12300, 200, "systemd"),
	row(0, 4242, 4242, 1000, 1500, "a-very-long-comm"),
	row(1, 4242, 4242, 0, 100, "worker"),
}

func TestReport(t *testing.T) {
	entries := reportEntries
	for _, tt := range []struct {
		golden    string
		perThread bool
	}{{"report.txt", false}, {"report_tid.txt", true}} {
		var b strings.Builder
		out := render.NewSink("llcstat", render.FormatText, &b, io.Discard)
		report(out, tt.perThread, slices.Clone(entries))
		out.Flush()
		want, err := os.ReadFile("testdata/" + tt.golden)
		if err != nil {
			t.Fatal(err)
		}
		if b.String() != string(want) {
			t.Errorf("%s: got\n%s\nwant\n%s", tt.golden, b.String(), want)
		}
	}
}

// TestReportJSON: the same rows as table lines, with the exact hit rate and no totals line (the
// rows add up to it); the machines the integration tests run on have no PMU to produce rows.
func TestReportJSON(t *testing.T) {
	for _, tt := range []struct {
		golden    string
		perThread bool
	}{{"report.json", false}, {"report_tid.json", true}} {
		var b bytes.Buffer
		out := render.NewSink("llcstat", render.FormatJSON, &b, io.Discard)
		out.Now = func() time.Time { return time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC) }
		report(out, tt.perThread, slices.Clone(reportEntries))
		out.Flush()
		for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
			if !json.Valid([]byte(l)) {
				t.Errorf("%s: not a JSON object: %s", tt.golden, l)
			}
		}
		if *update {
			if err := os.WriteFile("testdata/"+tt.golden, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile("testdata/" + tt.golden)
		if err != nil {
			t.Fatal(err)
		}
		if b.String() != string(want) {
			t.Errorf("%s: got\n%s\nwant\n%s", tt.golden, b.String(), want)
		}
	}
}

func TestHitRate(t *testing.T) {
	for _, tt := range []struct {
		refs, misses uint64
		want         float64
	}{{0, 0, 0}, {100, 0, 100}, {100, 25, 75}, {100, 200, 0}, {0, 5, 0}} {
		if got := hitRate(tt.refs, tt.misses); got != tt.want {
			t.Errorf("hitRate(%d, %d) = %v, want %v", tt.refs, tt.misses, got, tt.want)
		}
	}
}
