// Package hist prints count histograms in the exact layout of the
// libbpf-tools C helpers, so output stays diff-compatible with them.
package hist

import (
	"fmt"
	"io"
	"math/bits"
	"strings"
)

// Count is the element type of BPF histogram maps.
type Count interface{ ~uint32 | ~uint64 }

// Slot returns floor(log2(v)), with Slot(0) == 0, matching the bucket
// index the BPF programs compute, so slot i holds values in [2^i, 2^(i+1)).
func Slot(v uint64) int {
	if v == 0 {
		return 0
	}
	return bits.Len64(v) - 1
}

// Log2 prints vals as a power-of-two histogram. It prints nothing when
// every count is zero.
func Log2[T Count](w io.Writer, vals []T, label string) {
	idxMax := -1
	var valMax uint64
	for i, v := range vals {
		if v != 0 {
			idxMax = i
		}
		valMax = max(valMax, uint64(v))
	}
	if idxMax < 0 {
		return
	}

	// Past 32 slots the range bounds outgrow the usual column width.
	pad, labelWidth, numWidth, barWidth := 5, 19, 10, 40
	if idxMax > 32 {
		pad, labelWidth, numWidth, barWidth = 15, 29, 20, 20
	}
	fmt.Fprintf(w, "%*s%-*s : count    distribution\n", pad, "", labelWidth, label)
	for i := 0; i <= idxMax; i++ {
		low := uint64(1) << i
		high := low<<1 - 1
		if low == high {
			low-- // slot 0 also holds the value 0
		}
		v := uint64(vals[i])
		fmt.Fprintf(w, "%*d -> %-*d : %-8d |", numWidth, low, numWidth, high, v)
		writeBar(w, v, valMax, barWidth)
	}
}

// Linear prints vals as a histogram of fixed-size buckets, bucket i
// starting at base+i*step. Only nonzero buckets get a row.
func Linear[T Count](w io.Writer, vals []T, base, step int, label string) {
	var valMax uint64
	for _, v := range vals {
		valMax = max(valMax, uint64(v))
	}
	if valMax == 0 {
		return
	}

	fmt.Fprintf(w, "     %-13s : count     distribution\n", label)
	for i, v := range vals {
		if v == 0 {
			continue
		}
		fmt.Fprintf(w, "        %-10d : %-8d |", base+i*step, uint64(v))
		writeBar(w, uint64(v), valMax, 40)
	}
}

// writeBar finishes a row with a star bar scaled so valMax fills width.
func writeBar(w io.Writer, v, valMax uint64, width int) {
	// A 128-bit product keeps the scaling exact even for huge uint64 counts.
	hi, lo := bits.Mul64(min(v, valMax), uint64(width))
	q, _ := bits.Div64(hi, lo, valMax)
	n := int(q)
	bar := strings.Repeat("*", n) + strings.Repeat(" ", width-n)
	if v > valMax {
		bar += "+"
	}
	io.WriteString(w, bar+"|\n")
}
