package tracer

import (
	"strings"
	"testing"
)

// Without kprobes (or without the function) the error names what is missing before anything
// is attached; the tracer is never touched then.
func TestAttachKprobeNamesWhatIsMissing(t *testing.T) {
	fn := "vfs_read"
	if KprobesSupported() {
		fn = "no_such_function_bpfutils"
	}
	var tr Tracer
	err := tr.AttachKprobe("prog", fn, true)
	if err == nil {
		t.Fatal("attached a kprobe that cannot be")
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "cannot trace returns of "+fn+": ") ||
		!strings.Contains(msg, "kernel has no kprobe support (CONFIG_KPROBES)") && !strings.Contains(msg, "kernel has no function "+fn) {
		t.Errorf("error %q", msg)
	}
	if len(tr.links) != 0 {
		t.Errorf("links %d", len(tr.links))
	}
}
