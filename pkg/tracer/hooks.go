package tracer

import (
	"fmt"
	"os"
	"strings"
)

// Kind is the kernel mechanism a BPF program attaches through.
type Kind int

const (
	Fentry Kind = iota
	Fexit
	Kprobe
	Kretprobe
	Tracepoint // classic tracepoint, Target "category:name"
	TPBTF      // BTF-typed raw tracepoint, Target "category:name"
	RawTP      // raw tracepoint, Target "category:name"
	Uprobe     // Target "path:offset" resolved by the tool; attached by the tool
)

var kindNames = map[Kind]string{
	Fentry: "fentry", Fexit: "fexit", Kprobe: "kprobe", Kretprobe: "kretprobe",
	Tracepoint: "tracepoint", TPBTF: "tp_btf", RawTP: "raw_tp", Uprobe: "uprobe",
}

func (k Kind) String() string { return kindNames[k] }

// family groups kinds that a forced attach path (BPFUTILS_ATTACH) selects together.
func (k Kind) family() string {
	switch k {
	case Fentry, Fexit:
		return "fentry"
	case Kprobe, Kretprobe:
		return "kprobe"
	case Tracepoint, TPBTF, RawTP:
		return "tracepoint"
	}
	return k.String()
}

// Hook is one way to attach one BPF program.
type Hook struct {
	Prog   string
	Kind   Kind
	Target string
	// Sets names a bool global of the object that is set before load when this hook is chosen:
	// how the object's other programs learn that a fallback sees less than the preferred hooks.
	Sets string
}

func (h Hook) String() string { return fmt.Sprintf("%s %s", h.Kind, h.Target) }

func (h Hook) tracepoint() (category, name string) {
	category, name, _ = strings.Cut(h.Target, ":")
	return category, name
}

// Probe is one thing a tool needs to see, with the hooks that can see it in order of preference.
// The first hook the running kernel supports is used; an Optional probe that nothing supports is
// skipped instead of failing the tool.
type Probe struct {
	What     string
	Hooks    []Hook
	Optional bool
}

// forcedFamily lets tests exercise every attach path: BPFUTILS_ATTACH=kprobe moves kprobe hooks
// ahead of the others wherever a probe has them. A kind's own name (raw_tp, tp_btf) selects
// just that kind, for probes whose alternatives are all of one family.
func forcedFamily() string { return os.Getenv("BPFUTILS_ATTACH") }

func (p Probe) ordered() []Hook {
	force := forcedFamily()
	if force == "" {
		return p.Hooks
	}
	var first, rest []Hook
	for _, h := range p.Hooks {
		if h.Kind.family() == force || h.Kind.String() == force {
			first = append(first, h)
		} else {
			rest = append(rest, h)
		}
	}
	return append(first, rest...)
}

// availability says why a hook cannot work on this kernel, or "" when it can be tried.
func availability(h Hook) string {
	switch h.Kind {
	case Tracepoint, TPBTF, RawTP:
		cat, name := h.tracepoint()
		if reason := tracepointAvailability(h.Kind, cat, name); reason != "" {
			return reason
		}
	case Kprobe, Kretprobe:
		if !KprobesSupported() {
			return "kernel has no kprobe support (CONFIG_KPROBES)"
		}
		if !KernelFuncExists(h.Target) {
			return fmt.Sprintf("kernel has no function %s", h.Target)
		}
	case Fentry, Fexit:
		if reason := fentryAvailability(h.Target); reason != "" {
			return reason
		}
	}
	return ""
}
