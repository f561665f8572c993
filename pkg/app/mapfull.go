package app

import (
	bpf "github.com/aquasecurity/libbpfgo"

	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/render"
)

// MapFull reports what a tool's BPF side could not record because one of its maps was full.
// The BPF side counts those per CPU at key 0 of a per-CPU array; each report says what is new
// since the last one, with the reason "map full".
type MapFull struct {
	counts   *bpf.BPFMap
	reported uint64
	say      func(n uint64) string
}

// NewMapFull reads counts at every Report; say words n events not recorded.
func NewMapFull(counts *bpf.BPFMap, say func(n uint64) string) *MapFull {
	return &MapFull{counts: counts, say: say}
}

// Report tells out of what was not recorded since the last call.
func (f *MapFull) Report(out *render.Sink) {
	var zero uint32
	perCPU, err := bpfmap.PerCPU[uint64](f.counts, &zero)
	if err != nil {
		return
	}
	var n uint64
	for _, v := range perCPU {
		n += v
	}
	if n > f.reported {
		out.LostWhy(n-f.reported, "map full", f.say(n-f.reported))
		f.reported = n
	}
}
