package render

import (
	"fmt"
	"strconv"
)

// TaskKey names what a scheduler tool keeps its histograms per (runqlat, cpudist): "pid",
// "tid" or "pidns", or "" for one histogram in all.
type TaskKey string

// Histograms declares the histograms kept per k, counted in unit. A task's histogram is
// labelled with its id and comm; a pid namespace's with its inode number only, since the comm
// its histogram carries is just that of the first task counted in it.
func (k TaskKey) Histograms(unit string) *Histograms {
	switch k {
	case "":
		return &Histograms{Unit: unit}
	case "pidns":
		return &Histograms{Unit: unit, Labels: []string{string(k)}}
	}
	return &Histograms{Unit: unit, Labels: []string{string(k), "comm"}}
}

// Hist is the histogram of id, whose task is comm (without the kernel's NUL padding), captioned
// as libbpf-tools caption it: "\npid = 42 comm\n", the comm as out's text shows traced strings
// (Sink.Escape); a single histogram has no caption.
func (k TaskKey) Hist(out *Sink, id uint32, comm []byte, counts []uint64) Hist {
	h := Hist{Counts: counts}
	if k == "" {
		return h
	}
	h.Caption = fmt.Sprintf("\n%s = %d %s\n", k, id, out.Escape(string(comm)))
	h.Labels = []string{strconv.FormatUint(uint64(id), 10)}
	if k != "pidns" {
		h.Labels = append(h.Labels, string(comm))
	}
	return h
}
