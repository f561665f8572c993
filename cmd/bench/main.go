// Command bench measures the bpfutils tools the way a user meets them: how long from exec until
// the tool is attached and printing, how much memory it holds at its peak, how much CPU it spends
// per event, and whether it shows every event of a storm it was asked to see. It runs each storm
// only for the tools that `bpfutils --list` names, writes a markdown table and a JSON file, and
// can run a long soak to check that memory stays flat.
//
// It needs root (the tools load BPF programs) and the built binary (make).
package main

import (
	"debug/elf"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

type config struct {
	bin         string
	out         string
	reps        int
	startupRuns int
	only        map[string]bool
	soak        time.Duration
	soakRate    int
	scale       float64
	cTools      string
	memoryRun   time.Duration
	noStorms    bool
	syms        string
	exitLimit   time.Duration
}

func main() {
	var c config
	var only string
	flag.StringVar(&c.bin, "bin", "./bpfutils", "the bpfutils binary to measure")
	flag.StringVar(&c.out, "out", "bench-results", "directory for results.md and results.json")
	flag.IntVar(&c.reps, "reps", 3, "repetitions of each storm")
	flag.IntVar(&c.startupRuns, "startup-runs", 10, "runs of each tool for the startup figure")
	flag.StringVar(&only, "tools", "", "comma-separated tools to measure (default: every tool with a storm)")
	flag.DurationVar(&c.soak, "soak", 0, "also run opensnoop (or execsnoop) this long under steady load and record RSS (e.g. 10m)")
	flag.IntVar(&c.soakRate, "soak-rate", 2000, "events per second during the soak")
	flag.Float64Var(&c.scale, "scale", 1, "multiply storm sizes (a quick look: 0.1)")
	flag.StringVar(&c.cTools, "c", "", "directory of bcc's C libbpf-tools binaries: memory side by side, with ratios")
	flag.DurationVar(&c.memoryRun, "memory-for", 3*time.Second, "how long each tool runs for the memory comparison (0: no comparison)")
	flag.BoolVar(&c.noStorms, "no-storms", false, "skip startup and storm figures (memory only)")
	flag.StringVar(&c.syms, "syms", "", "an unstripped build of the binary: what it carries, by package and library")
	flag.DurationVar(&c.exitLimit, "exit-limit", 30*time.Second, "how long a tool may take to exit after SIGINT in the memory comparison")
	flag.Func("tool-env", "VAR=VALUE in the tools' environment only (repeatable; e.g. GOGC=50)", func(v string) error {
		if !strings.Contains(v, "=") {
			return fmt.Errorf("want VAR=VALUE")
		}
		toolEnv = append(toolEnv, v)
		return nil
	})
	flag.Parse()
	if only != "" {
		c.only = map[string]bool{}
		for _, t := range strings.Split(only, ",") {
			c.only[strings.TrimSpace(t)] = true
		}
	}
	if err := run(c); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

func run(c config) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("must run as root: the tools load BPF programs")
	}
	if c.reps < 1 || c.startupRuns < 1 || c.scale <= 0 {
		return fmt.Errorf("-reps, -startup-runs and -scale must be positive")
	}
	bin, err := filepath.Abs(c.bin)
	if err != nil {
		return err
	}
	st, err := os.Stat(bin)
	if err != nil {
		return fmt.Errorf("binary %s: %v (run make first)", c.bin, err)
	}
	listed, err := listTools(bin)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "bpfutils-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	// Tools run through links named after them, as `bpfutils --install -s` makes them.
	links := map[string]string{}
	for _, t := range listed {
		links[t] = filepath.Join(work, t)
		if err := os.Symlink(bin, links[t]); err != nil {
			return err
		}
	}

	res := &results{
		Date:        time.Now().UTC().Format(time.RFC3339),
		Kernel:      kernelRelease(),
		CPUs:        runtime.NumCPU(),
		LoadAvg:     loadAvg(),
		Binary:      bin,
		BinaryBytes: st.Size(),
		Sections:    sectionSizes(bin),
		Reps:        c.reps,
		StartupRuns: c.startupRuns,
		Scale:       c.scale,
	}
	present := map[string]bool{}
	for _, t := range listed {
		present[t] = true
	}
	for _, s := range storms(c.scale) {
		if c.noStorms {
			break
		}
		if c.only != nil && !c.only[s.tool] {
			continue
		}
		if !present[s.tool] {
			// once, not again for the --json run
			if !slices.Contains(res.Skipped, s.tool) {
				res.Skipped = append(res.Skipped, s.tool)
				fmt.Fprintf(os.Stderr, "== %s: not in `bpfutils --list`, skipped\n", s.tool)
			}
			continue
		}
		tr, err := measureTool(c, s, links[s.tool], work)
		if err != nil {
			return fmt.Errorf("%s: %w", s.label(), err)
		}
		res.Tools = append(res.Tools, tr)
	}
	if c.syms != "" {
		contents, err := binaryContents(c.syms, filepath.Join(filepath.Dir(c.syms), "pkg", "bpfobj"))
		if err != nil {
			return err
		}
		res.Contents = contents
	}
	if c.memoryRun > 0 {
		res.MemoryFor = c.memoryRun.String()
		res.CTools = c.cTools
		res.Memory = measureMemory(c, listed, links)
	}
	if c.soak > 0 {
		if err := runSoak(c, res, present, links, work); err != nil {
			return fmt.Errorf("soak: %w", err)
		}
	}
	res.LoadAvgEnd = loadAvg()
	md := res.markdown()
	fmt.Print(md)
	if err := os.MkdirAll(c.out, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(c.out, "results.md"), []byte(md), 0o644); err != nil {
		return err
	}
	js, err := res.json()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(c.out, "results.json"), js, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s/results.md and %s/results.json\n", c.out, c.out)
	return nil
}

// runSoak soaks opensnoop, the choice, or execsnoop until opensnoop is in the binary
// (at a rate an exec loop can hold).
func runSoak(c config, res *results, present map[string]bool, links map[string]string, work string) error {
	byTool := map[string]storm{}
	for _, s := range storms(1) {
		if !s.json {
			byTool[s.tool] = s
		}
	}
	for _, tool := range []string{"opensnoop", "execsnoop"} {
		if !present[tool] {
			continue
		}
		rate := c.soakRate
		if tool == "execsnoop" {
			rate = min(rate, 200)
		}
		sr, err := soak(byTool[tool], links[tool], work, c.soak, rate)
		if err != nil {
			return err
		}
		res.Soak = sr
		return nil
	}
	return fmt.Errorf("neither opensnoop nor execsnoop is in the binary")
}

func listTools(bin string) ([]string, error) {
	out, err := exec.Command(bin, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --list: %v", bin, err)
	}
	return strings.Fields(string(out)), nil
}

func measureTool(c config, s storm, link, work string) (toolResult, error) {
	tr := toolResult{Tool: s.label(), Args: s.args, Storm: fmt.Sprintf(s.describe, s.events), Generated: s.events}
	fmt.Fprintf(os.Stderr, "== %s: startup x%d\n", s.label(), c.startupRuns)
	var startup, idleRSS, exitMS []float64
	for i := 0; i < c.startupRuns; i++ {
		d, hwm, exit, err := startupOnce(link, s.args)
		if err != nil {
			return tr, err
		}
		startup = append(startup, float64(d.Microseconds())/1000)
		idleRSS = append(idleRSS, float64(hwm)/1024)
		exitMS = append(exitMS, float64(exit.Microseconds())/1000)
	}
	var peak, anon, file, pss, cpu, seenPct, missed, unreported, lost, skipped, rate []float64
	for r := 1; r <= c.reps; r++ {
		fmt.Fprintf(os.Stderr, "== %s: storm %d/%d: %s\n", s.label(), r, c.reps, tr.Storm)
		sr, err := runStorm(s, link, work)
		if err != nil {
			return tr, err
		}
		fmt.Fprintf(os.Stderr, "   generated %d in %.2fs, seen %d (%.2f%%), lost reported %d, %d lines, cpu %.1fms, VmHWM %d kB, program runs skipped by the kernel %d\n",
			sr.generated, sr.workload.Seconds(), sr.seen, 100*float64(sr.seen)/float64(sr.generated),
			sr.lostReported, sr.processed, float64(sr.cpuNS)/1e6, sr.hwmKB, sr.kernelSkipped)
		peak = append(peak, float64(sr.hwmKB)/1024)
		anon = append(anon, float64(sr.anonKB)/1024)
		file = append(file, float64(sr.fileKB)/1024)
		pss = append(pss, float64(sr.pssKB)/1024)
		if sr.processed > 0 {
			// ms per 1,000 events is the same number as us per event
			cpu = append(cpu, float64(sr.cpuNS)/1000/float64(sr.processed))
		}
		seen := min(sr.seen, sr.generated)
		seenPct = append(seenPct, 100*float64(seen)/float64(sr.generated))
		missed = append(missed, float64(sr.generated-seen))
		unreported = append(unreported, float64(max(int64(sr.generated-seen)-sr.lostReported, 0)))
		lost = append(lost, float64(sr.lostReported))
		if sr.kernelSkipped >= 0 {
			skipped = append(skipped, float64(sr.kernelSkipped))
		}
		rate = append(rate, float64(sr.generated)/sr.workload.Seconds())
		if sr.note != "" {
			tr.Notes = appendOnce(tr.Notes, sr.note)
		}
	}
	tr.Figures = []figure{
		newFigure("startup (exec to first line)", "ms", startup, targetStartupMS),
		newFigure("RSS once attached (VmHWM)", "MiB", idleRSS, 0),
		newFigure("exit after SIGINT", "ms", exitMS, targetExitMS),
		newFigure("peak RSS during storm (VmHWM)", "MiB", peak, targetRSSMiB),
		newFigure("RSS at storm end: anonymous", "MiB", anon, 0),
		newFigure("RSS at storm end: file pages", "MiB", file, 0),
		newFigure("PSS at storm end", "MiB", pss, 0),
		newFigure("CPU per 1,000 events", "ms", cpu, targetCPUMS),
		newFigure("events seen", "%", seenPct, 0),
		newFigure("events missed", "", missed, 0).atMost(0),
		newFigure("missed and not reported lost", "", unreported, 0).atMost(0),
		newFigure("lost events reported", "", lost, 0),
		// Events the tool cannot know it missed unless it reads this counter itself.
		newFigure("program runs skipped by the kernel (recursion_misses)", "", skipped, 0),
		newFigure("storm rate generated", "ev/s", rate, 0),
	}
	return tr, nil
}

func appendOnce(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

func kernelRelease() string {
	b, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return strings.TrimSpace(string(b))
}

func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// sectionSizes lists the binary's allocated ELF sections of at least 64 KiB that are in the
// file (not .bss).
func sectionSizes(bin string) map[string]int64 {
	f, err := elf.Open(bin)
	if err != nil {
		return nil
	}
	defer f.Close()
	out := map[string]int64{}
	for _, s := range f.Sections {
		if s.Flags&elf.SHF_ALLOC != 0 && s.Type != elf.SHT_NOBITS && s.Size >= 64<<10 {
			out[s.Name] = int64(s.Size)
		}
	}
	return out
}
