package stacks

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// Defaults of libbpf-tools' stack tools.
const (
	DefaultStorageSize = 1024
	DefaultDepth       = 127
)

// StorageFlags are --stack-storage-size and --perf-max-stack-depth, which every stack tool
// has, with libbpf-tools' wording.
func StorageFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "stack-storage-size", Usage: "the number of unique stack traces that can be stored and displayed (default 1024)"},
		&cli.StringFlag{Name: "perf-max-stack-depth", Usage: "the limit for both kernel and user stack traces (default 127)"},
	}
}

// Storage sizes the stack map: how many stacks it holds and how many frames each keeps.
type Storage struct {
	Size  uint32
	Depth uint32
}

// maxStorageSize keeps --stack-storage-size to what a map may hold without the kernel
// refusing it for memory (each slot is Depth*8 bytes).
const maxStorageSize = 1 << 24

// ParseStorage reads the StorageFlags. Bad values are usage errors to be wrapped by the caller.
func ParseStorage(c *cli.Context) (Storage, error) {
	return parseStorage(c.String("stack-storage-size"), c.String("perf-max-stack-depth"), maxDepth())
}

func parseStorage(sizeArg, depthArg string, depthLimit int) (Storage, error) {
	s := Storage{Size: DefaultStorageSize, Depth: min(DefaultDepth, uint32(depthLimit))}
	if sizeArg != "" {
		n, err := strconv.ParseUint(sizeArg, 10, 32)
		if err != nil || n == 0 || n > maxStorageSize {
			return Storage{}, fmt.Errorf("invalid stack storage size %q: must be from 1 to %d", sizeArg, maxStorageSize)
		}
		s.Size = uint32(n)
	}
	if depthArg != "" {
		n, err := strconv.ParseUint(depthArg, 10, 32)
		if err != nil || n == 0 || n > uint64(depthLimit) {
			return Storage{}, fmt.Errorf("invalid perf max stack depth %q: must be from 1 to %d (kernel.perf_event_max_stack)", depthArg, depthLimit)
		}
		s.Depth = uint32(n)
	}
	return s, nil
}

// maxDepth is kernel.perf_event_max_stack: the kernel refuses stack maps with longer values.
func maxDepth() int {
	b, err := os.ReadFile("/proc/sys/kernel/perf_event_max_stack")
	if err != nil {
		return DefaultDepth
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n <= 0 {
		return DefaultDepth
	}
	return n
}

// Configure sizes the object's stack map, "stackmap" (stacks.bpf.h).
func (s Storage) Configure(spec *tracer.Spec) {
	if spec.MaxEntries == nil {
		spec.MaxEntries = map[string]uint32{}
	}
	if spec.ValueSize == nil {
		spec.ValueSize = map[string]uint32{}
	}
	spec.MaxEntries["stackmap"] = s.Size
	spec.ValueSize["stackmap"] = s.Depth * 8
}

// BlockTimeFlags are -m and -M of the tools that sum blocked time (offcputime, wakeuptime).
func BlockTimeFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "min-block-time", Aliases: []string{"m"}, Usage: "the amount of time in microseconds over which we store traces (default 1)"},
		&cli.StringFlag{Name: "max-block-time", Aliases: []string{"M"}, Usage: "the amount of time in microseconds under which we store traces (default U64_MAX)"},
	}
}

// ParseBlockTimes reads the BlockTimeFlags, in microseconds. Bad values are usage errors to be
// wrapped by the caller.
func ParseBlockTimes(c *cli.Context) (minUs, maxUs uint64, err error) {
	return parseBlockTimes(c.String("min-block-time"), c.String("max-block-time"))
}

func parseBlockTimes(minArg, maxArg string) (minUs, maxUs uint64, err error) {
	minUs, maxUs = 1, math.MaxUint64
	if minArg != "" {
		if minUs, err = strconv.ParseUint(minArg, 10, 64); err != nil {
			return 0, 0, fmt.Errorf("Invalid min block time (in us): %s", minArg)
		}
	}
	if maxArg != "" {
		if maxUs, err = strconv.ParseUint(maxArg, 10, 64); err != nil {
			return 0, 0, fmt.Errorf("Invalid max block time (in us): %s", maxArg)
		}
	}
	if minUs >= maxUs {
		return 0, 0, fmt.Errorf("min_block_time should be smaller than max_block_time")
	}
	return minUs, maxUs, nil
}

// ModeFlags are -U, -K, -d and -f of the tools that print user and kernel stacks (profile,
// offcputime).
func ModeFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "user-stacks-only", Aliases: []string{"U"}, Usage: "show stacks from user space only (no kernel space stacks)"},
		&cli.BoolFlag{Name: "kernel-stacks-only", Aliases: []string{"K"}, Usage: "show stacks from kernel space only (no user space stacks)"},
		&cli.BoolFlag{Name: "delimited", Aliases: []string{"d"}, Usage: "insert delimiter between kernel/user stacks"},
		&cli.BoolFlag{Name: "folded", Aliases: []string{"f"}, Usage: "output folded format, one line per stack (for flame graphs)"},
	}
}

// OnlySide reads -U and -K: at most one of userOnly and kernelOnly is set. Both flags together
// are a usage error, to be wrapped by the caller.
func OnlySide(c *cli.Context) (userOnly, kernelOnly bool, err error) {
	userOnly, kernelOnly = c.Bool("user-stacks-only"), c.Bool("kernel-stacks-only")
	if userOnly && kernelOnly {
		return false, false, errors.New("user_stacks_only and kernel_stacks_only cannot be used together.")
	}
	return userOnly, kernelOnly, nil
}
