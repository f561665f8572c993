package memleak

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// refillFunctions are where the BPF memory allocator (6.1+) refills its caches with kmalloc:
// alloc_bulk, or its caller bpf_mem_refill where a kernel inlines it. The allocs map takes its
// elements from there: tracking these kmallocs would make every insert cause another.
var refillFunctions = [2]string{"alloc_bulk", "bpf_mem_refill"}

type addressRange struct{ start, end uint64 }

// kernelFunctions finds text symbols' address ranges in kallsyms (which lists vmlinux in
// address order): from a symbol's address to the next symbol's. A range stays zero where the
// symbol is not there (kernels before 6.1 insert without refills) or addresses are hidden.
func kernelFunctions(kallsyms string, names [2]string) [2]addressRange {
	var out [2]addressRange
	f, err := os.Open(kallsyms)
	if err != nil {
		return out
	}
	defer f.Close()
	open := -1 // the range whose end is the next symbol
	found := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() && found < len(names) {
		fields := strings.Fields(sc.Text())
		if len(fields) != 3 {
			continue // module symbols come after vmlinux's
		}
		addr, err := strconv.ParseUint(fields[0], 16, 64)
		if err != nil || addr == 0 {
			continue
		}
		if open >= 0 && addr > out[open].start {
			out[open].end = addr
			open = -1
			found++
		}
		for i, name := range names {
			if fields[2] == name && out[i].start == 0 && (fields[1] == "t" || fields[1] == "T") {
				out[i].start, open = addr, i
			}
		}
	}
	for i := range out {
		if out[i].end == 0 {
			out[i] = addressRange{}
		}
	}
	return out
}
