package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bpfutils/bpfutils/pkg/cpus"
)

const scalingCurFreq = "/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq"

// TestCpufreqNoScaling: without CPU frequency scaling in sysfs, one line says so and exit 1.
func TestCpufreqNoScaling(t *testing.T) {
	if _, err := os.Stat(scalingCurFreq); err == nil {
		t.Skip("this machine has CPU frequency scaling")
	}
	_, stderr, code := runTool(t, "cpufreq", "-d", "1")
	want := "cpufreq: This tool depends on CPU Frequency Scaling (cannot read " + scalingCurFreq + ": no such file or directory)\n"
	if code != 1 || stderr != want {
		t.Errorf("exit %d, stderr %q; want 1, %q", code, stderr, want)
	}
	badInput(t, "cpufreq", "This tool depends on CPU Frequency Scaling", "-f", "199")
}

// fakeCPUFreq gives every online CPU a frequency of mhz in a copy of the sysfs files cpufreq
// reads at start, for machines without frequency scaling.
func fakeCPUFreq(t *testing.T, mhz int) {
	t.Helper()
	online, err := cpus.Online()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, cpu := range online {
		d := filepath.Join(dir, fmt.Sprintf("cpu%d", cpu), "cpufreq")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "scaling_cur_freq"), []byte(fmt.Sprintf("%d\n", mhz*1000)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("BPFUTILS_CPUFREQ_SYSFS", dir)
}

// TestCpufreq: timer samples of a busy process land in its histogram and the system-wide one,
// at the frequency its CPU runs at; the run ends by itself after -d seconds.
func TestCpufreq(t *testing.T) {
	bucket := ""
	if _, err := os.Stat(scalingCurFreq); err != nil {
		fakeCPUFreq(t, 2450) // bucket 2400
		bucket = "2400"
	}
	name := workloadName("bpfu-freq")
	prog := copyExecutable(t, "/usr/bin/yes", name)
	p := start(t, "cpufreq", "-d", "2", "-f", "199", "-c", "/sys/fs/cgroup/unified")
	if line := strings.Split(p.Stdout(), "\n")[0]; line != "Sampling CPU freq system-wide & by process. Ctrl-C to end." {
		t.Fatalf("first line %q", line)
	}
	busy := exec.Command(prog)
	if err := busy.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	busy.Process.Kill()
	busy.Wait()
	out := p.wait(10 * time.Second)

	// "     bpfu-freq1234 : count     distribution" then rows "        2400       : 181      |***|"
	for _, label := range []string{name, "syswide"} {
		re := regexp.MustCompile(`(?m)^     ` + regexp.QuoteMeta(fmt.Sprintf("%-13s", label)) +
			` : count     distribution\n((?:        \d+ +: \d+ +\|[* ]{40}\|\n)+)`)
		m := re.FindStringSubmatch(out)
		if m == nil {
			t.Errorf("no histogram for %s in\n%s", label, out)
			continue
		}
		rows := regexp.MustCompile(`(?m)^        (\d+) +: (\d+) `).FindAllStringSubmatch(m[1], -1)
		var samples int
		for _, r := range rows {
			var n int
			fmt.Sscan(r[2], &n)
			samples += n
			if bucket != "" && r[1] != bucket {
				t.Errorf("%s: samples at %s MHz, every CPU runs at 2450", label, r[1])
			}
		}
		// A second of one busy CPU at 199 Hz is about 199 samples.
		if samples < 50 {
			t.Errorf("%s: %d samples in a busy second at 199 Hz\n%s", label, samples, out)
		}
	}
	if !strings.Contains(out, "\n\n\n     syswide ") {
		t.Errorf("the system-wide histogram is not set apart by an empty line\n%s", out)
	}
}

func TestCpufreqBadInput(t *testing.T) {
	fakeCPUFreq(t, 1000)
	badInput(t, "cpufreq", "Invalid duration: 0", "-d", "0")
	badInput(t, "cpufreq", "Invalid duration: soon", "--duration", "soon")
	badInput(t, "cpufreq", "Invalid freq (in HZ): 0", "-f", "0")
	badInput(t, "cpufreq", "unrecognized positional argument: 5", "5")
	badInput(t, "cpufreq", "flag provided but not defined", "--bogus")
	badInput(t, "cpufreq", "cgroup", "-c", "/nonexistent/cgroup")
}

// TestCpufreqJSON: the samples of a busy process as --json histograms, one labelled with its
// comm and the system-wide one without labels, in 200 MHz slots; a text run beside it counts
// about as many.
func TestCpufreqJSON(t *testing.T) {
	low := -1.0
	if _, err := os.Stat(scalingCurFreq); err != nil {
		fakeCPUFreq(t, 2450) // slot 2400 -> 2599
		low = 2400
	}
	name := workloadName("bpfu-frqj")
	prog := copyExecutable(t, "/usr/bin/yes", name)
	js := start(t, "cpufreq", "--json", "-d", "2", "-f", "199")
	text := start(t, "cpufreq", "-d", "2", "-f", "199")
	busy := exec.Command(prog)
	if err := busy.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	busy.Process.Kill()
	busy.Wait()
	lines := jsonLines(t, "cpufreq", js.wait(10*time.Second))
	out := text.wait(10 * time.Second)

	var comm, sys jsonLine
	for _, h := range ofType(lines, "histogram") {
		if h.str("unit") != "MHz" {
			t.Errorf("histogram %v: want unit MHz", h)
		}
		switch {
		case h["labels"] == nil && sys == nil:
			sys = h
		case h.label("comm") == name:
			comm = h
		case h.label("comm") == "":
			t.Errorf("histogram %v: want a comm label, or none for the one system-wide histogram", h)
		}
		for _, b := range h["buckets"].([]any) {
			m := b.(map[string]any)
			l, hi := m["low"].(float64), m["high"].(float64)
			if hi != l+199 || int(l)%200 != 0 || (low >= 0 && l != low) {
				t.Errorf("histogram %v: slot %v -> %v, want 200 MHz slots (every CPU at 2450 MHz)", h, l, hi)
			}
		}
	}
	if comm == nil || sys == nil {
		t.Fatalf("want a histogram for %s and a system-wide one, got %v", name, lines)
	}
	// A second of one busy CPU at 199 Hz is about 199 samples.
	if comm.bucketTotal() < 50 || sys.bucketTotal() < comm.bucketTotal() {
		t.Errorf("%s: %v samples, system-wide %v: want at least 50, and no fewer system-wide", name, comm.bucketTotal(), sys.bucketTotal())
	}
	m := regexp.MustCompile(`(?m)^     ` + regexp.QuoteMeta(fmt.Sprintf("%-13s", name)) + ` : count     distribution\n((?:        \d+ +: \d+ +\|[* ]{40}\|\n)+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no histogram for %s in\n%s", name, out)
	}
	var textSamples float64
	for _, r := range regexp.MustCompile(`(?m)^        \d+ +: (\d+) `).FindAllStringSubmatch(m[1], -1) {
		var n float64
		fmt.Sscan(r[1], &n)
		textSamples += n
	}
	t.Logf("%s: %v samples in JSON, %v in text", name, comm.bucketTotal(), textSamples)
	if textSamples < comm.bucketTotal()/2 || comm.bucketTotal() < textSamples/2 {
		t.Errorf("%s: %v samples in JSON, %v in text, over the same busy second", name, comm.bucketTotal(), textSamples)
	}
}
