package cpudist

import (
	"testing"

	"github.com/bpfutils/bpfutils/pkg/render"
)

// TestOptions: -P and -L together are accepted and -P wins, as in libbpf-tools; -I (BCC's
// Python option) is accepted.
func TestOptions(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		groupBy int32
		labels  []string
	}{
		{nil, byNone, nil},
		{[]string{"-P", "-L"}, byProcess, []string{"pid", "comm"}},
		{[]string{"-LP"}, byProcess, []string{"pid", "comm"}},
		{[]string{"-L"}, byThread, []string{"tid", "comm"}},
		{[]string{"-I"}, byNone, nil},
		{[]string{"--include-idle", "-P"}, byProcess, []string{"pid", "comm"}},
	} {
		s, err := Tool.Spec(tc.args)
		if err != nil {
			t.Errorf("%v: %v", tc.args, err)
			continue
		}
		r := s.Rodata.(rodata)
		if r.GroupBy != tc.groupBy {
			t.Errorf("%v: group_by %d, want %d", tc.args, r.GroupBy, tc.groupBy)
		}
		outs, err := Tool.Outputs(tc.args)
		if err != nil {
			t.Fatal(err)
		}
		if got := outs[0].(*render.Histograms).Labels; len(got) != len(tc.labels) || (len(got) > 0 && got[0] != tc.labels[0]) {
			t.Errorf("%v: histogram labels %v, want %v", tc.args, got, tc.labels)
		}
	}
}
