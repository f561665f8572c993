// Package memleak reports allocations not freed yet, by the stack that made them: the kernel's
// (kmem and percpu tracepoints) or, with -p or -c, a process's allocator (uprobes on libc).
package memleak

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/stacks"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// alloc mirrors struct memleak_alloc in bpf/memleak.h.
type alloc struct {
	Size        uint64
	TimestampNs uint64
	StackId     int32
	Tgid        uint32
}

// combined mirrors struct memleak_combined in bpf/memleak.h.
type combined struct {
	TotalSize uint64
	Count     uint64
}

// maxCombined is MEMLEAK_MAX_COMBINED, the size of the combined map (Def.Consts holds it).
const maxCombined = 10240

// maxAllocs is MEMLEAK_MAX_ALLOCS, the size of the allocs map.
const maxAllocs = 1000000

// Indexes of the drops array (enum memleak_drop).
const (
	dropAllocs = iota
	dropCombined
	dropEntries
	drops
)

// defaultStorageSize is libbpf-tools memleak's stack map size, larger than the other tools'.
const defaultStorageSize = 10240

// config is memleak's command line.
type config struct {
	PID                     uint32
	Trace, ShowAllocs       bool
	MinAge                  time.Duration
	Command                 string
	Combined, WaMissingFree bool
	SampleRate              uint64
	Top                     int
	MinSize, MaxSize        uint64
	Object                  string
	Percpu                  bool
	Prefix                  string
	Storage                 stacks.Storage
	Every                   app.Every
	// Kernel mode: where the BPF memory allocator's refills call kmalloc from (Check).
	skipSites [2]addressRange
}

func (c *config) kernelMode() bool { return c.PID == 0 && c.Command == "" }

// rodata mirrors memleak's const volatile globals.
type rodata struct {
	MinSize       uint64    `bpf:"min_size"`
	MaxSize       uint64    `bpf:"max_size"`
	PageSize      uint64    `bpf:"page_size"`
	SampleRate    uint64    `bpf:"sample_rate"`
	TraceAll      bool      `bpf:"trace_all"`
	UserStacks    bool      `bpf:"user_stacks"`
	WaMissingFree bool      `bpf:"wa_missing_free"`
	CombinedOnly  bool      `bpf:"combined_only"`
	SkipStart     [2]uint64 `bpf:"skip_start"`
	SkipEnd       [2]uint64 `bpf:"skip_end"`
}

var Tool = app.Define(app.Def[config]{
	Name:      "memleak",
	Usage:     "Trace outstanding memory allocations",
	ArgsUsage: "[INTERVAL] [INTERVALS]",
	Object:    "memleak",
	Caps:      []string{"CAP_DAC_READ_SEARCH", "CAP_SYSLOG"},
	CapsNote:  "-p, -c: CAP_SYS_PTRACE for another user's process",
	Consts:    map[string]int64{"max_entries:combined": maxCombined, "max_entries:allocs": maxAllocs, "max_entries:drops": drops},
	Layouts:   map[string]any{"memleak_alloc": alloc{}, "memleak_combined": combined{}},
	Examples: `
    memleak -p 181          # outstanding allocations of PID 181, every 5 seconds
    memleak -p 181 -t       # also each allocator call (in the kernel's trace pipe)
    memleak -ap 181 10      # with each allocation's address and size, every 10 seconds
    memleak -c ./allocs     # run ./allocs and trace its allocations
    memleak                 # outstanding kernel allocations every 5 seconds
    memleak -o 60000        # kernel allocations at least one minute old
    memleak -s 5            # trace roughly every 5th allocation, to reduce overhead
    memleak -p 181 -S je_   # a process using jemalloc (je_malloc, je_free...)`,
	Flags: func(c *config) []cli.Flag {
		c.MinAge = 500 * time.Nanosecond
		c.SampleRate, c.Top, c.MaxSize = 1, 10, ^uint64(0)
		c.Every.Interval = 5 * time.Second
		flags := []cli.Flag{
			app.PID(&c.PID, "pid p", "process ID to trace. if not specified, trace kernel allocs", "pid"),
			app.Bool(&c.Trace, "trace t", "print trace messages for each alloc/free call"),
			app.Bool(&c.ShowAllocs, "show-allocs a", "show allocation addresses and sizes as well as call stacks"),
			app.Value(&c.MinAge, "older o", "prune allocations younger than this age in milliseconds", parseAge),
			app.String(&c.Command, "command c", "execute and trace the specified command"),
			app.Bool(&c.Combined, "combined-only C", "show combined allocation statistics only"),
			app.Bool(&c.WaMissingFree, "wa-missing-free F", "workaround to alleviate misjudgments when free is missing"),
			app.Value(&c.SampleRate, "sample-rate s", "sample every N-th allocation to decrease the overhead", positive64("SAMPLE_RATE")),
			app.Value(&c.Top, "top T", "display only this many top allocating stacks (by size)", positive("TOP_STACKS")),
			app.Value(&c.MinSize, "min-size z", "capture only allocations larger than or equal to this size", positive64("MIN_SIZE")),
			app.Value(&c.MaxSize, "max-size Z", "capture only allocations smaller than or equal to this size", positive64("MAX_SIZE")),
			app.String(&c.Object, "obj O", "attach to allocator functions in the specified object"),
			app.Bool(&c.Percpu, "percpu P", "trace percpu allocations"),
			app.String(&c.Prefix, "symbols-prefix S", "memory allocator symbols prefix"),
		}
		return append(flags, stacks.StorageOptionsSized(&c.Storage, defaultStorageSize)...)
	},
	Args:  func(c *config) []app.Arg { return app.IntervalArgs(&c.Every) },
	Check: check,
	Spec:  spec,
	// User mode's -C and the sampling and size checks; each switch is tried alone anyway.
	Variants: [][]string{{"-p", "1", "-C", "-s", "3", "-z", "16", "-Z", "4096"}},
	Outputs:  func(c *config) []render.Describer { return []render.Describer{output{}} },
	Run:      run,
})

func positive(what string) func(string) (int, error) {
	return func(s string) (int, error) { return parsePositive(what, s) }
}

func positive64(what string) func(string) (uint64, error) {
	return func(s string) (uint64, error) {
		n, err := parsePositive(what, s)
		return uint64(n), err
	}
}

func parsePositive(what, s string) (int, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("invalid %s %q: must be a positive integer", what, s)
	}
	return int(n), nil
}

// maxAgeMs keeps -o's nanoseconds within an int64, as libbpf-tools does.
const maxAgeMs = (1<<63 - 1) / int64(time.Millisecond)

func parseAge(s string) (time.Duration, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > maxAgeMs {
		return 0, fmt.Errorf("invalid AGE_MS %q: must be from 1 to %d", s, maxAgeMs)
	}
	return time.Duration(n) * time.Millisecond, nil
}

func check(c *config) error {
	if c.MinSize > c.MaxSize {
		return app.Usagef("min size (-z) can't be greater than max_size (-Z)")
	}
	if c.Command != "" && c.PID != 0 {
		return app.Usagef("cannot specify both command and pid")
	}
	if c.PID != 0 {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", c.PID)); err != nil {
			return fmt.Errorf("no process with pid %d", c.PID)
		}
	}
	if c.kernelMode() {
		c.skipSites = kernelFunctions("/proc/kallsyms", refillFunctions)
	}
	return nil
}

// kernelHooks are the kernel allocator's tracepoints: program, tracepoint, and whether -P
// asks for it.
var kernelHooks = []struct {
	prog, target     string
	percpu, optional bool
}{
	{"memleak_kmalloc", "kmem:kmalloc", false, false},
	{"memleak_kfree", "kmem:kfree", false, false},
	{"memleak_cache_alloc", "kmem:kmem_cache_alloc", false, false},
	{"memleak_cache_free", "kmem:kmem_cache_free", false, false},
	{"memleak_page_alloc", "kmem:mm_page_alloc", false, false},
	{"memleak_page_free", "kmem:mm_page_free", false, false},
	// Before 6.1 the NUMA node variants were events of their own.
	{"memleak_kmalloc_node", "kmem:kmalloc_node", false, true},
	{"memleak_cache_node", "kmem:kmem_cache_alloc_node", false, true},
	{"memleak_pcpu_alloc", "percpu:percpu_alloc_percpu", true, false},
	{"memleak_pcpu_free", "percpu:percpu_free_percpu", true, false},
}

func spec(c *config) tracer.Spec {
	s := tracer.Spec{
		Rodata: rodata{
			MinSize: c.MinSize, MaxSize: c.MaxSize, PageSize: uint64(os.Getpagesize()),
			SampleRate: c.SampleRate, TraceAll: c.Trace, UserStacks: !c.kernelMode(),
			WaMissingFree: c.WaMissingFree, CombinedOnly: c.Combined,
			SkipStart: [2]uint64{c.skipSites[0].start, c.skipSites[1].start},
			SkipEnd:   [2]uint64{c.skipSites[0].end, c.skipSites[1].end},
		},
		MaxEntries: map[string]uint32{"combined": 1},
	}
	if c.Combined {
		s.MaxEntries["combined"] = maxCombined
	}
	if c.kernelMode() {
		for _, h := range kernelHooks {
			if h.percpu && !c.Percpu {
				continue
			}
			s.Probes = append(s.Probes, tracer.Probe{What: h.target, Optional: h.optional,
				Hooks: []tracer.Hook{{Prog: h.prog, Kind: tracer.Tracepoint, Target: h.target}}})
		}
	} else {
		s.Manual = uprobePrograms()
	}
	c.Storage.Configure(&s)
	return s
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	pid := int(c.PID)
	var child *command
	if c.Command != "" {
		var err error
		if child, err = startCommand(env, c.Command); err != nil {
			return err
		}
		defer child.end(env)
		pid = child.pid
	}
	if !c.kernelMode() {
		if err := attachAllocator(env, t, pid, c.Object, c.Prefix); err != nil {
			return err
		}
	}
	banner := "Attaching to kernel allocators, Ctrl+C to quit."
	if !c.kernelMode() {
		banner = fmt.Sprintf("Attaching to pid %d, Ctrl+C to quit.", pid)
	}
	if child != nil {
		if err := child.release(env); err != nil {
			return err
		}
		// The command's end ends the run as Ctrl-C does: one last report.
		env = child.scope(env)
	}
	r := newReporter(env, c, t, pid)
	return app.Report(env, c.Every, banner, r.report)
}
