package stacks

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// Defaults of libbpf-tools' stack tools.
const (
	DefaultStorageSize = 1024
	DefaultDepth       = 127
)

// Storage sizes the stack map: how many stacks it holds and how many frames each keeps.
type Storage struct {
	Size  uint32
	Depth uint32
}

// maxStorageSize keeps --stack-storage-size to what a map may hold without the kernel
// refusing it for memory (each slot is Depth*8 bytes).
const maxStorageSize = 1 << 24

// StorageOptions binds --stack-storage-size and --perf-max-stack-depth, which every stack tool
// has, to s, with libbpf-tools' wording; s starts at the defaults (the depth no deeper than
// kernel.perf_event_max_stack lets a stack map be).
func StorageOptions(s *Storage) []cli.Flag {
	limit := maxDepth()
	*s = Storage{Size: DefaultStorageSize, Depth: min(DefaultDepth, uint32(limit))}
	return []cli.Flag{
		app.Value(&s.Size, "stack-storage-size", "the number of unique stack traces that can be stored and displayed (default 1024)", parseSize),
		app.Value(&s.Depth, "perf-max-stack-depth", "the limit for both kernel and user stack traces (default 127)",
			func(v string) (uint32, error) { return parseDepth(v, limit) }),
	}
}

func parseSize(v string) (uint32, error) {
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil || n == 0 || n > maxStorageSize {
		return 0, fmt.Errorf("invalid stack storage size %q: must be from 1 to %d", v, maxStorageSize)
	}
	return uint32(n), nil
}

func parseDepth(v string, limit int) (uint32, error) {
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil || n == 0 || n > uint64(limit) {
		return 0, fmt.Errorf("invalid perf max stack depth %q: must be from 1 to %d (kernel.perf_event_max_stack)", v, limit)
	}
	return uint32(n), nil
}

// parseStorage reads the two options' values ("" when absent) as StorageOptions does.
func parseStorage(sizeArg, depthArg string, depthLimit int) (Storage, error) {
	s := Storage{Size: DefaultStorageSize, Depth: min(DefaultDepth, uint32(depthLimit))}
	var err error
	if sizeArg != "" {
		if s.Size, err = parseSize(sizeArg); err != nil {
			return Storage{}, err
		}
	}
	if depthArg != "" {
		if s.Depth, err = parseDepth(depthArg, depthLimit); err != nil {
			return Storage{}, err
		}
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

// BlockTimes are -m and -M of the tools that sum blocked time (offcputime, wakeuptime), in
// microseconds.
type BlockTimes struct {
	MinUs, MaxUs uint64
}

// BlockTimeOptions binds -m and -M to b, which starts at the defaults (1 us, no maximum).
func BlockTimeOptions(b *BlockTimes) []cli.Flag {
	*b = BlockTimes{MinUs: 1, MaxUs: math.MaxUint64}
	return []cli.Flag{
		app.Value(&b.MinUs, "min-block-time m", "the amount of time in microseconds over which we store traces (default 1)",
			func(v string) (uint64, error) { return parseBlockTime("min", v) }),
		app.Value(&b.MaxUs, "max-block-time M", "the amount of time in microseconds under which we store traces (default U64_MAX)",
			func(v string) (uint64, error) { return parseBlockTime("max", v) }),
	}
}

func parseBlockTime(which, v string) (uint64, error) {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("Invalid %s block time (in us): %s", which, v)
	}
	return n, nil
}

// Check refuses a minimum that is not below the maximum, in libbpf-tools' words; the error is
// a usage error.
func (b BlockTimes) Check() error {
	if b.MinUs >= b.MaxUs {
		return app.Usagef("min_block_time should be smaller than max_block_time")
	}
	return nil
}

// parseBlockTimes reads -m and -M's values ("" when absent) as BlockTimeOptions and Check do.
func parseBlockTimes(minArg, maxArg string) (minUs, maxUs uint64, err error) {
	b := BlockTimes{MinUs: 1, MaxUs: math.MaxUint64}
	if minArg != "" {
		if b.MinUs, err = parseBlockTime("min", minArg); err != nil {
			return 0, 0, err
		}
	}
	if maxArg != "" {
		if b.MaxUs, err = parseBlockTime("max", maxArg); err != nil {
			return 0, 0, err
		}
	}
	if err := b.Check(); err != nil {
		return 0, 0, err
	}
	return b.MinUs, b.MaxUs, nil
}

// Mode is -U, -K, -d and -f of the tools that print user and kernel stacks (profile,
// offcputime).
type Mode struct {
	UserOnly, KernelOnly, Delimited, Folded bool
}

// ModeOptions binds -U, -K, -d and -f to m.
func ModeOptions(m *Mode) []cli.Flag {
	return []cli.Flag{
		app.Bool(&m.UserOnly, "user-stacks-only U", "show stacks from user space only (no kernel space stacks)"),
		app.Bool(&m.KernelOnly, "kernel-stacks-only K", "show stacks from kernel space only (no user space stacks)"),
		app.Bool(&m.Delimited, "delimited d", "insert delimiter between kernel/user stacks"),
		app.Bool(&m.Folded, "folded f", "output folded format, one line per stack (for flame graphs)"),
	}
}

// Check refuses -U with -K, as libbpf-tools does; the error is a usage error.
func (m Mode) Check() error {
	if m.UserOnly && m.KernelOnly {
		return app.UsageError{Err: errors.New("user_stacks_only and kernel_stacks_only cannot be used together.")}
	}
	return nil
}

// Sides says what the BPF program should take: the user stacks unless -K, the kernel stacks
// unless -U.
func (m Mode) Sides() (user, kernel bool) { return !m.KernelOnly, !m.UserOnly }
