package cpufreq

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/render"
)

func TestReport(t *testing.T) {
	var busy, idle, sys histogram
	busy.Slots[12], busy.Slots[15] = 40, 7 // 2400 and 3000 MHz
	idle.Slots[25] = 1                     // 5000 MHz and above
	sys.Slots[12], sys.Slots[15], sys.Slots[25] = 90, 7, 1
	comms := []bpfmap.Entry[hkey, histogram]{
		{Key: hkey{filter.Comm("worker")}, Value: busy},
		{Key: hkey{filter.Comm("a-very-long-comm")}, Value: idle},
		{Key: hkey{filter.Comm("empty")}},
	}
	var b strings.Builder
	out := render.NewSink("cpufreq", render.FormatText, &b, io.Discard)
	report(out, comms, sys)
	out.Flush()
	want, err := os.ReadFile("testdata/report.txt")
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestCurrentMHz(t *testing.T) {
	dir := t.TempDir()
	for cpu, khz := range map[string]string{"cpu0": "2400000\n", "cpu1": "800123\n", "cpu2": "fast\n"} {
		os.MkdirAll(filepath.Join(dir, cpu, "cpufreq"), 0o755)
		os.WriteFile(filepath.Join(dir, cpu, "cpufreq", "scaling_cur_freq"), []byte(khz), 0o644)
	}
	got, err := currentMHz(dir, []int{0, 1})
	if err != nil || got[0] != 2400 || got[1] != 800 {
		t.Errorf("currentMHz = %v, %v", got, err)
	}
	if _, err := currentMHz(dir, []int{2}); err == nil || !strings.Contains(err.Error(), `cannot parse`) {
		t.Errorf("bad value: %v", err)
	}
	_, err = currentMHz(dir, []int{3})
	want := "This tool depends on CPU Frequency Scaling (cannot read " + dir + "/cpu3/cpufreq/scaling_cur_freq: no such file or directory)"
	if err == nil || err.Error() != want {
		t.Errorf("missing sysfs: %v, want %s", err, want)
	}
}
