package javagc

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/render"
)

// TestLine: libbpf-tools' row, "%-8s %-7d %-7d %-7lld", the pause in microseconds; writing
// allocates nothing.
func TestLine(t *testing.T) {
	e := event{CPU: 1, Pid: 4242, DurationNs: 5_767_999}
	var out bytes.Buffer
	sink := render.NewSink("javagc", render.FormatText, &out, io.Discard)
	recs := records().To(sink)
	recs.Write(&e)
	sink.Flush()
	want := regexp.MustCompile(`^\d\d:\d\d:\d\d ` + regexp.QuoteMeta(fmt.Sprintf("%-7d %-7d %-7d\n", 1, 4242, 5767)) + `$`)
	if !want.MatchString(out.String()) {
		t.Errorf("got %q, want %s", out.String(), want)
	}
	if n := testing.AllocsPerRun(100, func() { recs.Write(&e) }); n != 0 {
		t.Errorf("%v allocations per line", n)
	}
}

func TestParseTime(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{{"0", 0, true}, {"100", 100, true}, {"-1", 0, false}, {"abc", 0, false}, {"18446744073709552", 0, false}} {
		got, err := parseTime(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseTime(%q) = %v, %v", tc.in, got, err)
		}
	}
}
