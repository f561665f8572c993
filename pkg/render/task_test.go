package render

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

// TestTaskKey: runqlat's and cpudist's captions as libbpf-tools prints them, and the labels JSON
// carries instead.
func TestTaskKey(t *testing.T) {
	counts := []uint64{0, 3}
	for _, tc := range []struct {
		key     TaskKey
		caption string
		labels  string
		json    string
	}{
		{"", "", "", `"unit":"usecs","buckets"`},
		{"pid", "\npid = 42 a b\n", "pid 42 comm a b", `"unit":"usecs","labels":{"pid":"42","comm":"a b"},"buckets"`},
		{"tid", "\ntid = 42 a b\n", "tid 42 comm a b", `"unit":"usecs","labels":{"tid":"42","comm":"a b"},"buckets"`},
		{"pidns", "\npidns = 4026531836 a b\n", "pidns 4026531836", `"unit":"usecs","labels":{"pidns":"4026531836"},"buckets"`},
	} {
		id := uint32(42)
		if tc.key == "pidns" {
			id = 4026531836
		}
		d := tc.key.Histograms("usecs")
		h := tc.key.Hist(NewSink("runqlat", FormatText, io.Discard, io.Discard), id, []byte("a b"), counts)
		var labels []string
		for i, l := range d.Labels {
			labels = append(labels, l, h.Labels[i])
		}
		if h.Caption != tc.caption || strings.Join(labels, " ") != tc.labels || len(d.Labels) != len(h.Labels) {
			t.Errorf("%q: caption %q, labels %q; want %q, %q", tc.key, h.Caption, labels, tc.caption, tc.labels)
		}
		var text, js bytes.Buffer
		out := NewSink("runqlat", FormatText, &text, io.Discard)
		out.Histogram(d, &h)
		out.Flush()
		if want := tc.caption + "     usecs               : count    distribution\n"; !strings.HasPrefix(text.String(), want) {
			t.Errorf("%q: text %q, want it to start with %q", tc.key, text.String(), want)
		}
		out = NewSink("runqlat", FormatJSON, &js, io.Discard)
		out.Now = func() time.Time { return time.Unix(0, 0).UTC() }
		out.Histogram(d, &h)
		out.Flush()
		if !strings.Contains(js.String(), tc.json) {
			t.Errorf("%q: JSON %s, want it to hold %s", tc.key, js.String(), tc.json)
		}
	}
}
