// Package summary prints the periodic reports of the summary tools: histograms drained from a
// BPF map, one per key, each under its caption, as libbpf-tools print them.
package summary

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"

	bpf "github.com/aquasecurity/libbpfgo"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/hist"
)

// Start opens one report: an empty line, then with -T the time.
func Start(w io.Writer, timestamp bool) {
	io.WriteString(w, "\n")
	if timestamp {
		fmt.Fprintf(w, "%-8s\n", app.Timestamp())
	}
}

// Log2 drains the hash map m of histograms and prints each entry's log2 histogram after
// caption(entry). BPF hands entries back in hash order; with order set they print sorted, so
// reports read alike from one interval to the next.
func Log2[K, V any](w io.Writer, m *bpf.BPFMap, label string,
	order func(a, b bpfmap.Entry[K, V]) int,
	caption func(*bpfmap.Entry[K, V]) string,
	slots func(*V) []uint32) error {
	entries, err := bpfmap.Entries[K, V](m, true)
	if err != nil {
		return err
	}
	if order != nil {
		slices.SortFunc(entries, order)
	}
	for i := range entries {
		io.WriteString(w, caption(&entries[i]))
		hist.Log2(w, slots(&entries[i].Value), label)
	}
	return nil
}

// Log2PerTask is Log2 for maps keyed by pid, tid or pid namespace whose values carry the task's
// comm (runqlat, cpudist): with caption "pid" each histogram is headed "pid = 42 comm", in key
// order; with caption "" the map holds one histogram, printed bare.
func Log2PerTask[V any](w io.Writer, m *bpf.BPFMap, label, caption string, slots func(*V) []uint32, comm func(*V) []byte) error {
	return Log2(w, m, label,
		func(a, b bpfmap.Entry[uint32, V]) int { return cmp.Compare(a.Key, b.Key) },
		func(e *bpfmap.Entry[uint32, V]) string {
			if caption == "" {
				return ""
			}
			c := comm(&e.Value)
			if i := bytes.IndexByte(c, 0); i >= 0 {
				c = c[:i]
			}
			return fmt.Sprintf("\n%s = %d %s\n", caption, e.Key, c)
		},
		slots)
}
