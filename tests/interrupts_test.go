package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The irq tests check the tools against the kernel's own counters (/proc/interrupts,
// /proc/softirqs) read around a disk workload, and choose what to check from what those
// counters show the workload raised: which disk interrupt fires and on which CPU, and which
// softirq vectors follow, depend on the disk's queues and the kernel (a virtio disk with a queue
// per CPU completes its requests in the hard irq and raises no BLOCK softirq; with one queue it
// raises BLOCK on the CPU taking the interrupt).

// diskIRQs names the interrupts of the scratch disk's device as /proc/interrupts (and the
// tools) name them: the MSI interrupts of the first device that has them from the disk's sysfs
// device upwards (the PCI function of a virtio disk; an NVMe controller's "nvme0q1"...), and
// the lines named after the disk's device ("virtio1-req.0" for virtio1).
func diskIRQs(t *testing.T) []string {
	t.Helper()
	disk := scratchDisk(t)
	dev, err := filepath.EvalSymlinks(filepath.Join("/sys/class/block", disk, "device"))
	if err != nil {
		t.Skipf("disk %s has no device in sysfs: %v", disk, err)
	}
	msi := map[string]bool{}
	for dir := dev; strings.HasPrefix(dir, "/sys/devices/"); dir = filepath.Dir(dir) {
		if ents, err := os.ReadDir(filepath.Join(dir, "msi_irqs")); err == nil {
			for _, e := range ents {
				msi[e.Name()] = true
			}
			break
		}
	}
	prefix := filepath.Base(dev) + "-"
	lines, _ := interruptLines(t)
	var names []string
	for _, l := range lines {
		name := l[len(l)-1]
		if slices.Contains(names, name) {
			continue
		}
		if msi[strings.TrimSuffix(l[0], ":")] || strings.HasPrefix(name, prefix) {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		t.Skipf("no interrupt of %s (device %s) in /proc/interrupts", disk, dev)
	}
	return names
}

// interruptLines returns the fields of the /proc/interrupts lines of numbered interrupts, which
// have a handler ("36:", a count per CPU, ..., the handler's name), and the number of CPUs.
func interruptLines(t *testing.T) (lines [][]string, ncpu int) {
	t.Helper()
	b, err := os.ReadFile("/proc/interrupts")
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Split(string(b), "\n")
	ncpu = len(strings.Fields(all[0]))
	for _, l := range all[1:] {
		f := strings.Fields(l)
		// "36:  0  68572  PCI-MSIX-0000:00:02.0  1-edge  virtio1-req.0"
		if len(f) < ncpu+2 || !strings.HasSuffix(f[0], ":") {
			continue
		}
		if _, err := strconv.Atoi(strings.TrimSuffix(f[0], ":")); err != nil {
			continue // NMI, LOC, ...: no handler name
		}
		lines = append(lines, f)
	}
	return lines, ncpu
}

// interruptCounts reads /proc/interrupts: per handler name, its count on each CPU (summed over
// the lines of that name, as the tools sum them).
func interruptCounts(t *testing.T) map[string][]uint64 {
	t.Helper()
	lines, ncpu := interruptLines(t)
	counts := map[string][]uint64{}
	for _, f := range lines {
		name := f[len(f)-1]
		per := counts[name]
		if per == nil {
			per = make([]uint64, ncpu)
		}
		for cpu, s := range f[1 : 1+ncpu] {
			n, _ := strconv.ParseUint(s, 10, 64)
			per[cpu] += n
		}
		counts[name] = per
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

// totals is the growth of each counter between two readings, over all CPUs (cpu < 0) or on one.
func totals(before, after map[string][]uint64, cpu int) map[string]uint64 {
	r := map[string]uint64{}
	for name := range after {
		perCPU, total := growth(before, after, name)
		if cpu >= 0 {
			total = 0
			if cpu < len(perCPU) {
				total = perCPU[cpu]
			}
		}
		r[name] = total
	}
	return r
}

// grewMost chooses what the tests hold a tool to: of the counters grown (what the kernel
// counted while the workload ran), at most n of those that grew most, each at least least and at
// least a quarter of the largest growth, largest first. With least in the tens, a tool missing
// even most hits (checkSeen) still counted some of each. Fails when nothing grew that much: the
// workload did not do what the test relies on.
func grewMost(t *testing.T, what string, grown map[string]uint64, n int, least uint64) []string {
	t.Helper()
	var names []string
	for name := range grown {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		if grown[names[i]] != grown[names[j]] {
			return grown[names[i]] > grown[names[j]]
		}
		return names[i] < names[j]
	})
	var chosen []string
	for _, name := range names {
		if len(chosen) == n || grown[name] < least || grown[name] < grown[names[0]]/4 {
			break
		}
		chosen = append(chosen, name)
	}
	if len(chosen) == 0 {
		t.Fatalf("no %s grew by %d or more while the workload ran: %v", what, least, grown)
	}
	t.Logf("%s that grew most while the workload ran: %v (of %v)", what, chosen, grown)
	return chosen
}

// directWrites writes n 4 KiB blocks with O_DIRECT under the scratch directory (on a disk),
// each one a disk request completed by an interrupt.
func directWrites(t *testing.T, n int) {
	t.Helper()
	directWrite(t, copyExecutable(t, "/bin/dd", workloadName("bpfu-irq")), "4k", n)
}

// softirqWorkload writes to the scratch disk, 100 blocks at a time, until the kernel ran at least
// enough softirqs of one vector (on cpu, or on all CPUs when cpu < 0), or for limit, and returns
// /proc/softirqs from before and after. Where the disk's completions raise BLOCK, one round is
// enough; where they raise none, the vectors the workload drives (SCHED, RCU, TIMER) come by
// tens per round.
func softirqWorkload(t *testing.T, cpu int, enough uint64, limit time.Duration) (before, after map[string][]uint64) {
	t.Helper()
	dd := copyExecutable(t, "/bin/dd", workloadName("bpfu-sirq"))
	deadline := time.Now().Add(limit)
	before = softirqCounts(t)
	for {
		directWrite(t, dd, "4k", 100)
		after = softirqCounts(t)
		if time.Now().After(deadline) {
			return before, after
		}
		for _, n := range totals(before, after, cpu) {
			if n >= enough {
				return before, after
			}
		}
	}
}

// onOneCPU runs f with the calling thread, and so the programs f starts, bound to one CPU (the
// first it may use): where a disk has a queue per CPU, the interrupts completing its requests
// then stay on one CPU from one workload to the next.
func onOneCPU(t *testing.T, f func()) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var old, one unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		t.Fatal(err)
	}
	cpu := 0
	for !old.IsSet(cpu) {
		cpu++
	}
	one.Set(cpu)
	if err := unix.SchedSetaffinity(0, &one); err != nil {
		t.Fatalf("bind to CPU %d: %v", cpu, err)
	}
	defer unix.SchedSetaffinity(0, &old)
	f()
}

// busiestCPU is the CPU with the largest count.
func busiestCPU(perCPU []uint64) int {
	busiest := 0
	for cpu, n := range perCPU {
		if n > perCPU[busiest] {
			busiest = cpu
		}
	}
	return busiest
}

// perCPUKey names one counter on one CPU, as the tests key per-CPU rows: "virtio1-req.0/1".
func perCPUKey(name string, cpu int) string { return fmt.Sprintf("%s/%d", name, cpu) }

// perCPUTotals is the growth of the named counters between two readings, per counter and CPU,
// keyed by perCPUKey.
func perCPUTotals(before, after map[string][]uint64, names ...string) map[string]uint64 {
	r := map[string]uint64{}
	for _, name := range names {
		perCPU, _ := growth(before, after, name)
		for cpu, n := range perCPU {
			r[perCPUKey(name, cpu)] = n
		}
	}
	return r
}
