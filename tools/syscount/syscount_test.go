package syscount

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/render"
)

func TestParseErrno(t *testing.T) {
	for in, want := range map[string]int32{
		"1": 1, "ENOENT": 2, "EBADF": 9, "EAGAIN": 11, "EWOULDBLOCK": 11, "EDEADLK": 35,
		"EDEADLOCK": 35, "ENOTSUP": 95, "EOPNOTSUPP": 95, "EHWPOISON": 133, "200": 200,
	} {
		if got, err := parseErrno(in); err != nil || got != want {
			t.Errorf("parseErrno(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"0", "-2", "enoent", "EFOO", "2x", "99999999999"} {
		if _, err := parseErrno(in); err == nil || !strings.Contains(err.Error(), "invalid errno") {
			t.Errorf("parseErrno(%q): %v", in, err)
		}
	}
}

// TestEvery: libbpf-tools reports every -i seconds until -d is reached (whole intervals), once
// at the end of -d, or once at Ctrl-C.
func TestEvery(t *testing.T) {
	for _, tc := range []struct {
		interval, duration int
		want               app.Every
	}{
		{0, 0, app.Every{Interval: app.Forever, Count: 1}},
		{2, 0, app.Every{Interval: 2 * time.Second, Count: -1}},
		{0, 5, app.Every{Interval: 5 * time.Second, Count: 1}},
		{2, 5, app.Every{Interval: 2 * time.Second, Count: 3}},
		{5, 5, app.Every{Interval: 5 * time.Second, Count: 1}},
	} {
		if got := every(&config{Interval: tc.interval, Duration: tc.duration}); got != tc.want {
			t.Errorf("-i %d -d %d: %+v, want %+v", tc.interval, tc.duration, got, tc.want)
		}
	}
}

func TestReportLayout(t *testing.T) {
	comm := func(s string) (c [16]byte) { copy(c[:], s); return }
	entries := func() []entry {
		return []entry{
			{Key: 0, Value: value{Count: 5, TotalNs: 9e6, Comm: comm("a")}},
			{Key: 110, Value: value{Count: 5000, TotalNs: 1500, Comm: comm("bbbbbbbbbbbbbbb")}},
			{Key: 999, Value: value{Count: 7, TotalNs: 1, Comm: comm("c")}},
		}
	}
	for _, tc := range []struct {
		c    config
		want string
	}{
		{config{Top: 10}, "SYSCALL                   COUNT\n" +
			"getppid                    5000\n[unknown: 999]                7\nread                          5\n\n"},
		{config{Top: 2, Latency: true}, "SYSCALL                   COUNT        TIME (us)\n" +
			"read                          5         9000.000\ngetppid                    5000            1.500\n\n"},
		{config{Top: 1, Latency: true, Milliseconds: true, Process: true}, "PID    COMM               COUNT        TIME (ms)\n" +
			"0      a                      5            9.000\n\n"},
		{config{Top: 1, Process: true}, "PID    COMM               COUNT\n" +
			"110    bbbbbbbbbbbbbbb     5000\n\n"},
	} {
		var out bytes.Buffer
		sink := render.NewSink("syscount", render.FormatText, &out, io.Discard)
		sink.Now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local) }
		report(sink, &tc.c, rows(&tc.c).To(sink), entries())
		sink.Flush()
		if want := "[03:04:05]\n" + tc.want; out.String() != want {
			t.Errorf("%+v:\n got %q\nwant %q", tc.c, out.String(), want)
		}
	}
	var out bytes.Buffer
	sink := render.NewSink("syscount", render.FormatText, &out, io.Discard)
	report(sink, &config{Top: 10}, rows(&config{}).To(sink), nil)
	if sink.Flush(); out.Len() != 0 {
		t.Errorf("an empty report printed %q", out.String())
	}
}
