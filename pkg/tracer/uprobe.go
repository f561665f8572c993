package tracer

import (
	"errors"
	"fmt"

	bpf "github.com/aquasecurity/libbpfgo"
)

// AttachUprobe runs program prog (listed in Spec.Manual) at the entry of function symbol in the
// ELF file binary, or at its returns when ret is set, in process pid (-1: in every process that
// maps the file). The tracer owns the link.
func (t *Tracer) AttachUprobe(prog string, pid int, binary string, offset uint64, ret bool) error {
	p := t.Program(prog)
	attach := p.AttachUprobe
	if ret {
		attach = p.AttachURetprobe
	}
	var link *bpf.BPFLink
	err := attachManualQuietly(func() (err error) { link, err = attach(pid, binary, offset); return err })
	if err != nil {
		return fmt.Errorf("attach a uprobe to %s at %#x: %w", binary, offset, userProbeCause(err))
	}
	t.AddLink(link)
	return nil
}

// AttachUSDT runs program prog (SEC("usdt"), listed in Spec.Manual) at every site of the USDT
// probe provider:name in binary, in process pid (-1: every process).
func (t *Tracer) AttachUSDT(prog string, pid int, binary, provider, name string) error {
	var link *bpf.BPFLink
	err := attachManualQuietly(func() (err error) { link, err = t.Program(prog).AttachUSDT(pid, binary, provider, name); return err })
	if err != nil {
		return fmt.Errorf("attach to USDT probe %s:%s in %s: %w", provider, name, binary, userProbeCause(err))
	}
	t.AddLink(link)
	return nil
}

// rootCause strips libbpfgo's wrapping down to the errno, which names what went wrong.
func rootCause(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}
