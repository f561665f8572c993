package blockdev

import "testing"

func TestRWBS(t *testing.T) {
	for _, tc := range []struct {
		flags uint32
		want  string
	}{
		{reqOpRead, "R"},
		{reqOpRead | reqRahead, "RA"},
		{reqOpRead | reqMeta | reqSync, "RSM"},
		{reqOpWrite, "W"},
		{reqOpWrite | reqSync, "WS"},
		{reqOpWrite | reqSync | reqFUA | reqPreflush, "FWFS"},
		{reqOpWriteSame, "W"},
		{reqOpFlush | reqPreflush, "FF"},
		{reqOpDiscard | reqSync, "DS"},
		{reqOpSecureErase, "DE"},
		{9 /* write zeroes */, "N"},
		{35 /* drv out */ | reqFUA | reqRahead | reqSync | reqMeta, "NFASM"},
	} {
		if got := string(AppendRWBS(nil, tc.flags)); got != tc.want {
			t.Errorf("flags %#x: %q, want %q", tc.flags, got, tc.want)
		}
	}
}
