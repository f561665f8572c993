// Package cpus reads the kernel's CPU lists: which CPUs are online, which can ever be.
package cpus

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// maxCPUs bounds what a CPU list may name (the kernel's NR_CPUS limit is 8192).
const maxCPUs = 1 << 13

// ParseList reads the kernel's CPU list format ("0-3,5,7-8\n") into ascending CPU numbers.
func ParseList(s string) ([]int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var cpus []int
	last := -1
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		first, err := cpuNumber(lo)
		if err != nil {
			return nil, err
		}
		end := first
		if isRange {
			if end, err = cpuNumber(hi); err != nil {
				return nil, err
			}
			if end < first {
				return nil, fmt.Errorf("bad CPU range %q", part)
			}
		}
		if first <= last {
			return nil, fmt.Errorf("CPU list %q is not ascending", s)
		}
		for c := first; c <= end; c++ {
			cpus = append(cpus, c)
		}
		last = end
	}
	return cpus, nil
}

func cpuNumber(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n >= maxCPUs || strings.TrimSpace(s) != s || strings.HasPrefix(s, "+") {
		return 0, fmt.Errorf("bad CPU number %q", s)
	}
	return n, nil
}

// Online lists the CPUs that are online now.
func Online() ([]int, error) { return readList("/sys/devices/system/cpu/online") }

// Possible lists the CPUs that can ever be online (what per-CPU maps are sized by).
func Possible() ([]int, error) { return readList("/sys/devices/system/cpu/possible") }

func readList(path string) ([]int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("list CPUs: %w", err)
	}
	cpus, err := ParseList(string(b))
	if err != nil {
		return nil, fmt.Errorf("list CPUs: %s: %w", path, err)
	}
	return cpus, nil
}
