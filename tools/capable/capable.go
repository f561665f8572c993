// Package capable traces security capability checks (cap_capable()) and their verdicts.
package capable

import (
	"fmt"
	"os"
	"unsafe"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/stacks"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// event mirrors struct capable_event in bpf/capable.h.
type event struct {
	Pid        uint32
	Tid        uint32
	UID        uint32
	Cap        int32
	Audit      int32
	Insetid    int32
	Ret        int32
	KstackSize int32
	UstackSize int32
	Comm       [16]byte
	Kstack     [maxFrames]uint64
	Ustack     [maxFrames]uint64
}

// maxFrames is CAPABLE_MAX_FRAMES: the most frames of a stack an event carries.
const maxFrames = 127

// stacksOffset is where an event's stacks start: events without -K and -U end there.
var stacksOffset = unsafe.Offsetof(event{}.Kstack)

// enum capable_unique
const (
	uniqueOff = iota
	uniquePID
	uniqueCgroup
)

// capNames are the capabilities by number (include/uapi/linux/capability.h).
var capNames = [...]string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
	"CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
	"CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

func capName(c int32) string {
	if c >= 0 && int(c) < len(capNames) {
		return capNames[c]
	}
	return "?"
}

type config struct {
	Pid                           uint32
	Cgroup                        string
	KernelStack, UserStack, Extra bool
	Unique                        uint32
	Storage                       stacks.Storage
}

// rodata mirrors capable's const volatile globals.
type rodata struct {
	MyPid       uint32 `bpf:"my_pid"`
	Pid         uint32 `bpf:"targ_pid"`
	Unique      uint32 `bpf:"unique_type"`
	KernelStack bool   `bpf:"kernel_stack"`
	UserStack   bool   `bpf:"user_stack"`
	StackBytes  uint32 `bpf:"stack_bytes"`
}

var Tool = app.Define(app.Def[config]{
	Name:      "capable",
	Usage:     "Trace security capability checks (cap_capable())",
	ArgsUsage: " ",
	Object:    "capable",
	Caps:      []string{"CAP_DAC_READ_SEARCH"},
	CapsNote:  "`-K`: CAP_SYSLOG; `-U`: user symbols, see below",
	Layouts:   map[string]any{"capable_event": event{}},
	Consts:    map[string]int64{"CAPABLE_UNIQUE_PID": uniquePID, "CAPABLE_UNIQUE_CGROUP": uniqueCgroup},
	Examples: `
    capable                  # Trace capability checks
    capable -p 185           # Trace this PID only
    capable -c CG            # Trace process under cgroupsPath CG
    capable -K               # Add kernel stacks to trace
    capable -x               # Extra fields: show TID and INSETID columns
    capable -U               # Add user-space stacks to trace
    capable -u pid           # Print unique output for TYPE=[pid | cgroup] (default:off)`,
	Flags: func(c *config) []cli.Flag {
		return append([]cli.Flag{
			app.PID(&c.Pid, "pid p", "Trace this PID only", "PID"),
			app.Cgroup(&c.Cgroup, "cgroup c", "Trace process in cgroup path"),
			app.Bool(&c.KernelStack, "kernel-stack K", "output kernel stack trace"),
			app.Bool(&c.UserStack, "user-stack U", "output user stack trace"),
			app.Bool(&c.Extra, "extra-fields x", "extra fields: show TID and INSETID columns"),
			app.Value(&c.Unique, "unique u", "Print unique output for `TYPE` pid or cgroup (default:off)", parseUnique),
		}, stacks.StorageOptions(&c.Storage)...)
	},
	Variants: [][]string{{"-u", "pid"}, {"-u", "cgroup"}},
	Spec:     spec,
	Outputs:  func(c *config) []render.Describer { return []render.Describer{records(c)} },
	Run:      run,
})

func parseUnique(s string) (uint32, error) {
	switch s {
	case "pid":
		return uniquePID, nil
	case "cgroup":
		return uniqueCgroup, nil
	case "off":
		return uniqueOff, nil
	}
	return 0, fmt.Errorf("unknown unique type %q: want pid or cgroup", s)
}

// viaTracepoint is the hook that sees neither the audit flag nor insetid.
const viaTracepoint = "cap_tp"

func spec(c *config) tracer.Spec {
	fexit := tracer.Hook{Prog: "cap_fexit", Kind: tracer.Fexit, Target: "cap_capable"}
	tp := tracer.Hook{Prog: viaTracepoint, Kind: tracer.Tracepoint, Target: "capability:cap_capable"}
	s := tracer.Spec{
		Rodata: rodata{
			MyPid: uint32(os.Getpid()), Pid: c.Pid, Unique: c.Unique,
			KernelStack: c.KernelStack, UserStack: c.UserStack,
			StackBytes: min(c.Storage.Depth, maxFrames) * 8,
		},
		// A kprobe needs its kretprobe: the two probes list the same alternatives in the same
		// order, so that they choose alike, and where both choose fexit or the tracepoint, that
		// one program is attached once.
		Probes: []tracer.Probe{
			{What: "capability checks", Hooks: []tracer.Hook{
				fexit, {Prog: "cap_kretprobe", Kind: tracer.Kretprobe, Target: "cap_capable"}, tp}},
			{What: "capability check arguments", Hooks: []tracer.Hook{
				fexit, {Prog: "cap_kprobe", Kind: tracer.Kprobe, Target: "cap_capable"}, tp}},
		},
		Cgroup: c.Cgroup,
	}
	return s
}

// row is one check as the columns read it.
type row struct {
	e     *event
	comm  []byte
	entry stacks.Entry
}

func records(c *config) *render.Records[row] {
	stacked := c.KernelStack || c.UserStack
	return render.NewRecords(render.KindEvent,
		render.Clock[row]("TIME", -8, false),
		render.Int("UID", -5, "uid", func(r *row) int64 { return int64(int32(r.e.UID)) }).
			JSONUint("uid", func(r *row) uint64 { return uint64(r.e.UID) }),
		render.Uint("PID", -7, "pid", func(r *row) uint64 { return uint64(r.e.Pid) }),
		render.Uint("TID", -7, "tid", func(r *row) uint64 { return uint64(r.e.Tid) }).TextIf(c.Extra),
		render.Text("COMM", -16, "comm", func(r *row) []byte { return r.comm }),
		render.Int("CAP", -7, "cap", func(r *row) int64 { return int64(r.e.Cap) }),
		render.Str("NAME", -20, "name", func(r *row) string { return capName(r.e.Cap) }),
		render.Int("AUDIT", -7, "audit", func(r *row) int64 { return int64(r.e.Audit) }).
			JSONWith("audit", "boolean or null", func(j *render.JSON, key string, r *row) { flag(j, key, r.e.Audit) }).
			Note("null where the tracepoint path cannot tell (text: -1)"),
		render.Str("VERDICT", -7, "verdict", func(r *row) string { return verdict(r.e.Ret) }).Note("allow or deny"),
		render.Int("INSETID", -7, "insetid", func(r *row) int64 { return int64(r.e.Insetid) }).
			JSONWith("insetid", "boolean or null", func(j *render.JSON, key string, r *row) { flag(j, key, r.e.Insetid) }).
			Note("null where the tracepoint path cannot tell (text: -1)").TextIf(c.Extra),
		render.JSONOnly(render.Custom[row]("", 0, nil).JSONWith("user", "array", func(j *render.JSON, _ string, r *row) {
			stacks.SidesJSON(j, &r.entry)
		})).Note("-K/-U: user and kernel arrays of frames, innermost first, as stack lines have them").If(stacked),
	)
}

// stackID is what the reader is told of one side of an event: id when there are frames,
// NoStack when the side was not asked for or there is none (a kernel thread's user stack),
// and any other error as it is: a stack lost.
func stackID(id, size int32, wanted bool) int32 {
	switch {
	case !wanted || size == -int32(unix.EFAULT):
		return stacks.NoStack
	case size > 0:
		return id
	case size == 0:
		return -int32(unix.ENOENT)
	}
	return size
}

func flag(j *render.JSON, key string, v int32) {
	if v < 0 {
		j.Null(key)
		return
	}
	j.Bool(key, v != 0)
}

func verdict(ret int32) string {
	if ret == 0 {
		return "allow"
	}
	return "deny"
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	recs := records(c).To(env.Out)
	if env.Verbose && t.Uses(viaTracepoint) {
		env.Warnf("capable: the capability:cap_capable tracepoint does not carry cap_capable()'s options: AUDIT and INSETID are unknown (-1)")
	}
	r := &row{}
	var reader *stacks.Reader
	var style *stacks.Style
	stacked := c.KernelStack || c.UserStack
	// The stacks come with each event: the reader's ids 0 and 1 are the current event's kernel
	// and user stacks.
	var cur *event
	if stacked {
		reader = stacks.NewReaderFunc(func(id int32) ([]uint64, bool) {
			if id == 0 {
				return cur.Kstack[:cur.KstackSize/8], true
			}
			return cur.Ustack[:cur.UstackSize/8], true
		}, stacks.NewSymbolizer(c.KernelStack, env.Warnf))
		style = &stacks.Style{Verbose: env.Verbose, Numbered: true, UnknownKernel: "Unknown",
			MissedTo: env.Out.Stderr(), Raw: env.Out.Raw}
	}
	minLen := stacksOffset
	if stacked {
		minLen = unsafe.Sizeof(event{})
	}
	return app.Stream(env, t, app.StreamOptions{Header: recs}, func(rec []byte) {
		e := tracer.Cast[event](rec, minLen)
		if e == nil {
			return
		}
		r.e, r.comm = e, filter.CommBytes(e.Comm[:])
		if stacked {
			cur = e
			r.entry = stacks.Entry{Comm: string(r.comm), PID: e.Pid}
			r.entry.Kernel, r.entry.User = reader.Stacks(stackID(0, e.KstackSize, c.KernelStack), stackID(1, e.UstackSize, c.UserStack), e.Pid)
		}
		recs.Write(r)
		if reader != nil && env.Out.Text() {
			style.WriteUnder(env.Out.Writer(), &r.entry)
		}
	})
}
