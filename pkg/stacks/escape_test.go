package stacks

import (
	"strings"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/syms"
)

// TestTextEscaped: comms, targets, symbol names and module paths of the traced system are
// escaped in every layout's text, written as they are under --raw, and exact in JSON.
func TestTextEscaped(t *testing.T) {
	const evil = "x\x1b[2J\ny"
	const shown = `x\x1b[2J\ny`
	user := usym("fn"+evil, 0x555555555100, 4, "/tmp/lib"+evil+".so", 0x1100)
	kernel := ksym("k"+evil, 0xffffffff8110a2b4, 0x254)
	e := Entry{Comm: "comm" + evil, Target: "target" + evil, PID: 7, Value: 3,
		User: Stack{State: Present, Frames: []syms.Symbol{user}}, Kernel: Stack{State: Present, Frames: []syms.Symbol{kernel}}}
	r := NewReaderFunc(fakeMap{}.lookup, nil)
	for _, style := range []Style{{}, {Verbose: true}, {Folded: true}, {Wakeup: true}, {Wakeup: true, Folded: true}} {
		for _, raw := range []bool{false, true} {
			style.Raw = raw
			text, _ := report(Output{ValueKey: "count"}, render.FormatText, style, r, []Entry{e})
			if raw {
				if !strings.Contains(text, "comm"+evil) {
					t.Errorf("%+v: the raw comm is missing from %q", style, text)
				}
				continue
			}
			if strings.ContainsAny(text, "\x1b") || strings.Count(text, shown) < 2 {
				t.Errorf("%+v: want each traced string escaped, got %q", style, text)
			}
			if !strings.Contains(text, "comm"+shown) {
				t.Errorf("%+v: comm missing from %q", style, text)
			}
			if style.Wakeup && !strings.Contains(text, "target"+shown) {
				t.Errorf("%+v: target missing from %q", style, text)
			}
			if style.Verbose && !strings.Contains(text, "/tmp/lib"+shown+".so") {
				t.Errorf("%+v: module path missing from %q", style, text)
			}
		}
	}
	js, _ := report(Output{ValueKey: "count"}, render.FormatJSON, Style{}, r, []Entry{e})
	for _, want := range []string{`"comm":"comm` + "x\\u001b[2J\\ny", `"symbol":"fnx\u001b[2J\ny"`} {
		if !strings.Contains(js, want) {
			t.Errorf("JSON %s lacks %s", js, want)
		}
	}
}

// TestTextEscapedUnderOutputRaw: the sink's --raw reaches the style.
func TestTextEscapedUnderOutputRaw(t *testing.T) {
	e := Entry{Comm: "a\nb", PID: 1, Value: 1, User: Stack{State: Present, Frames: []syms.Symbol{usym("f", 1, 0, "/x", 1)}}}
	var text strings.Builder
	sink := render.NewSink("profile", render.FormatText, &text, &text)
	sink.Raw = true
	(&Output{ValueKey: "count"}).Write(sink, &Style{}, &e)
	sink.Flush()
	if !strings.Contains(text.String(), " a\nb (1)\n") {
		t.Errorf("raw sink: %q", text.String())
	}
}
