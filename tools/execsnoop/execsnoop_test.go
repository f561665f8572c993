package execsnoop

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/bpfutils/bpfutils/pkg/render"
)

// rec builds what the BPF side sends: the fixed part, then the arguments in use.
func rec(e event, args ...string) []byte {
	var a []byte
	for _, s := range args {
		a = append(append(a, s...), 0)
	}
	e.ArgsSize = uint32(len(a))
	if e.ArgsCount == 0 {
		e.ArgsCount = int32(len(args))
	}
	hdr := unsafe.Slice((*byte)(unsafe.Pointer(&e)), argsOffset)
	return append(append([]byte{}, hdr...), a...)
}

func comm(s string) (c [16]byte) {
	copy(c[:], s)
	return c
}

var clock = time.Date(2026, 1, 2, 15, 4, 5, 0, time.Local)

// render1 renders recs through execsnoop's declarations as run does, header first.
func render1(t *testing.T, c *config, format render.Format, recs ...[]byte) string {
	t.Helper()
	var out bytes.Buffer
	sink := render.NewSink("execsnoop", format, &out, io.Discard)
	sink.Now = func() time.Time { return clock }
	r := records(c, sink.Now).To(sink)
	h := handler{c: c, recs: r, name: []byte(c.Name), line: []byte(c.Line), start: time.Now()}
	r.Header()
	for _, b := range recs {
		h.handle(b)
	}
	sink.Flush()
	return out.String()
}

func TestTextLayout(t *testing.T) {
	e := rec(event{Pid: 4242, Ppid: 1, Uid: 1000, Retval: 0, Comm: comm("true")}, "/bin/true", "a b", `q"t`)
	for _, tc := range []struct {
		c          config
		header     string
		rowPattern string // the row with the -t seconds replaced by SECS
	}{
		{config{MaxArgs: 20}, "PCOMM            PID    PPID   RET ARGS\n",
			fmt.Sprintf("%-16s %-6d %-6d %3d %s\n", "true", 4242, 1, 0, `/bin/true a b q"t`)},
		{config{MaxArgs: 20, Quote: true, PrintUID: true}, "UID    PCOMM            PID    PPID   RET ARGS\n",
			fmt.Sprintf("%-6d%-16s %-6d %-6d %3d %s\n", 1000, "true", 4242, 1, 0, `"/bin/true" "a b" "q\"t"`)},
		{config{MaxArgs: 20, Time: true, Timestamp: true, PrintUID: true},
			"TIME     TIME(s)  UID    PCOMM            PID    PPID   RET ARGS\n",
			fmt.Sprintf("%-8s SECS%-6d%-16s %-6d %-6d %3d %s\n", "15:04:05", 1000, "true", 4242, 1, 0, `/bin/true a b q"t`)},
	} {
		out := render1(t, &tc.c, render.FormatText, e)
		header, row, _ := strings.Cut(out, "\n")
		if header+"\n" != tc.header {
			t.Errorf("%+v: header %q, want %q", tc.c, header, tc.header)
		}
		if tc.c.Timestamp {
			// "%-8.3f": a few milliseconds since start.
			secs := row[9:17]
			if !strings.HasPrefix(secs, "0.0") || len(strings.TrimRight(secs, " ")) != 5 {
				t.Errorf("seconds %q", secs)
			}
			row = row[:9] + "SECS" + row[17:]
		}
		if row != tc.rowPattern {
			t.Errorf("%+v: row\n %q\nwant\n %q", tc.c, row, tc.rowPattern)
		}
	}
}

func TestFiltersAndTruncation(t *testing.T) {
	c := &config{MaxArgs: 2, Name: "ru", Line: "keep"}
	out := render1(t, c, render.FormatText,
		rec(event{Pid: 1, ArgsCount: 3, Comm: comm("true")}, "/bin/true", "keep"),
		rec(event{Pid: 2, Comm: comm("true")}, "/bin/true", "drop"),
		rec(event{Pid: 3, Comm: comm("false")}, "/bin/false", "keep"),
		rec(event{Pid: 4}, "x")[:10], // too short: dropped
	)
	rows := strings.Split(strings.TrimSuffix(out, "\n"), "\n")[1:]
	if len(rows) != 1 || !strings.HasSuffix(rows[0], " /bin/true keep ...") || !strings.Contains(rows[0], " 1 ") {
		t.Errorf("rows %q", rows)
	}
}

func TestJSON(t *testing.T) {
	c := &config{MaxArgs: 2, Timestamp: true, Time: true}
	out := render1(t, c, render.FormatJSON,
		rec(event{Pid: 7, Ppid: 6, Uid: 65534, Retval: -13, ArgsCount: 3, Comm: comm("sh")}, "/bin/sh", "a \"b\"\n", ""),
		rec(event{Pid: 8, Comm: comm("x")}, "/bin/x", "\xff"),
	)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines, got %q", out)
	}
	type jsonEvent struct {
		Type          string   `json:"type"`
		Comm          string   `json:"comm"`
		Pid           int64    `json:"pid"`
		Ppid          int64    `json:"ppid"`
		UID           int64    `json:"uid"`
		Ret           int64    `json:"ret"`
		Args          []string `json:"args"`
		ArgsB64       []string `json:"args_b64"`
		TimeS         *float64 `json:"time_s"`
		ArgsTruncated bool     `json:"args_truncated"`
	}
	var e jsonEvent
	dec := func(l string) {
		e = jsonEvent{}
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
	}
	dec(lines[0])
	if e.Type != "event" || e.Comm != "sh" || e.Pid != 7 || e.Ppid != 6 || e.UID != 65534 || e.Ret != -13 ||
		!e.ArgsTruncated || e.TimeS == nil || e.ArgsB64 != nil {
		t.Errorf("line %s", lines[0])
	}
	if want := []string{"/bin/sh", "a \"b\"\n", ""}; fmt.Sprint(e.Args) != fmt.Sprint(want) || len(e.Args) != 3 {
		t.Errorf("args %q, want %q", e.Args, want)
	}
	dec(lines[1])
	if e.ArgsTruncated || len(e.Args) != 2 || e.Args[1] != "\ufffd" || len(e.ArgsB64) != 2 || e.ArgsB64[1] != "/w==" {
		t.Errorf("line %s", lines[1])
	}
}

func TestWriteAllocatesNothing(t *testing.T) {
	e := rec(event{Pid: 1234, Ppid: 1, Comm: comm("bench")}, "/usr/bin/bench", "--flag", "value with spaces", "\xfe")
	for _, format := range []render.Format{render.FormatText, render.FormatJSON} {
		c := &config{MaxArgs: 20, Time: true, Timestamp: true, PrintUID: true, Quote: true}
		sink := render.NewSink("execsnoop", format, io.Discard, io.Discard)
		h := handler{c: c, recs: records(c, sink.Now).To(sink), start: time.Now()}
		h.handle(e)
		if n := testing.AllocsPerRun(1000, func() { h.handle(e) }); n != 0 {
			t.Errorf("format %d: %v allocations per exec", format, n)
		}
	}
}

func TestParseUser(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    uint32
		wantErr string
	}{
		{"0", 0, ""},
		{"1000", 1000, ""},
		{"root", 0, ""},
		{"-1", 0, "invalid UID"},
		{"4294967295", 0, "invalid UID"},
		{"no-such-user-bpfu", 0, `unknown user "no-such-user-bpfu"`},
	} {
		got, err := parseUser(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parseUser(%q) = %d, %v; want error %q", tc.in, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseUser(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}
