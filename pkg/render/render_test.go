package render

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

type row struct {
	pid  uint32
	comm []byte
	lat  float64
	name string
	ret  int64
}

func testRecords(kind string) *Records[row] {
	return NewRecords(kind,
		Uint("PID", -6, "pid", func(r *row) uint64 { return uint64(r.pid) }),
		Text("COMM", -16, "comm", func(r *row) []byte { return r.comm }).Max(16),
		Int("RET", 3, "ret", func(r *row) int64 { return r.ret }),
		Float("LAT(ms)", 8, 3, "latency_ms", func(r *row) float64 { return r.lat }),
		Str("NAME", 0, "name", func(r *row) string { return r.name }),
	)
}

var rows = []row{
	{1, []byte("init"), 0.5, "a", 0},
	{4194304, []byte("a-much-longer-command-name"), 12345.678, "longer name", -2},
	{7, []byte("hello"), 1, "", 123},
}

// TestBytesNotCharacters: widths count bytes, as C's printf does, and a cut never splits a
// character.
func TestBytesNotCharacters(t *testing.T) {
	var got bytes.Buffer
	s := NewSink("demo", FormatText, &got, io.Discard)
	r := NewRecords(KindEvent,
		Text("A", -8, "a", func(r *row) []byte { return r.comm }).Max(6),
		Str("B", 4, "b", func(r *row) string { return r.name }),
	).To(s)
	r.Write(&row{comm: []byte("héllo"), name: "é"})
	r.Write(&row{comm: []byte("abcdeé"), name: "x"})
	s.Flush()
	if want := "héllo     é\nabcde       x\n"; got.String() != want {
		t.Errorf("got %q, want %q", got.String(), want)
	}
}

// TestRecordsText holds the declared columns to the printf formats they stand for.
func TestRecordsText(t *testing.T) {
	var got bytes.Buffer
	s := NewSink("demo", FormatText, &got, io.Discard)
	r := testRecords(KindEvent).To(s)
	r.Header()
	for i := range rows {
		r.Write(&rows[i])
	}
	s.Flush()
	var want strings.Builder
	fmt.Fprintf(&want, "%-6s %-16s %3s %8s %s\n", "PID", "COMM", "RET", "LAT(ms)", "NAME")
	for _, x := range rows {
		fmt.Fprintf(&want, "%-6d %-16.16s %3d %8.3f %s\n", x.pid, x.comm, x.ret, x.lat, x.name)
	}
	if got.String() != want.String() {
		t.Errorf("got\n%s\nwant\n%s", got.String(), want.String())
	}
}

func TestRecordsTightIfTextIf(t *testing.T) {
	var got bytes.Buffer
	s := NewSink("demo", FormatText, &got, io.Discard)
	r := NewRecords(KindEvent,
		Str("A", -3, "a", func(*row) string { return "x" }).Tight(),
		Str("B", 2, "b", func(*row) string { return "y" }),
		Str("C", 0, "c", func(*row) string { return "z" }).If(false),
		Str("D", 0, "d", func(*row) string { return "w" }).TextIf(false),
	).To(s)
	r.Header()
	r.Write(&row{})
	s.Flush()
	if want := "A   B\nx   y\n"; got.String() != want {
		t.Errorf("got %q, want %q", got.String(), want)
	}
	var fields []string
	for _, f := range r.Describe().Fields {
		fields = append(fields, f.Key)
	}
	if strings.Join(fields, ",") != "a,b,d" {
		t.Errorf("JSON fields %v, want a,b,d", fields)
	}
}

func TestRecordsJSON(t *testing.T) {
	var got bytes.Buffer
	s := NewSink("demo", FormatJSON, &got, io.Discard)
	s.Now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC) }
	r := testRecords(KindEvent).To(s)
	r.Header()
	r.Write(&rows[1])
	s.Flush()
	want := `{"type":"event","tool":"demo","time":"2026-01-02T03:04:05.000000006Z","pid":4194304,` +
		`"comm":"a-much-longer-command-name","ret":-2,"latency_ms":12345.678,"name":"longer name"}` + "\n"
	if got.String() != want {
		t.Errorf("got  %s\nwant %s", got.String(), want)
	}
}

func TestWriteDoesNotAllocate(t *testing.T) {
	for _, f := range []Format{FormatText, FormatJSON} {
		s := NewSink("demo", f, io.Discard, io.Discard)
		r := testRecords(KindEvent).To(s)
		if n := testing.AllocsPerRun(1000, func() { r.Write(&rows[1]) }); n != 0 {
			t.Errorf("format %d: %v allocations per record", f, n)
		}
	}
}

func TestHistogramJSONAndText(t *testing.T) {
	d := &Histograms{Unit: "usecs", Labels: []string{"disk"}}
	h := &Hist{Caption: "\ndisk = vda\n", Labels: []string{"vda"}, Counts: []uint64{1, 0, 3, 0}}
	var text, js bytes.Buffer
	ts := NewSink("demo", FormatText, &text, io.Discard)
	ts.Histogram(d, h)
	ts.Flush()
	if !strings.HasPrefix(text.String(), "\ndisk = vda\n     usecs               : count    distribution\n         0 -> 1          : 1 ") {
		t.Errorf("text histogram:\n%s", text.String())
	}
	s := NewSink("demo", FormatJSON, &js, io.Discard)
	s.Now = func() time.Time { return time.Unix(0, 0).UTC() }
	s.Histogram(d, h)
	s.Histogram(d, &Hist{Labels: []string{"vdb"}, Counts: []uint64{0, 0}}) // empty: no line
	s.Flush()
	want := `{"type":"histogram","tool":"demo","time":"1970-01-01T00:00:00Z","unit":"usecs","labels":{"disk":"vda"},` +
		`"buckets":[{"low":0,"high":1,"count":1},{"low":2,"high":3,"count":0},{"low":4,"high":7,"count":3}]}` + "\n"
	if js.String() != want {
		t.Errorf("got  %s\nwant %s", js.String(), want)
	}
	lin := &Histograms{Unit: "tasks", Linear: true, Base: 0, Step: 1}
	b := lin.Buckets(&Hist{Counts: []uint64{0, 5, 0, 2}})
	if fmt.Sprint(b) != "[{1 1 5} {3 3 2}]" {
		t.Errorf("linear buckets %v", b)
	}
}

// TestMetrics: histograms accumulate across reports, cumulative, with bounds in seconds.
func TestMetrics(t *testing.T) {
	d := &Histograms{Unit: "usecs", Labels: []string{"disk"}}
	s := NewSink("biolatency", FormatMetrics, io.Discard, io.Discard)
	s.Histogram(d, &Hist{Labels: []string{"vda"}, Counts: []uint64{1, 0, 3}})
	s.Histogram(d, &Hist{Labels: []string{"vda"}, Counts: []uint64{0, 2}})
	ms := s.Metrics()
	if len(ms) != 1 {
		t.Fatalf("%d series, want 1", len(ms))
	}
	m := ms[0]
	if m.Unit != "seconds" || m.Count != 6 || fmt.Sprint(m.Labels) != "[{disk vda}]" {
		t.Errorf("metric %+v", m)
	}
	var b bytes.Buffer
	WritePrometheus(&b, "bpfutils_biolatency", "Block I/O latency.", ms)
	want := `# HELP bpfutils_biolatency_seconds Block I/O latency.
# TYPE bpfutils_biolatency_seconds histogram
bpfutils_biolatency_seconds_bucket{disk="vda",le="1e-06"} 1
bpfutils_biolatency_seconds_bucket{disk="vda",le="3e-06"} 3
bpfutils_biolatency_seconds_bucket{disk="vda",le="7e-06"} 6
bpfutils_biolatency_seconds_bucket{disk="vda",le="+Inf"} 6
bpfutils_biolatency_seconds_count{disk="vda"} 6
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestLostAndStart(t *testing.T) {
	var out, errb bytes.Buffer
	s := NewSink("demo", FormatJSON, &out, &errb)
	s.Now = func() time.Time { return time.Unix(0, 0).UTC() }
	s.Start("Tracing... Hit Ctrl-C to end.")
	s.Lost(0, "nothing")
	s.Lost(3, "Lost 3 events!")
	s.Flush()
	want := `{"type":"start","tool":"demo","time":"1970-01-01T00:00:00Z","message":"Tracing... Hit Ctrl-C to end."}` + "\n" +
		`{"type":"lost","tool":"demo","time":"1970-01-01T00:00:00Z","count":3}` + "\n"
	if out.String() != want || errb.String() != "Lost 3 events!\n" {
		t.Errorf("stdout %q, stderr %q", out.String(), errb.String())
	}
}

// FuzzJSONText: whatever bytes a traced string holds, the line is valid JSON, and the bytes
// come back exactly: from the string when they are valid UTF-8, else from the _b64 member.
func FuzzJSONText(f *testing.F) {
	for _, s := range []string{"", "plain", "quote\" back\\slash", "\x00\x01\x1b[2J\n\r\t", "\xff\xfe", "é\u2028\u2029", "a\xc3"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var j JSON
		line := j.Reset().Open().Text("path", b).Str("name", string(b)).Close().Bytes()
		if !json.Valid(line) {
			t.Fatalf("invalid JSON for %q: %s", b, line)
		}
		var m map[string]string
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatal(err)
		}
		if utf8.Valid(b) {
			if m["path"] != string(b) {
				t.Fatalf("%q came back as %q", b, m["path"])
			}
			if _, ok := m["path_b64"]; ok {
				t.Fatalf("valid UTF-8 %q got a _b64 member", b)
			}
			return
		}
		raw, err := base64.StdEncoding.DecodeString(m["path_b64"])
		if err != nil || !bytes.Equal(raw, b) {
			t.Fatalf("%q: path_b64 %q gives %q", b, m["path_b64"], raw)
		}
	})
}
