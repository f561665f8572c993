package stacks

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/syms"
)

func TestHeader(t *testing.T) {
	for _, c := range []struct {
		what, how  string
		pids, tids []uint32
		duration   time.Duration
		want       string
	}{
		{"Sampling at 49 Hertz of", " by user + kernel", nil, nil, 0,
			"Sampling at 49 Hertz of all threads by user + kernel... Hit Ctrl-C to end."},
		{"Sampling at 99 Hertz of", " by user on CPU#0", []uint32{181, 7}, nil, 5 * time.Second,
			"Sampling at 99 Hertz of PID [181, 7] by user on CPU#0 for 5 secs."},
		{"Tracing off-CPU time (us) of", "", nil, []uint32{3}, app.Forever,
			"Tracing off-CPU time (us) of TID [3]... Hit Ctrl-C to end."},
		{"Tracing off-CPU time (us) of", "", []uint32{1}, []uint32{2}, time.Second,
			"Tracing off-CPU time (us) of PID [1] TID [2] for 1 secs."},
	} {
		if got := Header(c.what, c.pids, c.tids, c.how, c.duration); got != c.want {
			t.Errorf("Header = %q, want %q", got, c.want)
		}
	}
}

// report runs one Report of es (copied: Report merges in place) and returns stdout and stderr.
func report(o Output, format render.Format, style Style, r *Reader, es []Entry) (string, string) {
	var out, errb bytes.Buffer
	sink := render.NewSink("offcputime", format, &out, &errb)
	sink.Now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	if style.MissedTo != nil {
		style.MissedTo = sink.Stderr()
	}
	o.Report(sink, &style, r, append([]Entry(nil), es...))
	return out.String(), errb.String()
}

// A report adds up entries that print alike, orders them, and warns once about lost stacks;
// with offsets shown, and in JSON, entries at different addresses stay apart.
func TestReport(t *testing.T) {
	at := func(off uint64) syms.Symbol {
		return usym("sleep_here", 0x555555555100+off, off, "/tmp/stackload", 0x1100+off)
	}
	es := []Entry{
		{Comm: "sleeper", PID: 7, Value: 5, User: Stack{State: Present, Frames: []syms.Symbol{at(4)}}},
		{Comm: "sleeper", PID: 7, Value: 7, User: Stack{State: Present, Frames: []syms.Symbol{at(0x10)}}},
		{Comm: "sleeper", PID: 7, Value: 20, User: Stack{State: Missed}},
	}
	r := NewReaderFunc(fakeMap{}.lookup, nil)
	r.User(-17, 7) // one collision: the warning advises a larger map

	out, errOut := report(Output{ValueKey: "total_us"}, render.FormatText, Style{}, r, es)
	want := "    sleep_here\n    -                sleeper (7)\n        12\n\n" +
		"    [Missed User Stack]\n    -                sleeper (7)\n        20\n\n"
	if out != want {
		t.Errorf("merged text:\n%s\nwant:\n%s", out, want)
	}
	if want := "WARNING: 1 stack traces could not be displayed. Consider increasing --stack-storage-size.\n"; errOut != want {
		t.Errorf("stderr %q, want %q", errOut, want)
	}

	out, _ = report(Output{ValueKey: "total_us", LargestFirst: true}, render.FormatText, Style{Offsets: true}, r, es)
	want = "    [Missed User Stack]\n    -                sleeper (7)\n        20\n\n" +
		"    sleep_here+0x10\n    -                sleeper (7)\n        7\n\n" +
		"    sleep_here+0x4\n    -                sleeper (7)\n        5\n\n"
	if out != want {
		t.Errorf("-s text:\n%s\nwant:\n%s", out, want)
	}

	out, _ = report(Output{ValueKey: "total_us"}, render.FormatJSON, Style{Folded: true}, r, es)
	wantJSON := `{"type":"stack","tool":"offcputime","time":"2026-01-02T03:04:05Z","comm":"sleeper","pid":7,"total_us":5,"user":[{"address":"0x555555555104","symbol":"sleep_here","offset":4,"module":"/tmp/stackload"}]}
{"type":"stack","tool":"offcputime","time":"2026-01-02T03:04:05Z","comm":"sleeper","pid":7,"total_us":7,"user":[{"address":"0x555555555110","symbol":"sleep_here","offset":16,"module":"/tmp/stackload"}]}
{"type":"stack","tool":"offcputime","time":"2026-01-02T03:04:05Z","comm":"sleeper","pid":7,"total_us":20,"user":null,"user_missed":true}
`
	if out != wantJSON {
		t.Errorf("JSON (folded asked for: JSON wins):\n%s\nwant:\n%s", out, wantJSON)
	}
}

// The JSON of every shape of entry: both sides, one side, lost sides, unknown frames, kernel
// modules; each line valid JSON with the members Describe lists.
func TestJSON(t *testing.T) {
	es := append([]Entry(nil), entries...)
	es[0].Kernel.Frames = append(es[0].Kernel.Frames, syms.Symbol{Addr: 0xffffffffc0005000, Name: "nf_hook", Offset: 0x10, Known: true, Module: "nf_tables"})
	var out bytes.Buffer
	sink := render.NewSink("profile", render.FormatJSON, &out, &bytes.Buffer{})
	sink.Now = func() time.Time { return time.Unix(0, 0).UTC() }
	o := Output{ValueKey: "count"}
	for i := range es {
		o.Write(sink, &Style{}, &es[i])
	}
	sink.Flush()
	golden(t, "profile-json", out.String())
	checkShape(t, &o, out.String())
}

func TestJSONWakeups(t *testing.T) {
	var out bytes.Buffer
	sink := render.NewSink("wakeuptime", render.FormatJSON, &out, &bytes.Buffer{})
	sink.Now = func() time.Time { return time.Unix(0, 0).UTC() }
	o := Output{ValueKey: "total_us", Wakeups: true}
	for i := range wakeups {
		o.Write(sink, &Style{Wakeup: true}, &wakeups[i])
	}
	sink.Flush()
	golden(t, "wakeuptime-json", out.String())
	checkShape(t, &o, out.String())
}

// checkShape holds each JSON line to o.Describe: every member it has is described, and every
// described member but the stack sides (absent when not taken) is there.
func checkShape(t *testing.T, o *Output, out string) {
	t.Helper()
	described := map[string]bool{"type": true, "tool": true, "time": true}
	for _, f := range o.Describe().Fields {
		described[f.Key] = true
	}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, l)
		}
		for k := range m {
			if !described[k] && !strings.HasSuffix(k, "_missed") {
				t.Errorf("member %q not described: %s", k, l)
			}
		}
		for k := range described {
			if _, ok := m[k]; !ok && k != "user" && k != "kernel" {
				t.Errorf("described member %q missing: %s", k, l)
			}
		}
	}
}

// wakeups are wakeuptime's entries: the waker's kernel stack only.
var wakeups = []Entry{
	{Comm: "pinger", Target: "ponger", Value: 15230, Kernel: Stack{State: Present, Frames: []syms.Symbol{
		ksym("try_to_wake_up", 0xffffffff8110a2b4, 0x254),
		ksym("autoremove_wake_function", 0xffffffff8110a5e0, 0x10),
		ksym("", 0xffffffffc0001234, 0),
		ksym("pipe_write", 0xffffffff8131c7d2, 0x2a2),
	}}},
	{Comm: "swapper/1", Target: "sleepy", Value: 7, Kernel: Stack{State: Missed}},
}

func TestWakeupStyle(t *testing.T) {
	var multi, folded bytes.Buffer
	for i := range wakeups {
		(&Style{Wakeup: true}).Write(&multi, &wakeups[i])
		(&Style{Wakeup: true, Folded: true}).Write(&folded, &wakeups[i])
	}
	golden(t, "wakeuptime", multi.String())
	golden(t, "wakeuptime-f", folded.String())
}
