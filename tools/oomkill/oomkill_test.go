package oomkill

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"testing"
	"time"

	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
)

func sampleEvent() *event {
	e := &event{Pages: 8192, Fpid: 100, Tpid: 200, Fcomm: filter.Comm("trigger"), Tcomm: filter.Comm("vic\x1btim"),
		CgKnown: 1, CgLevels: 2}
	copy(e.Cgroup[0][:], "leaf")
	copy(e.Cgroup[1][:], "parent")
	return e
}

// TestSentence holds the line to libbpf-tools' printf format, with the loadavg and without it,
// and the victim's memcg with --memcg; the traced comm is escaped.
func TestSentence(t *testing.T) {
	e := sampleEvent()
	clock := regexp.MustCompile(`^\d\d:\d\d:\d\d `)
	for _, tc := range []struct {
		memcg, load bool
		want        string
	}{
		{false, true, `Triggered by PID 100 ("trigger"), OOM kill of PID 200 ("vic\x1btim"), 8192 pages, loadavg: 0.10 0.20 0.30 1/2 3`},
		{false, false, `Triggered by PID 100 ("trigger"), OOM kill of PID 200 ("vic\x1btim"), 8192 pages`},
		{true, true, `Triggered by PID 100 ("trigger"), OOM kill of PID 200 ("vic\x1btim"), 8192 pages, memcg /parent/leaf, loadavg: 0.10 0.20 0.30 1/2 3`},
	} {
		var got bytes.Buffer
		out := render.NewSink("oomkill", render.FormatText, &got, io.Discard)
		recs := records(&config{Memcg: tc.memcg}).To(out)
		k := kill{e: e, victim: filter.CommBytes(e.Tcomm[:]), memcg: memcgPath(e), pages: e.Pages,
			loadavg: []byte("0.10 0.20 0.30 1/2 3"), hasLoad: tc.load}
		recs.Write(&k)
		out.Flush()
		line := got.String()
		if !clock.MatchString(line) || line[9:] != tc.want+"\n" {
			t.Errorf("memcg=%v load=%v:\ngot  %q\nwant %q", tc.memcg, tc.load, line, "HH:MM:SS "+tc.want+"\n")
		}
	}
}

func TestJSONLine(t *testing.T) {
	var got bytes.Buffer
	out := render.NewSink("oomkill", render.FormatJSON, &got, io.Discard)
	out.Now = func() time.Time { return time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC) }
	e := sampleEvent()
	k := kill{e: e, victim: filter.CommBytes(e.Tcomm[:]), memcg: memcgPath(e), pages: 8192, estimated: true,
		loadavg: []byte("0.10 0.20 0.30 1/2 3"), hasLoad: true}
	records(&config{}).To(out).Write(&k)
	out.Flush()
	want := `{"type":"event","tool":"oomkill","time":"2026-12-06T05:00:00Z","trigger_pid":100,"trigger_comm":"trigger",` +
		`"victim_pid":200,"victim_comm":"vic\u001btim","pages":8192,"pages_estimated":true,"memcg":"/parent/leaf",` +
		`"loadavg":"0.10 0.20 0.30 1/2 3"}` + "\n"
	if got.String() != want {
		t.Errorf("got  %s\nwant %s", got.String(), want)
	}
	if !json.Valid(got.Bytes()) {
		t.Errorf("not valid JSON: %s", got.String())
	}
}

func TestMemcgPath(t *testing.T) {
	e := &event{CgKnown: 1}
	if got := string(memcgPath(e)); got != "/" {
		t.Errorf("root: %q", got)
	}
	e.CgLevels, e.CgTruncated = cgLevels, 1
	for i := range cgLevels {
		copy(e.Cgroup[i][:], fmt.Sprint(cgLevels-i))
	}
	if got := string(memcgPath(e)); got != "/.../1/2/3/4/5/6/7/8" {
		t.Errorf("deep: %q", got)
	}
}

func TestEstimatePages(t *testing.T) {
	ram, swap := machinePages()
	if ram == 0 {
		t.Skip("no /proc/meminfo")
	}
	if got := estimatePages(noLimit); got != ram+swap {
		t.Errorf("no limit: %d, want %d", got, ram+swap)
	}
	if got := estimatePages(8192); got != 8192+swap {
		t.Errorf("limit of 8192 pages: %d, want %d", got, 8192+swap)
	}
}
