package tracer

import (
	"fmt"
	"path/filepath"
	"strings"

	bpf "github.com/aquasecurity/libbpfgo"

	"github.com/bpfutils/bpfutils/pkg/bpfobj"
)

// Result is the outcome of loading one program of an object, alone, on the running kernel.
type Result struct {
	Object string
	Prog   string
	Via    string // the hook ("fentry vfs_read"), "manual", or "section kprobe/vfs_read"
	Skip   string // why the program cannot be loaded on this kernel; empty when it was loaded
	Err    error  // the load failed
	Log    string // libbpf's messages about a failed load, the verifier's log among them
}

// Verify loads, one at a time, every program spec can use: each hook of each probe (a program
// offered for two targets is loaded once per target) and each manual program. The object's other
// programs stay out of the kernel, and nothing is attached. A hook the kernel lacks (no such
// function or tracepoint, no fentry support) is a Skip, not a failure; kprobe programs load even
// on kernels without kprobes, so they are always tried.
func Verify(spec Spec) []Result {
	setupLogging()
	var out []Result
	seen := map[Hook]bool{}
	for _, p := range spec.Probes {
		for _, h := range p.Hooks {
			if seen[h] {
				continue
			}
			seen[h] = true
			r := Result{Object: spec.Object, Prog: h.Prog, Via: h.String()}
			switch {
			case h.Kind == Uprobe:
				r.Log, r.Err = loadAlone(spec, nil, []string{h.Prog})
			case h.Kind == Kprobe || h.Kind == Kretprobe:
				r.Log, r.Err = loadAlone(spec, map[string]Hook{p.What: h}, nil)
			default:
				if r.Skip = availability(h); r.Skip == "" {
					r.Log, r.Err = loadAlone(spec, map[string]Hook{p.What: h}, nil)
				}
			}
			out = append(out, r)
		}
	}
	for _, prog := range spec.Manual {
		r := Result{Object: spec.Object, Prog: prog, Via: "manual"}
		r.Log, r.Err = loadAlone(spec, nil, []string{prog})
		out = append(out, r)
	}
	return out
}

// VerifySections loads, one at a time, the programs of object that done does not name, by what
// their ELF section declares: a kprobe, tracepoint or perf_event program needs nothing more, an
// fentry, fexit or tp_btf program needs its target in the section name ("fentry/vfs_read").
// These are programs no tool used with its default flags; rodata keeps its compiled defaults.
func VerifySections(object string, done map[string]bool) []Result {
	setupLogging()
	progs, err := sections(object)
	if err != nil {
		return []Result{{Object: object, Prog: "*", Via: "open", Err: err}}
	}
	var out []Result
	for _, p := range progs {
		if done[p.name] {
			continue
		}
		r := Result{Object: object, Prog: p.name, Via: "section " + p.section}
		if r.Skip = sectionAvailability(p.section); r.Skip == "" {
			r.Log, r.Err = loadAlone(Spec{Object: object}, nil, []string{p.name})
		}
		out = append(out, r)
	}
	return out
}

// InternalSpecs describes the objects the tracer loads for itself.
func InternalSpecs() []Spec {
	return []Spec{{
		Object: "fentry_probe",
		Probes: []Probe{{What: "fentry support", Hooks: []Hook{{Prog: "fentry_probe", Kind: Fentry, Target: "vfs_read"}}}},
	}}
}

type progSection struct{ name, section string }

func sections(object string) ([]progSection, error) {
	obj, err := bpfobj.Get(object)
	if err != nil {
		return nil, err
	}
	mod, err := bpf.NewModuleFromBufferArgs(bpf.NewModuleArgs{BPFObjBuff: obj, BPFObjName: object, SkipMemlockBump: true})
	if err != nil {
		return nil, fmt.Errorf("open BPF object %s: %w", object, err)
	}
	defer mod.Close()
	var out []progSection
	it := mod.Iterator()
	for prog := it.NextProgram(); prog != nil; prog = it.NextProgram() {
		out = append(out, progSection{prog.Name(), prog.SectionName()})
	}
	return out, nil
}

// sectionAvailability is availability for a program known only by its section name.
func sectionAvailability(section string) string {
	kind, target, _ := strings.Cut(section, "/")
	switch kind {
	case "fentry", "fexit", "fmod_ret", "fentry.s", "fexit.s", "tp_btf":
		if target == "" {
			return "the section names no attach target and no tool uses the program with default flags"
		}
		if kind == "tp_btf" {
			return anyTracepoint(target)
		}
		return fentryAvailability(target)
	case "tracepoint", "tp":
		cat, name, _ := strings.Cut(target, "/")
		return tracepointAvailability(Tracepoint, cat, name)
	case "raw_tp", "raw_tracepoint", "raw_tp.w", "raw_tracepoint.w":
		if target != "" {
			return anyTracepoint(target)
		}
	}
	return ""
}

func anyTracepoint(name string) string {
	if m, _ := filepath.Glob(filepath.Join(TraceFS, "events", "*", name, "format")); len(m) > 0 {
		return ""
	}
	if traceFSUnreadable() != "" {
		return btfTracepointAvailability(name, name)
	}
	return fmt.Sprintf("kernel has no tracepoint %s", name)
}

// loadAlone loads spec's object with only the program a hook chose, or only the manual programs,
// and returns libbpf's messages when the kernel refuses it.
func loadAlone(spec Spec, chosen map[string]Hook, manual []string) (string, error) {
	obj, err := bpfobj.Get(spec.Object)
	if err != nil {
		return "", err
	}
	var log strings.Builder
	logSink.Store(&log)
	defer logSink.Store(nil)
	if chosen == nil {
		chosen = map[string]Hook{}
	}
	// Verified as Open loads it: relocated against a minimal BTF where Open would use one.
	btfFile, btfPath := minimalBTF(spec.Object, obj, chosen, Options{})
	if btfFile != nil {
		defer btfFile.Close()
	}
	mod, err := bpf.NewModuleFromBufferArgs(bpf.NewModuleArgs{BPFObjBuff: obj, BPFObjName: spec.Object, BTFObjPath: btfPath, SkipMemlockBump: true})
	if err != nil {
		return log.String(), fmt.Errorf("open BPF object %s: %w", spec.Object, err)
	}
	defer mod.Close()
	t := &Tracer{Module: mod, chosen: chosen}
	spec.Manual = manual
	if err := t.configure(spec); err != nil {
		return log.String(), err
	}
	if err := mod.BPFLoadObject(); err != nil {
		sinkMu.Lock()
		defer sinkMu.Unlock()
		return log.String(), err
	}
	return "", nil
}
