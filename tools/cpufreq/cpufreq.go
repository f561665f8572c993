// Package cpufreq samples each CPU's clock frequency, system-wide and per process name.
package cpufreq

import (
	"cmp"
	"context"
	"fmt"
	"io"
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
	"github.com/bpfutils/bpfutils/pkg/hist"
	"github.com/bpfutils/bpfutils/pkg/perfevent"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

const stepMHz = 200

// hkey mirrors struct cpufreq_key in bpf/cpufreq.h.
type hkey struct{ Comm [16]byte }

// histogram mirrors struct cpufreq_hist.
type histogram struct{ Slots [26]uint32 }

// sysfsCPU is where the CPUs' current frequencies are read at start. BPFUTILS_CPUFREQ_SYSFS
// points it at a copy, so tests can run the sampling on machines without frequency scaling.
var sysfsCPU = "/sys/devices/system/cpu"

var Tool = app.Tool{
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
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "duration", Aliases: []string{"d"}, Usage: "Duration to sample in seconds"},
		&cli.StringFlag{Name: "frequency", Aliases: []string{"f"}, Value: "99", Usage: "Sample with a certain frequency"},
		&cli.StringFlag{Name: "cgroup", Aliases: []string{"c"}, Usage: "Trace process in cgroup path"},
	},
	Action: run,
}

func run(c *cli.Context) error {
	if c.NArg() > 0 {
		return app.Usagef("unrecognized positional argument: %s", c.Args().First())
	}
	duration := app.Forever
	if c.IsSet("duration") {
		n, err := strconv.ParseUint(c.String("duration"), 10, 31)
		if err != nil || n == 0 {
			return app.Usagef("Invalid duration: %s", c.String("duration"))
		}
		duration = time.Duration(n) * time.Second
	}
	freq, err := strconv.ParseUint(c.String("frequency"), 10, 31)
	if err != nil || freq == 0 {
		return app.Usagef("Invalid freq (in HZ): %s", c.String("frequency"))
	}
	if dir := os.Getenv("BPFUTILS_CPUFREQ_SYSFS"); dir != "" {
		sysfsCPU = dir
	}
	online, err := cpus.Online()
	if err != nil {
		return err
	}
	startMHz, err := currentMHz(online)
	if err != nil {
		return err
	}
	possible, err := cpus.Possible()
	if err != nil {
		return err
	}

	t, err := app.Start(tracer.Spec{
		Object:     "cpufreq",
		Probes:     []tracer.Probe{tracer.BTFTracepoint("CPU frequency changes", "cpu_frequency", "power:cpu_frequency")},
		Manual:     []string{"freq_sample"},
		MaxEntries: map[string]uint32{"cpu_mhz": uint32(possible[len(possible)-1] + 1)},
		Cgroup:     c.String("cgroup"),
	})
	if err != nil {
		return err
	}
	defer t.Close()
	mhzMap := t.Map("cpu_mhz")
	for cpu, mhz := range startMHz {
		key := uint32(cpu)
		if err := bpfmap.Update(mhzMap, &key, &mhz); err != nil {
			return err
		}
	}
	if err := perfevent.AttachCPUClock(t, "freq_sample", int(freq)); err != nil {
		return err
	}

	w := app.Output
	fmt.Fprintln(w, "Sampling CPU freq system-wide & by process. Ctrl-C to end.")
	w.Flush()
	// The tool's context ends on Ctrl-C.
	ctx, cancel := context.WithTimeout(c.Context, duration)
	defer cancel()
	<-ctx.Done()

	entries, err := bpfmap.Entries[hkey, histogram](t.Map("comm_hists"), false)
	if err != nil {
		return err
	}
	zero := uint32(0)
	syswide, _ := bpfmap.Lookup[histogram](t.Map("syswide"), &zero)
	fmt.Fprintln(w)
	report(w, entries, syswide)
	return w.Flush()
}

// report prints a histogram per process name, then the system-wide one.
func report(w io.Writer, comms []bpfmap.Entry[hkey, histogram], syswide histogram) {
	slices.SortFunc(comms, func(a, b bpfmap.Entry[hkey, histogram]) int {
		return cmp.Compare(filter.CommString(a.Key.Comm[:]), filter.CommString(b.Key.Comm[:]))
	})
	for _, e := range comms {
		hist.Linear(w, e.Value.Slots[:], 0, stepMHz, filter.CommString(e.Key.Comm[:]))
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	hist.Linear(w, syswide.Slots[:], 0, stepMHz, "syswide")
}

// currentMHz reads each online CPU's frequency as cpufreq reports it (kHz), in MHz.
func currentMHz(online []int) (map[int]uint32, error) {
	mhz := map[int]uint32{}
	for _, cpu := range online {
		path := filepath.Join(sysfsCPU, fmt.Sprintf("cpu%d", cpu), "cpufreq", "scaling_cur_freq")
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
