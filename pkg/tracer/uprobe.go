package tracer

import (
	"errors"
	"fmt"
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
	link, err := attach(pid, binary, offset)
	if err != nil {
		return fmt.Errorf("attach a uprobe to %s at %#x: %w", binary, offset, rootCause(err))
	}
	t.AddLink(link)
	return nil
}

// AttachUSDT runs program prog (SEC("usdt"), listed in Spec.Manual) at every site of the USDT
// probe provider:name in binary, in process pid (-1: every process).
func (t *Tracer) AttachUSDT(prog string, pid int, binary, provider, name string) error {
	link, err := t.Program(prog).AttachUSDT(pid, binary, provider, name)
	if err != nil {
		return fmt.Errorf("attach to USDT probe %s:%s in %s: %w", provider, name, binary, rootCause(err))
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
