// Package cpufreq samples each CPU's clock frequency, system-wide and per process name.
package cpufreq

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/cpus"
	"github.com/bpfutils/bpfutils/pkg/filter"
	"github.com/bpfutils/bpfutils/pkg/perfevent"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

const stepMHz = 200

// hkey mirrors struct cpufreq_key in bpf/cpufreq.h.
type hkey struct{ Comm [16]byte }

// histogram mirrors struct cpufreq_hist.
type histogram struct{ Slots [26]uint32 }

// config is cpufreq's command line.
type config struct {
	Duration time.Duration
	Freq     uint64
	Cgroup   string
	// CPUs is how many CPUs the machine can have (the highest possible number plus one), read
	// once the command line is parsed: it sizes the map of their frequencies.
	CPUs uint32
	// StartMHz is each online CPU's frequency when the command line was checked, read from
	// /sys/devices/system/cpu, or from BPFUTILS_CPUFREQ_SYSFS, a copy that lets tests sample on
	// machines without frequency scaling; NoScaling says why it could not be read.
	StartMHz  map[int]uint32
	NoScaling error
}

var Tool = app.Define(app.Def[config]{
	Name:   "cpufreq",
	Usage:  "Sampling CPU freq system-wide & by process. Ctrl-C to end.",
	Object: "cpufreq",
	Layouts: map[string]any{
		"cpufreq_key":  hkey{},
		"cpufreq_hist": histogram{},
	},
	Examples: `
    cpufreq         # sample CPU freq at 99HZ (default)
    cpufreq -d 5    # sample for 5 seconds only
    cpufreq -c CG   # Trace process under cgroupsPath CG
    cpufreq -f 199  # sample CPU freq at 199HZ`,
	Flags: func(c *config) []cli.Flag {
		c.Freq = 99
		return []cli.Flag{
			app.Value(&c.Duration, "duration d", "Duration to sample in seconds", parseDuration),
			app.Value(&c.Freq, "frequency f", "Sample with a certain frequency", parseFreq),
			app.Cgroup(&c.Cgroup, "cgroup c", "Trace process in cgroup path"),
		}
	},
	Check: func(c *config) error {
		possible, err := cpus.Possible()
		if err != nil {
			return err
		}
		c.CPUs = uint32(possible[len(possible)-1] + 1)
		online, err := cpus.Online()
		if err != nil {
			return err
		}
		sysfs := cmp.Or(os.Getenv("BPFUTILS_CPUFREQ_SYSFS"), "/sys/devices/system/cpu")
		// Not an error here: the options are fine, and --verify and the docs still read the
		// tool's spec and outputs on a machine without frequency scaling.
		c.StartMHz, c.NoScaling = currentMHz(sysfs, online)
		return nil
	},
	Spec: func(c *config) tracer.Spec {
		if c.NoScaling != nil {
			// Load no program: Run stops at once with NoScaling, as libbpf-tools does before loading.
			return tracer.Spec{}
		}
		return tracer.Spec{
			Probes:     []tracer.Probe{tracer.BTFTracepoint("CPU frequency changes", "cpu_frequency", "power:cpu_frequency")},
			Manual:     []string{"freq_sample"},
			MaxEntries: map[string]uint32{"cpu_mhz": c.CPUs},
			Cgroup:     c.Cgroup,
		}
	},
	Outputs: func(*config) []render.Describer { return []render.Describer{perComm, syswide} },
	Run:     run,
})

func parseDuration(s string) (time.Duration, error) {
	n, err := strconv.ParseUint(s, 10, 31)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("Invalid duration: %s", s)
	}
	return time.Duration(n) * time.Second, nil
}

func parseFreq(s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 31)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("Invalid freq (in HZ): %s", s)
	}
	return n, nil
}

// The histograms cpufreq reports: one per process name, then the system-wide one, both in
// linear slots of 200 MHz. In text a process's histogram is labelled with its name.
var (
	perComm = &render.Histograms{Unit: "MHz", Labels: []string{"comm"}, Linear: true, Step: stepMHz}
	syswide = &render.Histograms{Unit: "MHz", Axis: "syswide", Linear: true, Step: stepMHz}
)

func run(env *app.Env, c *config, t *tracer.Tracer) error {
	if c.NoScaling != nil {
		return c.NoScaling
	}
	mhzMap := t.Map("cpu_mhz")
	for cpu, mhz := range c.StartMHz {
		key := uint32(cpu)
		if err := bpfmap.Update(mhzMap, &key, &mhz); err != nil {
			return err
		}
	}
	if err := perfevent.AttachCPUClock(t, "freq_sample", int(c.Freq)); err != nil {
		return err
	}
	return app.ReportOnce(env, c.Duration, "Sampling CPU freq system-wide & by process. Ctrl-C to end.", func() error {
		entries, err := bpfmap.Entries[hkey, histogram](t.Map("comm_hists"), false)
		if err != nil {
			return err
		}
		zero := uint32(0)
		sys, _ := bpfmap.Lookup[histogram](t.Map("syswide"), &zero)
		env.Out.Printf("\n")
		report(env.Out, entries, sys)
		return nil
	})
}

// report renders a histogram per process name, then the system-wide one.
func report(out *render.Sink, comms []bpfmap.Entry[hkey, histogram], sys histogram) {
	slices.SortFunc(comms, func(a, b bpfmap.Entry[hkey, histogram]) int {
		return cmp.Compare(filter.CommString(a.Key.Comm[:]), filter.CommString(b.Key.Comm[:]))
	})
	for _, e := range comms {
		comm := filter.CommString(e.Key.Comm[:])
		d := *perComm
		d.Axis = comm
		out.Histogram(&d, &render.Hist{Labels: []string{comm}, Counts: render.Counts(e.Value.Slots[:])})
		out.Printf("\n")
	}
	out.Printf("\n")
	out.Histogram(syswide, &render.Hist{Counts: render.Counts(sys.Slots[:])})
}

// currentMHz reads each online CPU's frequency as cpufreq reports it (kHz) under sysfs, in MHz.
func currentMHz(sysfs string, online []int) (map[int]uint32, error) {
	mhz := map[int]uint32{}
	for _, cpu := range online {
		path := filepath.Join(sysfs, fmt.Sprintf("cpu%d", cpu), "cpufreq", "scaling_cur_freq")
		b, err := os.ReadFile(path)
		if err != nil {
			if pe, ok := err.(*os.PathError); ok {
				err = pe.Err
			}
			return nil, fmt.Errorf("This tool depends on CPU Frequency Scaling (cannot read %s: %v)", path, err)
		}
		khz, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32)
		if err != nil {
			return nil, fmt.Errorf("cannot parse %s: %q", path, strings.TrimSpace(string(b)))
		}
		mhz[cpu] = uint32(khz / 1000)
	}
	return mhz, nil
}
