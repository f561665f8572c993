package cpus

import (
	"reflect"
	"testing"
)

func TestParseList(t *testing.T) {
	tests := []struct {
		in   string
		want []int
		bad  bool
	}{
		{"0\n", []int{0}, false},
		{"0-1\n", []int{0, 1}, false},
		{"0-3,5,7-8", []int{0, 1, 2, 3, 5, 7, 8}, false},
		{"", nil, false},
		{"\n", nil, false},
		{"3-1", nil, true},
		{"1,0", nil, true},
		{"0-1,1", nil, true},
		{"a", nil, true},
		{"0-", nil, true},
		{"-1", nil, true},
		{"+1", nil, true},
		{"0,,1", nil, true},
		{"99999", nil, true},
	}
	for _, tt := range tests {
		got, err := ParseList(tt.in)
		if (err != nil) != tt.bad {
			t.Errorf("ParseList(%q) error %v, want error %v", tt.in, err, tt.bad)
			continue
		}
		if !tt.bad && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseList(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func FuzzParseList(f *testing.F) {
	for _, s := range []string{"0", "0-1\n", "0-3,5,7-8", "3-1", "1,0", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cpus, err := ParseList(s)
		if err != nil {
			return
		}
		for i, c := range cpus {
			if c < 0 || c >= maxCPUs || (i > 0 && c <= cpus[i-1]) {
				t.Fatalf("ParseList(%q) = %v: not ascending CPU numbers", s, cpus)
			}
		}
	})
}
