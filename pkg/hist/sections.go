package hist

import "io"

// Section is one histogram of a report that shows several, each under its own caption: the
// per-process, per-thread, per-disk... histograms of the summary tools.
type Section[T Count] struct {
	// Caption is printed verbatim before the histogram, newlines included (libbpf-tools'
	// "\npid = %d %s\n"); "" prints none.
	Caption string
	Vals    []T
}

// Log2Sections prints each section in turn: its caption, then its log2 histogram. As in
// libbpf-tools, a section whose counts are all zero still prints its caption.
func Log2Sections[T Count](w io.Writer, sections []Section[T], label string) {
	for _, s := range sections {
		io.WriteString(w, s.Caption)
		Log2(w, s.Vals, label)
	}
}

// LinearSections is Log2Sections for linear histograms of buckets base, base+step, ...
func LinearSections[T Count](w io.Writer, sections []Section[T], base, step int, label string) {
	for _, s := range sections {
		io.WriteString(w, s.Caption)
		Linear(w, s.Vals, base, step, label)
	}
}
