package app

import (
	"cmp"
	"slices"

	bpf "github.com/aquasecurity/libbpfgo"

	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
)

// TaskHistograms drains a map of histograms kept per task id (runqlat, cpudist: the value
// holds the slots and the task's comm) and renders them in id order, each captioned by key.
func TaskHistograms[V any](out *render.Sink, m *bpf.BPFMap, key render.TaskKey, unit string,
	slots func(*V) []uint32, comm func(*V) []byte) error {
	entries, err := bpfmap.Entries[uint32, V](m, true)
	if err != nil {
		return err
	}
	slices.SortFunc(entries, func(a, b bpfmap.Entry[uint32, V]) int { return cmp.Compare(a.Key, b.Key) })
	decl := key.Histograms(unit)
	for i := range entries {
		e := &entries[i]
		h := key.Hist(out, e.Key, filter.CommBytes(comm(&e.Value)), render.Counts(slots(&e.Value)))
		out.Histogram(decl, &h)
	}
	return nil
}

// Summary reports BCC's -e summary kept in m, an array whose entry 0 holds the sum and the
// number of the values counted ({__u64 total; __u64 count;}), and resets it for the next
// interval.
func Summary(out *render.Sink, m *bpf.BPFMap, unit string) error {
	type sum struct{ Total, Count uint64 }
	zero := uint32(0)
	s, _ := bpfmap.Lookup[sum](m, &zero)
	if err := bpfmap.Update(m, &zero, &sum{}); err != nil {
		return err
	}
	out.Summary(render.Sum{Unit: unit, Total: s.Total, Count: s.Count})
	return nil
}
