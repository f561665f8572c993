package llcstat

import (
	"os"
	"strings"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/filter"
)

func entry(cpu, pid, tid uint32, ref, miss uint64, comm string) bpfmap.Entry[key, value] {
	return bpfmap.Entry[key, value]{Key: key{CPU: cpu, Pid: pid, Tid: tid}, Value: value{Ref: ref, Miss: miss, Comm: filter.Comm(comm)}}
}

func TestReport(t *testing.T) {
	entries := []bpfmap.Entry[key, value]{
		entry(1, 4242, 4243, 300, 100, "worker"),
		entry(0, 1, 1, 12300, 200, "systemd"),
		entry(0, 4242, 4242, 1000, 1500, "a-very-long-comm"),
		entry(1, 4242, 4242, 0, 100, "worker"),
	}
	for _, tt := range []struct {
		golden    string
		perThread bool
	}{{"report.txt", false}, {"report_tid.txt", true}} {
		var b strings.Builder
		report(&b, entries, tt.perThread)
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
