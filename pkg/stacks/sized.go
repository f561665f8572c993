package stacks

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/render"
)

// StorageOptionsSized is StorageOptions for a tool whose stack map holds size stacks unless
// told otherwise (memleak: 10240), with its help saying so.
func StorageOptionsSized(s *Storage, size uint32) []cli.Flag {
	flags := StorageOptions(s)
	s.Size = size
	flags[0] = app.Value(&s.Size, "stack-storage-size",
		fmt.Sprintf("the number of unique stack traces that can be stored and displayed (default %d)", size), parseSize)
	return flags
}

// WriteJSON adds one side of a stack to a JSON line as Output.Write does, for tools that lay
// out their own stack lines (memleak): name is "kernel" or "user"; an absent side is left out,
// a lost one is null with a "<name>_missed": true member.
func (st *Stack) WriteJSON(j *render.JSON, name string, kernel bool) {
	writeSide(j, name, st, kernel)
}
