package app

import "testing"

func TestParseDuration(t *testing.T) {
	for _, bad := range []string{"0", "-1", "1.5", "x", "9223372037", "99999999999999999999"} {
		if _, err := parseDuration(bad); err == nil || err.Error() != "invalid DURATION: "+bad {
			t.Errorf("-d %s: %v", bad, err)
		}
	}
	if d, err := parseDuration("10"); err != nil || d.Seconds() != 10 {
		t.Errorf("-d 10: %v, %v", d, err)
	}
	if _, err := parseDuration("9223372036"); err != nil {
		t.Errorf("-d 9223372036 (the most a time.Duration holds): %v", err)
	}
}
