package main

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
)

// Targets, from bcc's C libbpf-tools measured on this machine: startup 15-24 ms, peak RSS
// 2.9-3.6 MB, opensnoop storm 97.5% seen at about 3.2 us CPU per event.
const (
	targetStartupMS = 1.5 * 24 // within 1.5x of the C tools' slowest start
	targetRSSMiB    = 8
	targetCPUMS     = 3.2 // per 1,000 events: 3.2 us per event
	targetExitMS    = 20  // from SIGINT to exit, final output included
)

type results struct {
	Date        string `json:"date"`
	Kernel      string `json:"kernel"`
	CPUs        int    `json:"cpus"`
	LoadAvg     string `json:"loadavg_start"`
	LoadAvgEnd  string `json:"loadavg_end"`
	Binary      string `json:"binary"`
	BinaryBytes int64  `json:"binary_bytes"`
	// Sections are the binary's ELF sections by size (code, read-only data with the embedded
	// BPF objects, Go's function tables), what the kernel maps for every tool.
	Sections    map[string]int64 `json:"sections"`
	Reps        int              `json:"reps"`
	StartupRuns int              `json:"startup_runs"`
	Scale       float64          `json:"scale"`
	Tools       []toolResult     `json:"tools"`
	Skipped     []string         `json:"skipped,omitempty"`
	Soak        *soakResult      `json:"soak,omitempty"`
	MemoryFor   string           `json:"memory_for,omitempty"`
	CTools      string           `json:"c_tools,omitempty"`
	Memory      []memoryResult   `json:"memory,omitempty"`
	Contents    []sizeGroup      `json:"contents,omitempty"`
}

type toolResult struct {
	Tool      string   `json:"tool"`
	Args      []string `json:"args"`
	Storm     string   `json:"storm"`
	Generated int      `json:"generated"`
	Figures   []figure `json:"figures"`
	Notes     []string `json:"notes,omitempty"`
}

type figure struct {
	Name    string    `json:"name"`
	Unit    string    `json:"unit"`
	Samples []float64 `json:"samples"`
	Min     float64   `json:"min"`
	Median  float64   `json:"median"`
	Max     float64   `json:"max"`
	Target  string    `json:"target,omitempty"`
	Met     *bool     `json:"met,omitempty"`
}

// newFigure summarizes samples; a non-zero target holds the median to at most that.
func newFigure(name, unit string, samples []float64, target float64) figure {
	f := figure{Name: name, Unit: unit, Samples: samples}
	f.Min, f.Median, f.Max = summarize(samples)
	if target != 0 {
		f.Target = "≤ " + trim(target) + " (median)"
		ok := len(samples) > 0 && f.Median <= target
		f.Met = &ok
	}
	return f
}

// atMost holds every sample (the max) to limit.
func (f figure) atMost(limit float64) figure {
	f.Target = trim(limit) + " in every run"
	ok := len(f.Samples) > 0 && f.Max <= limit
	f.Met = &ok
	return f
}

// summarize returns min, median and max (NaN for no samples).
func summarize(x []float64) (lo, med, hi float64) {
	if len(x) == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	n := len(s)
	med = s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return s[0], med, s[n-1]
}

func trim(v float64) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case v == math.Trunc(v) && math.Abs(v) < 1e9:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func (r *results) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# bpfutils benchmark\n\n")
	fmt.Fprintf(&b, "%s, kernel %s, %d CPUs, load average %s at start and %s at end.\n",
		r.Date, r.Kernel, r.CPUs, r.LoadAvg, r.LoadAvgEnd)
	fmt.Fprintf(&b, "Startup: %d runs per tool; storms: %d repetitions", r.StartupRuns, r.Reps)
	if r.Scale != 1 {
		fmt.Fprintf(&b, ", sizes scaled by %g", r.Scale)
	}
	fmt.Fprintf(&b, ". Binary %s: %.2f MiB (%d bytes)", r.Binary, float64(r.BinaryBytes)/(1<<20), r.BinaryBytes)
	names := make([]string, 0, len(r.Sections))
	for n := range r.Sections {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return r.Sections[names[i]] > r.Sections[names[j]] })
	for i, n := range names {
		sep := ", "
		if i == 0 {
			sep = ": "
		}
		fmt.Fprintf(&b, "%s%s %.2f MiB", sep, n, float64(r.Sections[n])/(1<<20))
	}
	b.WriteString(".\n\n")
	b.WriteString("| tool | figure | unit | min | median | max | target | met |\n")
	b.WriteString("|---|---|---|---:|---:|---:|---|---|\n")
	for _, t := range r.Tools {
		for _, f := range t.Figures {
			met := ""
			if f.Met != nil {
				met = map[bool]string{true: "yes", false: "**no**"}[*f.Met]
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n",
				t.Tool, f.Name, f.Unit, trim(f.Min), trim(f.Median), trim(f.Max), f.Target, met)
		}
	}
	fmt.Fprintf(&b, "| bpfutils | static binary size | MiB | | %.2f | | | |\n", float64(r.BinaryBytes)/(1<<20))
	b.WriteString("\nStorms:\n")
	for _, t := range r.Tools {
		// A JSON run's label ends in --json, which its arguments hold too.
		cmdline := append([]string{strings.TrimSuffix(t.Tool, " --json")}, t.Args...)
		fmt.Fprintf(&b, "- %s: %s.", strings.Join(cmdline, " "), t.Storm)
		for _, n := range t.Notes {
			fmt.Fprintf(&b, " %s.", n)
		}
		b.WriteString("\n")
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(&b, "\nNot in this binary (skipped): %s.\n", strings.Join(r.Skipped, ", "))
	}
	b.WriteString("\nHow: startup is exec to the first line on stdout (the header, printed once attached); peak\n" +
		"RSS is VmHWM of the tool read just before it is stopped; CPU is the tool's scheduler runtime\n" +
		"(all threads) from just before the storm until all of it was printed, over every line it\n" +
		"printed (ms per 1,000 events = us per event); events seen are the lines of the workload's\n" +
		"unique comm (and path) on the tool's stdout, a pipe the bench reads as it comes. Targets come\n" +
		"from bcc's C libbpf-tools on this machine (startup 15-24 ms, peak RSS 2.9-3.6 MB, opensnoop\n" +
		"3.2 us per event). Program runs skipped by the kernel are the recursion_misses of the tool's\n" +
		"BPF programs (their fdinfo) over the storm: runs the kernel did not make because another\n" +
		"kprobe, tracepoint or perf_event program was running on that CPU; those events never reach\n" +
		"the tool's buffer, and only that counter tells of them.\n")
	contentsMarkdown(&b, r.Contents)
	memoryMarkdown(&b, r.Memory, r.MemoryFor, r.CTools)
	if r.Soak != nil {
		r.Soak.markdown(&b)
	}
	return b.String()
}

func (r *results) json() ([]byte, error) {
	// encoding/json refuses NaN: a figure without samples is written as null.
	type alias results
	b, err := json.MarshalIndent((*alias)(r), "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// MarshalJSON writes NaN summaries (no samples) as null.
func (f figure) MarshalJSON() ([]byte, error) {
	num := func(v float64) any {
		if math.IsNaN(v) {
			return nil
		}
		return math.Round(v*1000) / 1000
	}
	samples := make([]any, len(f.Samples))
	for i, v := range f.Samples {
		samples[i] = num(v)
	}
	return json.Marshal(struct {
		Name    string `json:"name"`
		Unit    string `json:"unit"`
		Samples []any  `json:"samples"`
		Min     any    `json:"min"`
		Median  any    `json:"median"`
		Max     any    `json:"max"`
		Target  string `json:"target,omitempty"`
		Met     *bool  `json:"met,omitempty"`
	}{f.Name, f.Unit, samples, num(f.Min), num(f.Median), num(f.Max), f.Target, f.Met})
}
