package inet

import "testing"

// Without ports, FillPortSets leaves the sets alone: no tracer is needed.
func TestFillPortSetsNone(t *testing.T) {
	if err := FillPortSets(nil, nil, nil); err != nil {
		t.Errorf("FillPortSets(nil, nil, nil) = %v", err)
	}
}
