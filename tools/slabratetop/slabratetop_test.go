package slabratetop

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/render"
)

func entry(name string, count, size uint64) bpfmap.Entry[uint64, info] {
	var i info
	copy(i.Name[:], name)
	i.Count, i.Size = count, size
	return bpfmap.Entry[uint64, info]{Value: i}
}

func names(stats []bpfmap.Entry[uint64, info]) string {
	var s []string
	for _, e := range stats {
		s = append(s, string(bytes.TrimRight(e.Value.Name[:], "\x00")))
	}
	return fmt.Sprint(s)
}

func TestSort(t *testing.T) {
	for _, tc := range []struct{ by, want string }{
		{"size", "[filp dentry Acpi]"},
		{"count", "[dentry filp Acpi]"},
		{"name", "[Acpi dentry filp]"},
	} {
		stats := []bpfmap.Entry[uint64, info]{entry("dentry", 30, 5760), entry("filp", 20, 7680), entry("Acpi", 10, 100)}
		sortStats(stats, tc.by)
		if got := names(stats); got != tc.want {
			t.Errorf("-s %s: %s, want %s", tc.by, got, tc.want)
		}
	}
}

func TestRowMatchesCFormat(t *testing.T) {
	var got, want bytes.Buffer
	out := render.NewSink("slabratetop", render.FormatText, &got, io.Discard)
	rows := records().To(out)
	rows.Header()
	e := entry("kmalloc-cg-1k", 123456, 9876543210)
	rows.Write(&e.Value)
	out.Flush()
	fmt.Fprintf(&want, "%-32s %6s %10s\n%-32s %6d %10d\n", "CACHE", "ALLOCS", "BYTES", "kmalloc-cg-1k", 123456, 9876543210)
	if got.String() != want.String() {
		t.Errorf("got  %q\nwant %q", got.String(), want.String())
	}
}

func TestRowDoesNotAllocate(t *testing.T) {
	for _, format := range []render.Format{render.FormatText, render.FormatJSON} {
		rows := records().To(render.NewSink("slabratetop", format, io.Discard, io.Discard))
		e := entry("filp", 1, 192)
		if n := testing.AllocsPerRun(1000, func() { rows.Write(&e.Value) }); n != 0 {
			t.Errorf("format %d: %v allocations per row", format, n)
		}
	}
}
