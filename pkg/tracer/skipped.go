package tracer

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// SkippedRuns is how many times, in all, the kernel did not run one of the tracer's programs
// because a BPF program was already running on that CPU (a tracepoint firing inside another's
// program, or the ring buffer's wakeup work running the tool's own tracepoint): each skip is
// an event the tool never saw. The kernel counts them per program (recursion_misses, 5.12+);
// on older kernels, or when they cannot be read, it is 0.
func (t *Tracer) SkippedRuns() uint64 {
	var total uint64
	it := t.Module.Iterator()
	for p := it.NextProgram(); p != nil; p = it.NextProgram() {
		if fd := p.FileDescriptor(); fd >= 0 {
			total += recursionMisses(fd)
		}
	}
	return total
}

var recursionField = []byte("recursion_misses:")

// recursionMisses reads a program's count of skipped runs from its fd's fdinfo.
func recursionMisses(fd int) uint64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/fdinfo/%d", fd))
	if err != nil {
		return 0
	}
	i := bytes.Index(b, recursionField)
	if i < 0 {
		return 0
	}
	rest := b[i+len(recursionField):]
	if nl := bytes.IndexByte(rest, '\n'); nl >= 0 {
		rest = rest[:nl]
	}
	n, _ := strconv.ParseUint(string(bytes.TrimSpace(rest)), 10, 64)
	return n
}
