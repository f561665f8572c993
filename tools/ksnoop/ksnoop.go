// Package ksnoop traces the entries and returns of kernel functions the user names and shows
// their arguments and return values decoded with the functions' BTF, whole structures included.
package ksnoop

import (
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"unsafe"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/btfdump"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// Twins of bpf/ksnoop.h.
type bpfValue struct {
	Predicate           uint64
	Offset, Size, Flags uint32
	Base                uint32
}

type bpfFunc struct {
	PrevIP, NextIP uint64
	Index, Flags   uint32
	Values         [maxTraces]bpfValue
}

type bpfSlot struct {
	Raw    uint64
	Err    int32
	Offset uint16
	Len    uint16
}

// bpfHeader mirrors struct ksnoop_header: what a record holds before its buffer.
type bpfHeader struct {
	Time                  uint64
	CPU, PID, Func, Flags uint32
	Tid, BufLen           uint32
	Slots                 [maxTraces]bpfSlot
}

const (
	maxData       = 2048
	maxThreads    = 2048
	recordHeader  = unsafe.Sizeof(bpfHeader{})
	defaultPages  = 16
	maxPages      = 1 << 14
	vUsed         = 0x1
	vPtr          = 0x2
	vMember       = 0x4
	vEQ, vNE      = 0x100, 0x200
	vGT, vLT      = 0x400, 0x800
	fStash        = 0x1
	rEntry        = 0x1
	textIndent    = 36
	commandTrace  = "trace"
	commandInfo   = "info"
	commandHelp   = "help"
	funcArgsUsage = "[trace|info|help] FUNC..."
)

var predicateFlags = map[string]uint32{"==": vEQ, "!=": vNE, ">": vGT, ">=": vGT | vEQ, "<": vLT, "<=": vLT | vEQ}

type config struct {
	Debug, Stack bool
	Pid          uint32
	Pages        int
	Command      string
	Specs        []funcSpec
	funcs        []*traced
}

type rodata struct {
	Pid uint32 `bpf:"filter_pid"`
}

var Tool = app.Define(app.Def[config]{
	Name:      "ksnoop",
	Usage:     "Trace kernel functions' arguments and return values, decoded with their BTF",
	ArgsUsage: funcArgsUsage,
	Object:    "ksnoop",
	Layouts:   map[string]any{"ksnoop_value": bpfValue{}, "ksnoop_func": bpfFunc{}, "ksnoop_slot": bpfSlot{}, "ksnoop_header": bpfHeader{}},
	Consts:    map[string]int64{"max_entries:funcs": maxFuncs, "max_entries:stacks": maxThreads},
	// Functions are told apart by address: /proc/kallsyms shows them with CAP_SYSLOG.
	Caps:     []string{"CAP_SYSLOG"},
	CapsNote: "none for info",
	Examples: `
    ksnoop info ip_send_skb                 # prototype of ip_send_skb()
    ksnoop trace ip_send_skb                # its arguments and return value
    ksnoop ip_send_skb                      # the same
    ksnoop trace -s udp_sendmsg ip_send_skb # only when udp_sendmsg() calls it
    ksnoop "ip_send_skb(skb, return)"       # skb and the return value only
    ksnoop "ip_send_skb(skb->sk, return)"   # a member of skb
    ksnoop "ip_send_skb(skb->len > 128, skb)" # when skb->len > 128`,
	Flags: func(c *config) []cli.Flag {
		c.Pages = defaultPages
		return []cli.Flag{
			app.Bool(&c.Debug, "debug d", "Print how each FUNC was resolved"),
			app.PID(&c.Pid, "pid p", "Trace thread `PID` only", "PID"),
			app.Value(&c.Pages, "pages P", "`PAGES` of event buffer (default 16)", func(s string) (int, error) { return filter.Positive("pages", s) }),
			app.Bool(&c.Stack, "stack s", "Report a function only when called from the one listed before it"),
		}
	},
	Args:    args,
	Check:   check,
	Offline: func(c *config) bool { return c.Command != commandTrace },
	Spec:    spec,
	// Stack mode and predicates change only map contents; one function is enough to load.
	Variants: [][]string{{"vfs_read"}, {"-p", "1", "-s", "vfs_read", "vfs_write(count > 1, return)"}},
	Outputs:  func(c *config) []render.Describer { return []render.Describer{traceRecords(c), infoRecords()} },
	Run:      run,
})

func args(c *config) []app.Arg {
	out := make([]app.Arg, maxFuncs+1)
	for i := range out {
		out[i] = app.Arg{Name: "FUNC", Set: func(s string) error {
			if c.Command == "" && len(c.Specs) == 0 && s != "" {
				for _, cmd := range []string{commandInfo, commandTrace, commandHelp} {
					if strings.HasPrefix(cmd, s) {
						c.Command = cmd
						return nil
					}
				}
			}
			if len(c.Specs) == maxFuncs {
				return fmt.Errorf("A maximum of %d traces are supported", maxFuncs)
			}
			f, err := parseFunc(s)
			if err != nil {
				return err
			}
			c.Specs = append(c.Specs, f)
			return nil
		}}
	}
	return out
}

func check(c *config) error {
	if c.Command == "" {
		c.Command = commandTrace
	}
	if c.Command == commandHelp {
		return nil
	}
	if c.Pages > maxPages {
		return app.Usagef("-P %d: at most %d pages", c.Pages, maxPages)
	}
	if len(c.Specs) == 0 {
		return app.Usagef("no FUNC to %s: %s [OPTIONS] %s", c.Command, "ksnoop", funcArgsUsage)
	}
	funcs, err := resolveAll(c.Specs)
	var sys systemError
	if errors.As(err, &sys) {
		return sys.error
	}
	if err != nil {
		return app.Usagef("%v", err)
	}
	c.funcs = funcs
	return nil
}

func spec(c *config) tracer.Spec {
	n := uint32(max(len(c.Specs), 1))
	return tracer.Spec{
		Rodata:     rodata{Pid: c.Pid},
		Manual:     []string{"ksnoop_entry", "ksnoop_return"},
		MaxEntries: map[string]uint32{"records": n},
		// libbpf-tools' pages are per CPU; the ring is shared: four pages of it per page asked.
		Events: uint32(1) << bits.Len32(uint32(c.Pages)*4*4096-1),
	}
}

// shown is one value of a record as the user sees it.
type shown struct {
	Name       string
	Ptr        bool
	Addr       uint64
	Dump       []byte // libbpf's dump of the value
	Truncated  bool
	Len, Size  uint32
	Unreadable string // the type that could not be read, when reading failed
	Err        int32
}

type record struct {
	Time     uint64
	CPU, PID uint32
	Func     string
	Return   bool
	Values   []shown
}

func traceRecords(c *config) *render.Records[record] {
	return render.NewRecords(render.KindEvent,
		render.Uint("TIME", 16, "ktime_ns", func(r *record) uint64 { return r.Time }),
		render.Uint("CPU", 4, "cpu", func(r *record) uint64 { return uint64(r.CPU) }),
		render.Uint("PID", 8, "pid", func(r *record) uint64 { return uint64(r.PID) }).Note("thread id"),
		render.Custom("FUNCTION/ARGS", 0, writeCall).
			JSONWith("function", "string", func(j *render.JSON, key string, r *record) { j.Str(key, r.Func) }),
		render.JSONOnly(render.Str("", 0, "at", func(r *record) string {
			if r.Return {
				return "return"
			}
			return "entry"
		})),
		render.JSONOnly(render.Custom[record]("", 0, nil).JSONWith("values", "array", writeValuesJSON)).
			Note("name, pointer (for pointers), text (libbpf's BTF dump), truncated, error"),
	)
}

// writeCall is the multi-line text of one record, after the TIME CPU PID columns.
func writeCall(l *render.Line, r *record) {
	l.TextString(r.Func, 0).Str("(\n", 0)
	for i := range r.Values {
		v := &r.Values[i]
		if i > 0 {
			l.Str(",\n", 0)
		}
		l.Str("", 34).Byte(' ').Str(v.Name, 0).Str(" = ", 0)
		if v.Ptr {
			l.Append(fmt.Appendf(l.Bytes(), "*(0x%x)", v.Addr))
		}
		l.Byte('\n')
		if v.Unreadable != "" {
			l.Str("", textIndent).Append(fmt.Appendf(l.Bytes(), " /* Cannot show '%s' as '%s'; invalid/userspace ptr? */\n", v.Name, v.Unreadable))
			continue
		}
		// Line by line: the dump's own newlines stay, bytes of the traced system are escaped.
		dump := v.Dump
		for {
			line, rest, more := strings.Cut(string(dump), "\n")
			l.TextString(line, 0)
			if !more {
				break
			}
			l.Byte('\n')
			dump = []byte(rest)
		}
		if v.Truncated {
			l.Str("", textIndent).Append(fmt.Appendf(l.Bytes(), "... /* %d bytes of %d */", v.Len, v.Size))
		}
	}
	l.Byte('\n').Str("", 31).Str(");\n", 0)
}

func writeValuesJSON(j *render.JSON, key string, r *record) {
	j.Array(key)
	for i := range r.Values {
		v := &r.Values[i]
		j.Open().Str("name", v.Name)
		if v.Ptr {
			j.Uint("pointer", v.Addr)
		}
		if v.Unreadable != "" {
			j.Str("error", fmt.Sprintf("cannot read %s as %s (error %d)", v.Name, v.Unreadable, v.Err))
		} else {
			j.Text("text", v.Dump).Bool("truncated", v.Truncated)
		}
		j.Close()
	}
	j.CloseArray()
}

// prototype is info's record.
type prototype struct {
	Func, Text string
}

func infoRecords() *render.Records[prototype] {
	return render.NewRecords(render.KindTable,
		render.JSONOnly(render.Str("", 0, "function", func(p *prototype) string { return p.Func })),
		render.Str("", 0, "prototype", func(p *prototype) string { return p.Text }),
	)
}

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	switch c.Command {
	case commandHelp:
		env.Out.Printf("Usage: ksnoop [OPTIONS] [COMMAND | help] FUNC\n" +
			"\tCOMMAND\t:= { trace | info }\n" +
			"\tFUNC\t:= { name | name(ARG[,ARG]*) }\n" +
			"\tARG\t:= { arg | arg [PRED] | arg->member [PRED] }\n" +
			"\tPRED\t:= { == | != | > | >= | < | <=  value }\n" +
			"Options: ksnoop --help\n")
		return nil
	case commandInfo:
		recs := infoRecords().To(env.Out)
		for _, f := range c.funcs {
			recs.Write(&prototype{Func: f.Name, Text: env.Out.Escape(f.prototype())})
		}
		return nil
	}
	return trace(env, c, t)
}

func trace(env *app.Env, c *config, t *tracer.Tracer) error {
	// Attached before the functions are described: until then the programs ignore them.
	// Returns first: a call already in progress is not popped off a thread's stack it was
	// never pushed on.
	for _, f := range c.funcs {
		if err := t.AttachKprobe("ksnoop_return", f.Name, true); err != nil {
			return err
		}
		if err := t.AttachKprobe("ksnoop_entry", f.Name, false); err != nil {
			return err
		}
	}
	if c.Debug || env.Verbose {
		for _, f := range c.funcs {
			mod := f.Module
			if mod == "" {
				mod = "vmlinux"
			}
			env.Warnf("Debug: %s at %#x in %s, stash %v", f.Name, f.IP, mod, f.Stash)
			for _, v := range f.Values {
				env.Warnf("Debug:   %s: base %d type %d ptr %v member %v offset %d size %d predicate %q %#x",
					v.Name, v.Base, v.Type, v.Ptr, v.Member, v.Offset, v.Size, v.Op, v.Pred)
			}
		}
	}
	funcs := t.Map("funcs")
	for i, f := range c.funcs {
		if f.IP == 0 {
			return fmt.Errorf("no address of %s in /proc/kallsyms (kernel.kptr_restrict hides them without CAP_SYSLOG)", f.Name)
		}
		e := bpfFunc{Index: uint32(i)}
		if f.Stash {
			e.Flags |= fStash
		}
		if c.Stack && i > 0 {
			e.PrevIP = c.funcs[i-1].IP
		}
		if c.Stack && i+1 < len(c.funcs) {
			e.NextIP = c.funcs[i+1].IP
		}
		for j, v := range f.Values {
			bv := &e.Values[j]
			bv.Base, bv.Offset, bv.Size = uint32(v.Base), v.Offset, v.Size
			if v.Type != 0 || v.Op != "" {
				bv.Flags |= vUsed
			}
			if v.Type == 0 {
				bv.Size = 0 // void: nothing to copy
			}
			if v.Ptr {
				bv.Flags |= vPtr
			}
			if v.Member {
				bv.Flags |= vMember
			}
			bv.Flags |= predicateFlags[v.Op]
			bv.Predicate = v.Pred
		}
		ip := f.IP
		if err := bpfmap.Update(funcs, &ip, &e); err != nil {
			return fmt.Errorf("add %s to the traced functions: %w", f.Name, err)
		}
	}
	recs := traceRecords(c).To(env.Out)
	var r record
	return app.Stream(env, t, app.StreamOptions{Header: recs}, func(raw []byte) {
		h := tracer.Cast[bpfHeader](raw, recordHeader)
		if h == nil || int(h.Func) >= len(c.funcs) {
			return
		}
		decode(env, c.funcs[h.Func], h, raw[recordHeader:], &r)
		recs.Write(&r)
	})
}

// decode turns a BPF record into the values to show, dumped as libbpf dumps them.
func decode(env *app.Env, f *traced, h *bpfHeader, buf []byte, r *record) {
	*r = record{Time: h.Time, CPU: h.CPU, PID: h.PID, Func: f.Name, Return: h.Flags&rEntry == 0, Values: r.Values[:0]}
	indent := textIndent
	if env.Out.JSON() {
		indent = 0
	}
	for i, v := range f.Values {
		// An entry shows arguments and a return the return value, unless predicates on both
		// held them back until the return.
		if !r.Return && v.Base == returnIndex || r.Return && v.Base != returnIndex && !f.Stash {
			continue
		}
		if v.Type == 0 {
			continue
		}
		s := h.Slots[i]
		out := shown{Name: v.Name, Ptr: v.Ptr, Addr: s.Raw, Size: v.Size, Len: uint32(s.Len)}
		if s.Err != 0 {
			out.Unreadable = typeString(f.btf, v.Type)
			if v.Ptr {
				out.Unreadable += " *"
			}
			out.Err = s.Err
		} else {
			end := int(s.Offset) + int(s.Len)
			if end > len(buf) {
				end = len(buf)
			}
			var data []byte
			if int(s.Offset) < end {
				data = buf[s.Offset:end]
			}
			var err error
			out.Dump, err = f.btf.Dump(nil, v.Type, data, indent)
			out.Truncated = errors.Is(err, btfdump.ErrTruncated)
		}
		r.Values = append(r.Values, out)
	}
}
