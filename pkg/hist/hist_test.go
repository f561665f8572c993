package hist

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func golden(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func check(t *testing.T, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("output mismatch\ngot:\n%s\nwant:\n%s", got, want)
	}
}

func TestLog2(t *testing.T) {
	wide := make([]uint64, 36)
	copy(wide, []uint64{5, 0, 7, 1, 0, 3})
	wide[35] = 2

	tests := []struct {
		name  string
		vals  []uint64
		label string
		want  string
	}{
		{"usecs", []uint64{3, 12, 40, 160, 97, 8, 1, 0, 0, 2, 0, 0}, "usecs", golden(t, "log2_usecs.txt")},
		{"wide", wide, "nsecs", golden(t, "log2_wide.txt")},
		{"empty", nil, "x", ""},
		{"all zero", make([]uint64, 27), "x", ""},
		{"single", []uint64{0, 0, 1}, "x", "" +
			"     x                   : count    distribution\n" +
			"         0 -> 1          : 0        |                                        |\n" +
			"         2 -> 3          : 0        |                                        |\n" +
			"         4 -> 7          : 1        |****************************************|\n"},
		{"huge counts", []uint64{math.MaxUint64, math.MaxUint64 / 2}, "x", "" +
			"     x                   : count    distribution\n" +
			"         0 -> 1          : 18446744073709551615 |****************************************|\n" +
			"         2 -> 3          : 9223372036854775807 |*******************                     |\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			Log2(&b, tt.vals, tt.label)
			check(t, b.String(), tt.want)
		})
	}
}

// The BPF maps hand back uint32 slots too; they must print identically.
func TestLog2Uint32(t *testing.T) {
	type slot uint32
	var b strings.Builder
	Log2(&b, []slot{3, 12, 40, 160, 97, 8, 1, 0, 0, 2}, "usecs")
	check(t, b.String(), golden(t, "log2_usecs.txt"))
}

func TestLinear(t *testing.T) {
	tests := []struct {
		name       string
		vals       []uint32
		base, step int
		label      string
		want       string
	}{
		{"runqlen", []uint32{100, 20, 0, 5, 0}, 0, 1, "runqlen", golden(t, "linear_runqlen.txt")},
		{"empty", nil, 0, 1, "x", ""},
		{"all zero", []uint32{0, 0}, 0, 1, "x", ""},
		{"base and step", []uint32{0, 0, 4, 0, 1}, 100, 10, "msecs", "" +
			"     msecs         : count     distribution\n" +
			"        120        : 4        |****************************************|\n" +
			"        140        : 1        |**********                              |\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			Linear(&b, tt.vals, tt.base, tt.step, tt.label)
			check(t, b.String(), tt.want)
		})
	}
}

func TestSlot(t *testing.T) {
	tests := []struct {
		v    uint64
		want int
	}{
		{0, 0}, {1, 0}, {2, 1}, {3, 1}, {4, 2}, {7, 2}, {8, 3},
		{1023, 9}, {1024, 10}, {1<<32 - 1, 31}, {1 << 32, 32},
		{math.MaxUint64, 63},
	}
	for _, tt := range tests {
		if got := Slot(tt.v); got != tt.want {
			t.Errorf("Slot(%d) = %d, want %d", tt.v, got, tt.want)
		}
	}
}

// Every value must land in the slot whose printed range contains it.
func FuzzSlot(f *testing.F) {
	f.Add(uint64(0))
	f.Add(uint64(1023))
	f.Add(uint64(math.MaxUint64))
	f.Fuzz(func(t *testing.T, v uint64) {
		i := Slot(v)
		low := uint64(1) << i
		high := low<<1 - 1
		if i == 0 {
			low = 0
		}
		if v < low || v > high {
			t.Fatalf("Slot(%d) = %d, range %d..%d", v, i, low, high)
		}
	})
}
