package execsnoop

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/bpfutils/bpfutils/pkg/render"
)

// TestTextEscaped: the comm and the arguments are escaped in text, with -q too, where an
// argument's quotemarks are \" and its other bytes escaped once, not twice; --raw prints
// libbpf-tools' own text with the bytes as they are.
func TestTextEscaped(t *testing.T) {
	const evilComm = "ev\x1b[2Jil\n"
	args := []string{"/bin/x", "a\x1b[2J\nb", `q"t\`, "\xff\tz"}
	all := rec(event{Pid: 9, Comm: comm(evilComm)}, args...)
	cut := rec(event{Pid: 9, Comm: comm(evilComm), ArgsCount: 3}, args[:2]...)
	for _, tc := range []struct {
		c        config
		raw      bool
		rec      []byte
		comm     string
		wantArgs string
	}{
		{config{MaxArgs: 20}, false, all, `ev\x1b[2Jil\n`, `/bin/x a\x1b[2J\nb q"t\\ \xff\tz`},
		{config{MaxArgs: 20, Quote: true}, false, all, `ev\x1b[2Jil\n`, `"/bin/x" "a\x1b[2J\nb" "q\"t\\" "\xff\tz"`},
		{config{MaxArgs: 2, Quote: true}, false, cut, `ev\x1b[2Jil\n`, `"/bin/x" "a\x1b[2J\nb" ...`},
		{config{MaxArgs: 20}, true, all, evilComm, "/bin/x a\x1b[2J\nb q\"t\\ \xff\tz"},
		// libbpf-tools' -q: quotemarks, tabs and newlines escaped, nothing else.
		{config{MaxArgs: 20, Quote: true}, true, all, evilComm, "\"/bin/x\" \"a\x1b[2J\\nb\" \"q\\\"t\\\" \"\xff\\tz\""},
	} {
		var out bytes.Buffer
		sink := render.NewSink("execsnoop", render.FormatText, &out, io.Discard)
		sink.Raw = tc.raw
		r := records(&tc.c, time.Now).To(sink)
		h := handler{c: &tc.c, recs: r, start: time.Now()}
		h.handle(tc.rec)
		sink.Flush()
		want := fmt.Sprintf("%-16s %-6d %-6d %3d %s\n", tc.comm, 9, 0, 0, tc.wantArgs)
		if got := out.String(); got != want {
			t.Errorf("%+v raw %v:\n got %q\nwant %q", tc.c, tc.raw, got, want)
		}
		if line := strings.TrimSuffix(out.String(), "\n"); !tc.raw && strings.ContainsAny(line, "\x1b\n\t\xff") {
			t.Errorf("%+v: control bytes in %q", tc.c, line)
		}
		if n := testing.AllocsPerRun(100, func() { h.handle(tc.rec) }); n != 0 {
			t.Errorf("%+v raw %v: %v allocations per exec", tc.c, tc.raw, n)
		}
	}
}
