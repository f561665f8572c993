package runqlen

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/bpfutils/bpfutils/pkg/render"
)

// TestOccupancyMatchesCFormat holds -O's lines to libbpf-tools' printf formats and its single
// precision arithmetic.
func TestOccupancyMatchesCFormat(t *testing.T) {
	rows := []occupancy{{0, 198, 2}, {1, 199, 199}, {12, 0, 0}, {123, 3, 1}, {7, 1 << 20, 12345}}
	for _, perCPU := range []bool{false, true} {
		var got, want bytes.Buffer
		out := render.NewSink("runqlen", render.FormatText, &got, io.Discard)
		p := occupancyRecords(&config{PerCPU: perCPU}).To(out)
		for _, o := range rows {
			p.Write(&o)
			occ := float32(o.queued) * 1.0 / float32(max(o.samples, 1))
			if perCPU {
				fmt.Fprintf(&want, "runqocc, CPU %-3d %6.2f%%\n", o.cpu, 100*occ)
			} else {
				fmt.Fprintf(&want, "runqocc: %0.2f%%\n", 100*occ)
			}
		}
		out.Flush()
		if got.String() != want.String() {
			t.Errorf("perCPU=%v:\ngot:\n%s\nwant:\n%s", perCPU, got.String(), want.String())
		}
	}
}

func TestOccupancyJSON(t *testing.T) {
	for _, tc := range []struct {
		perCPU bool
		want   string
	}{
		{false, `{"type":"table","tool":"runqlen","time":"2026-12-06T05:00:00Z","occupancy_pct":25,"samples":200,"queued":50}`},
		{true, `{"type":"table","tool":"runqlen","time":"2026-12-06T05:00:00Z","cpu":1,"occupancy_pct":25,"samples":200,"queued":50}`},
	} {
		var got bytes.Buffer
		out := render.NewSink("runqlen", render.FormatJSON, &got, io.Discard)
		out.Now = func() time.Time { return time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC) }
		occupancyRecords(&config{PerCPU: tc.perCPU}).To(out).Write(&occupancy{1, 200, 50})
		out.Flush()
		if strings.TrimSpace(got.String()) != tc.want {
			t.Errorf("perCPU=%v:\ngot  %s\nwant %s", tc.perCPU, got.String(), tc.want)
		}
	}
}
