package wakeuptime

import (
	"fmt"
	"io"
	"strconv"

	"github.com/bpfutils/bpfutils/pkg/stacks"
)

// writeMultiLine prints one wakeup as libbpf-tools' wakeuptime: the wakee, the waker's kernel
// frames with their addresses, the waker, the microseconds, tab-indented. A lost stack shows
// no frames (printMap counts them in a warning).
func writeMultiLine(w io.Writer, wk *wakeup) {
	fmt.Fprintf(w, "\n\t%-16s %s\n", "target:", wk.target)
	for _, f := range wk.stack.Frames {
		if f.Known {
			fmt.Fprintf(w, "\t%-16x %s+0x%x\n", f.Addr, f.Name, f.Offset)
		} else {
			fmt.Fprintf(w, "\t%-16x Unknown\n", f.Addr)
		}
	}
	fmt.Fprintf(w, "\t%16s %s\n", "waker:", wk.waker)
	fmt.Fprintf(w, "\t%d\n", wk.us)
}

// writeFolded prints one wakeup as Python wakeuptime's -f: the waker, its kernel frames
// outermost first, the wakee, then the microseconds: flame graphs of who wakes whom.
func writeFolded(w io.Writer, wk *wakeup) {
	io.WriteString(w, wk.waker)
	if wk.stack.State == stacks.Missed {
		io.WriteString(w, ";[Missed Kernel Stack]")
	}
	for i := len(wk.stack.Frames) - 1; i >= 0; i-- {
		io.WriteString(w, ";"+wk.stack.Frames[i].String())
	}
	io.WriteString(w, ";"+wk.target+" "+strconv.FormatUint(wk.us, 10)+"\n")
}
