package stacks

import (
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/syms"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// NewSymbolizer returns a symbolizer with the kernel's symbols loaded. When they cannot be read,
// warn says so, unless no kernel stack is wanted; user stacks are symbolized either way, and
// warn names the capability that user symbols lack, if any.
func NewSymbolizer(kernelWanted bool, warn func(format string, args ...any)) *syms.Symbolizer {
	s := syms.NewWithOptions(syms.Options{Denied: syms.WarnDenied(warn)})
	if err := s.LoadKernel(); err != nil && kernelWanted {
		warn("kernel symbols unavailable: %v", err)
	}
	return s
}

// Banner is the line a stack tool starts with: header, or nothing where the output is folded
// text, which is flame-graph input.
func Banner(out *render.Sink, folded bool, header string) string {
	if folded && out.Text() {
		return ""
	}
	return header
}

// FillSets puts the -p/-t ids into the object's filter sets (ID_SET maps of stacks.bpf.h), by
// map name. Until they are filled, a filter that is on lets nothing through.
func FillSets(t *tracer.Tracer, sets map[string][]uint32) error {
	for name, ids := range sets {
		if err := bpfmap.AddKeys(t.Map(name), ids, uint8(0)); err != nil {
			return err
		}
	}
	return nil
}
