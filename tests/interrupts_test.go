package tests

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// diskIRQs names the interrupt handlers of vda's virtio device that complete requests
// ("virtio1-req.0"; not its "-config" vector), as /proc/interrupts shows them.
func diskIRQs(t *testing.T) []string {
	t.Helper()
	link, err := os.Readlink("/sys/block/vda/device")
	if err != nil {
		t.Skipf("no virtio disk vda: %v", err)
	}
	prefix := filepath.Base(link) + "-"
	var names []string
	for name := range interruptCounts(t) {
		if strings.HasPrefix(name, prefix) && !strings.HasSuffix(name, "-config") {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		t.Skipf("no interrupt of %s in /proc/interrupts", strings.TrimSuffix(prefix, "-"))
	}
	return names
}

// interruptCounts reads /proc/interrupts: per device interrupt name, its count on each CPU.
func interruptCounts(t *testing.T) map[string][]uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/interrupts")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	ncpu := len(strings.Fields(lines[0]))
	counts := map[string][]uint64{}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		// "36:  0  68572  PCI-MSIX-0000:00:02.0  1-edge  virtio1-req.0"
		if len(f) < ncpu+2 || !strings.HasSuffix(f[0], ":") {
			continue
		}
		if _, err := strconv.Atoi(strings.TrimSuffix(f[0], ":")); err != nil {
			continue // NMI, LOC, ...: no handler name
		}
		var per []uint64
		for _, s := range f[1 : 1+ncpu] {
			n, _ := strconv.ParseUint(s, 10, 64)
			per = append(per, n)
		}
		counts[f[len(f)-1]] = per
	}
	return counts
}

// softirqCounts reads /proc/softirqs: per vector ("BLOCK"), its count on each CPU.
func softirqCounts(t *testing.T) map[string][]uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/softirqs")
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string][]uint64{}
	for _, l := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		var per []uint64
		for _, s := range f[1:] {
			n, _ := strconv.ParseUint(s, 10, 64)
			per = append(per, n)
		}
		counts[strings.TrimSuffix(f[0], ":")] = per
	}
	return counts
}

func sum(v []uint64) uint64 {
	var n uint64
	for _, x := range v {
		n += x
	}
	return n
}

// growth is how much the named counters went up between two readings, per CPU and in total.
func growth(before, after map[string][]uint64, names ...string) (perCPU []uint64, total uint64) {
	for _, name := range names {
		a, b := after[name], before[name]
		for cpu := range a {
			if len(perCPU) <= cpu {
				perCPU = append(perCPU, make([]uint64, cpu+1-len(perCPU))...)
			}
			var prev uint64
			if cpu < len(b) {
				prev = b[cpu]
			}
			perCPU[cpu] += a[cpu] - prev
			total += a[cpu] - prev
		}
	}
	return perCPU, total
}

// directWrites writes n 4 KiB blocks with O_DIRECT under the scratch directory (on a disk),
// each one a disk request completed by an interrupt.
func directWrites(t *testing.T, n int) {
	t.Helper()
	directWrite(t, copyExecutable(t, "/bin/dd", workloadName("bpfu-irq")), "4k", n)
}
