package tracer

import (
	"fmt"
	"os"

	bpf "github.com/aquasecurity/libbpfgo"
)

// AttachKprobe runs program prog (listed in Spec.Manual) at the entry of kernel function fn, or
// at its returns when ret is set: for tools that attach one program to functions the user
// names (ksnoop). A kernel without kprobes, or without fn, is named in the error.
func (t *Tracer) AttachKprobe(prog, fn string, ret bool) error {
	h := Hook{Prog: prog, Kind: Kprobe, Target: fn}
	what := "calls of " + fn
	if ret {
		h.Kind, what = Kretprobe, "returns of "+fn
	}
	if reason := availability(h); reason != "" {
		return fmt.Errorf("cannot trace %s: %s", what, reason)
	}
	p := t.Program(prog)
	attach := p.AttachKprobe
	if ret {
		attach = p.AttachKretprobe
	}
	var link *bpf.BPFLink
	err := attachManualQuietly(func() (err error) { link, err = attach(fn); return err })
	if err != nil {
		return fmt.Errorf("cannot trace %s: %s: %w", what, h, rootCause(err))
	}
	t.AddLink(link)
	// Tests read which hooks a run used from the hook log (reportHooks).
	if path := os.Getenv("BPFUTILS_HOOKLOG"); path != "" {
		if f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err == nil {
			fmt.Fprintf(f, "%s: %s via %s\n", prog, what, h)
			f.Close()
		}
	}
	return nil
}
