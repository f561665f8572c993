package futexctn

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/stacks"
	"github.com/bpfutils/bpfutils/pkg/syms"
)

func TestParseLock(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
	}{
		{"0x8187bb8", 0x8187bb8}, {"8187bb8", 0x8187bb8}, {"0X7FEA1DD3DA10", 0x7fea1dd3da10},
		{"abc", 0}, {"0", 0}, {"0x1002", 0}, {"-1", 0}, {"0xzz", 0}, {"10000000000000000", 0},
	} {
		got, err := parseLock(tc.in)
		if got != tc.want || (err == nil) != (tc.want != 0) {
			t.Errorf("parseLock(%q) = %#x, %v; want %#x", tc.in, got, err, tc.want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "Invalid lock: ") {
			t.Errorf("parseLock(%q): %v", tc.in, err)
		}
	}
}

// TestCaption: the text above each histogram is libbpf-tools' sentence, then the user stack
// between "-" lines (none with -s); the comm is escaped.
func TestCaption(t *testing.T) {
	out := render.NewSink("futexctn", render.FormatText, io.Discard, io.Discard)
	h := hist{Contended: 3, Total: 30, Min: 5, Max: 20}
	r := contention{comm: []byte("w\x1bk"), key: key{ID: 42, Uaddr: 0x55d0c0de10e0}, hist: &h, unit: "usecs",
		user: stacks.Stack{State: stacks.Present, Frames: []syms.Symbol{{Name: "__lll_lock_wait", Known: true}, {Addr: 1}}}}
	const sentence = "\n\nw\\x1bk[42] lock 0x55d0c0de10e0 contended 3 times, 10 avg usecs [max: 20 usecs, min 5 usecs]\n"
	if got, want := caption(out, &config{}, &stacks.Style{}, &r), sentence+"    -\n    __lll_lock_wait\n    [unknown]\n    -\n"; got != want {
		t.Errorf("caption\n got %q\nwant %q", got, want)
	}
	if got := caption(out, &config{Summary: true}, &stacks.Style{}, &r); got != sentence {
		t.Errorf("-s caption %q", got)
	}
}

// TestJSONTable: a table line carries the entry's numbers and user frames; -s leaves out
// the thread and the stack.
func TestJSONTable(t *testing.T) {
	h := hist{Contended: 4, Total: 40, Min: 1, Max: 30}
	r := contention{comm: []byte("w"), key: key{ID: 42, Tgid: 40, Uaddr: 0x10e0, UserStackId: 7}, hist: &h, unit: "msecs",
		user: stacks.Stack{State: stacks.Present, Frames: []syms.Symbol{{Addr: 0x401000, Name: "lock_here", Known: true}}}}
	for _, tc := range []struct {
		c    config
		want string
	}{
		{config{}, `"comm":"w","pid":40,"tid":42,"lock":"0x10e0","stack_id":"7","unit":"msecs","count":4,"avg":10,"max":30,"min":1,"user":[{"address":"0x401000","symbol":"lock_here","offset":0}]}`},
		{config{Summary: true}, `"comm":"w","pid":40,"lock":"0x10e0","unit":"msecs","count":4,"avg":10,"max":30,"min":1}`},
	} {
		var buf bytes.Buffer
		out := render.NewSink("futexctn", render.FormatJSON, &buf, io.Discard)
		records(&tc.c).To(out).Write(&r)
		out.Flush()
		if !strings.HasSuffix(strings.TrimSpace(buf.String()), tc.want) || !strings.HasPrefix(buf.String(), `{"type":"table"`) {
			t.Errorf("%+v:\n got %s\nwant ...%s", tc.c, buf.String(), tc.want)
		}
	}
}
