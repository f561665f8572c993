package biopattern

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/bpfutils/bpfutils/pkg/render"
)

var clock = time.Date(2026, 1, 2, 15, 4, 5, 0, time.Local)

func rows(c *config, format render.Format, rs ...row) string {
	var out bytes.Buffer
	sink := render.NewSink("biopattern", format, &out, io.Discard)
	sink.Now = func() time.Time { return clock }
	recs := records(c, sink.Now).To(sink)
	recs.Header()
	for i := range rs {
		recs.Write(&rs[i])
	}
	sink.Flush()
	return out.String()
}

// TestText: header and rows in libbpf-tools' printf layout.
func TestText(t *testing.T) {
	r := row{disk: "vda", c: counter{Bytes: 4096 * 201, Sequential: 150, Random: 51}}
	want := fmt.Sprintf("%-7s %5s %5s %8s %10s\n", "DISK", "%RND", "%SEQ", "COUNT", "KBYTES") +
		fmt.Sprintf("%-7s %5d %5d %8d %10d\n", "vda", 51*100/201, 150*100/201, 201, 804)
	if got := rows(&config{}, render.FormatText, r); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	want = fmt.Sprintf("%-9s %-7s %5s %5s %8s %10s\n", "TIME", "DISK", "%RND", "%SEQ", "COUNT", "KBYTES") +
		fmt.Sprintf("%-9s %-7s %5d %5d %8d %10d\n", "15:04:05", "vda", 25, 74, 201, 804)
	if got := rows(&config{Timestamp: true}, render.FormatText, r); got != want {
		t.Errorf("-T: got\n%q\nwant\n%q", got, want)
	}
}

// TestJSON: a "table" line per row, with the exact counts and bytes next to the shares.
func TestJSON(t *testing.T) {
	out := rows(&config{Timestamp: true}, render.FormatJSON, row{disk: "sda", c: counter{Bytes: 1536, Sequential: 1, Random: 2}})
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	want := map[string]any{"type": "table", "disk": "sda", "random_pct": 66.0, "sequential_pct": 33.0,
		"random": 2.0, "sequential": 1.0, "count": 3.0, "bytes": 1536.0}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s: %v, want %v in %s", k, m[k], v, out)
		}
	}
	if len(m) != len(want)+2 { // and tool, time
		t.Errorf("members %v", m)
	}
}
