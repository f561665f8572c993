package opensnoop

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		in      []string
		want    flagFilter
		wantErr string
	}{
		{[]string{"O_WRONLY"}, flagFilter{any: unix.O_WRONLY}, ""},
		{[]string{"O_WRONLY", "O_RDWR"}, flagFilter{any: unix.O_WRONLY | unix.O_RDWR}, ""},
		{[]string{"O_CREAT,O_TRUNC"}, flagFilter{any: unix.O_CREAT | unix.O_TRUNC}, ""},
		{[]string{"O_RDONLY"}, flagFilter{rdonly: true}, ""},
		{[]string{"O_BOGUS"}, flagFilter{}, `invalid flag "O_BOGUS"`},
		{[]string{"WRONLY"}, flagFilter{}, `invalid flag "WRONLY"`},
		{[]string{""}, flagFilter{}, `invalid flag ""`},
	} {
		got, err := parseFlags(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parseFlags(%q) error %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseFlags(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func FuzzParseFlags(f *testing.F) {
	f.Add("O_WRONLY,O_RDWR")
	f.Add("O_RDONLY")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseFlags([]string{s})
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error on more than one line: %q", err)
			}
			return
		}
		if got.any == 0 && !got.rdonly && !strings.Contains(s, "O_LARGEFILE") {
			t.Fatalf("parseFlags(%q) accepted nothing", s)
		}
	})
}
