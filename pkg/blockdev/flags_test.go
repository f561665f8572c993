package blockdev

import "testing"

func TestFlagWords(t *testing.T) {
	const (
		sync     = 1 << 11
		meta     = 1 << 12
		idle     = 1 << 15
		fua      = 1 << 17
		preflush = 1 << 18
		rahead   = 1 << 19
		nowait   = 1 << 21
	)
	tests := []struct {
		flags uint32
		want  string
	}{
		{0, "Read"},
		{1, "Write"},
		{sync | 1, "Sync-Write"},
		{sync | idle | 1, "Idle-Sync-Write"},
		{preflush | fua | sync | 1, "PreFlush-FUA-Sync-Write"},
		{preflush | sync | 2, "PreFlush-Sync-Flush"},
		{rahead | meta, "ReadAhead-Metadata-Read"},
		{nowait | 3, "NoWait-Discard"},
		{9, "WriteZeroes"},
		{17, "ZoneReset"},
		{4, "Unknown"},
		{sync | 0xff, "Sync-Unknown"},
		{1<<24 | 1<<8 | 1, "Write"}, // flags biolatency has no word for
	}
	for _, tt := range tests {
		if got := FlagWords(tt.flags); got != tt.want {
			t.Errorf("FlagWords(%#x) = %q, want %q", tt.flags, got, tt.want)
		}
	}
}
