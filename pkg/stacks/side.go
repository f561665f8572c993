package stacks

import (
	"io"

	"github.com/bpfutils/bpfutils/pkg/render"
)

// WriteStack prints one side's frames as Write prints them inside an entry, for tools that
// frame a stack in their own layout (futexctn): "    name" lines, numbered addresses with
// Verbose and Numbered, or the "[Missed ... Stack]" note (to MissedTo when set).
func (s *Style) WriteStack(w io.Writer, st *Stack, kernel bool) {
	idx := 0
	s.writeSide(w, st, kernel, &idx)
}

// WriteFrames writes one side as Output.Write does in a "stack" line: under key an array of
// frames, innermost first, as {address, symbol, offset, module}; a lost side is null with a
// "<key>_missed": true member, a side not taken nothing.
func WriteFrames(j *render.JSON, key string, st *Stack, kernel bool) {
	writeSide(j, key, st, kernel)
}
