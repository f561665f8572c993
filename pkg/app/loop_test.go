package app

import (
	"math"
	"testing"
	"time"
)

func TestSeconds(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want time.Duration
	}{
		{1, time.Second},
		{99999998, 99999998 * time.Second},
		{99999999, Forever},
		{99999999999, Forever}, // would overflow time.Duration as n*time.Second
		{math.MaxInt, Forever},
	} {
		if got := seconds(tt.n); got != tt.want {
			t.Errorf("seconds(%d) = %v, want %v", tt.n, got, tt.want)
		}
	}
}
