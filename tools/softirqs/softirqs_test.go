package softirqs

import (
	"math"
	"testing"
)

func TestChange(t *testing.T) {
	prev := [][]stat{
		{{Count: 1, Time: 10, Slots: [slots]uint32{3: 1}}, {Count: 5, Time: 50}},
		{{Count: 2, Slots: [slots]uint32{0: math.MaxUint32}}},
	}
	cur := [][]stat{
		{{Count: 4, Time: 40, Slots: [slots]uint32{3: 3}}, {Count: 6, Time: 70}},
		{{Count: 4, Slots: [slots]uint32{0: 1}}},
		{{Count: 7, Time: 1}},
	}
	got := change(prev, cur)
	if got[0].Count != 4 || got[0].Time != 50 || got[0].Slots[3] != 2 {
		t.Errorf("vector 0: %+v", got[0])
	}
	if got[1].Count != 2 || got[1].Slots[0] != 2 {
		t.Errorf("vector 1 (wrapped bucket): %+v", got[1])
	}
	if got[2].Count != 7 || got[2].Time != 1 {
		t.Errorf("vector 2 (first read): %+v", got[2])
	}
}
