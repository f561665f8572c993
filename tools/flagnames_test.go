package tools

import (
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestFlagNames holds the audited tools to the option names of their libbpf-tools namesakes and,
// where BCC's Python tool spells a long option differently, to that spelling too: each group
// must name one flag, which takes a value exactly when the group says so. -v, -h and -V come
// from pkg/app.
func TestFlagNames(t *testing.T) {
	type group struct {
		names    string // space-separated; all must be one flag
		hasValue bool
	}
	const value, boolean = true, false
	want := map[string][]group{
		"biolatency": {
			{"T timestamp", boolean}, {"m milliseconds", boolean}, {"Q queued", boolean},
			{"D disk disks", boolean}, {"F flag flags", boolean}, {"d", value},
			{"e extension", boolean}, {"c cgroup", value},
		},
		"biosnoop": {
			{"Q queued queue", boolean}, {"d disk", value}, {"c cgroup", value},
			{"m min", value}, {"t timestamp", boolean}, {"P pattern", boolean},
		},
		"bitesize":   {{"T timestamp", boolean}, {"c comm", value}, {"d disk", value}},
		"biopattern": {{"T timestamp", boolean}, {"d disk", value}},
		"execsnoop": {
			{"T time", boolean}, {"t timestamp", boolean}, {"x fails", boolean}, {"u uid", value},
			{"q quote", boolean}, {"n name", value}, {"l line", value}, {"U print-uid", boolean},
			{"max-args", value}, {"c cgroup", value}, {"P ppid", value},
		},
		"exitsnoop": {
			{"t timestamp", boolean}, {"x failed", boolean}, {"p pid", value}, {"T threaded", boolean},
			{"c cgroup", value},
		},
		"sigsnoop": {
			{"x failed", boolean}, {"k kill", boolean}, {"p pid", value}, {"s signal", value}, {"n name", boolean},
		},
		"syscount": {
			{"p pid", value}, {"i interval", value}, {"d duration", value}, {"T top", value},
			{"c cgroup", value}, {"x failures", boolean}, {"L latency", boolean}, {"m milliseconds", boolean},
			{"P process", boolean}, {"e errno", value}, {"l list", boolean},
		},
		// Python's hardirqs/softirqs spell -d --dist and softirqs' -C --events.
		"hardirqs": {
			{"C CPU", boolean}, {"d distributed dist", boolean}, {"c cgroup", value}, {"s cpu", value},
			{"T timestamp", boolean}, {"N nanoseconds", boolean},
		},
		"llcstat": {{"c sample_period", value}, {"t tid", boolean}},
		"opensnoop": {
			{"d duration", value}, {"e extended-fields extended_fields", boolean}, {"n name", value},
			{"p pid", value}, {"t tid", value}, {"T timestamp", boolean}, {"u uid", value},
			{"U print-uid", boolean}, {"x failed", boolean}, {"c callers", boolean},
			{"F full-path", boolean}, {"f flag_filter", value},
		},
		"runqlat": {
			{"T timestamp", boolean}, {"m milliseconds", boolean}, {"pidnss", boolean},
			{"P pids", boolean}, {"L tids", boolean}, {"p pid", value}, {"c cgroup", value},
		},
		"runqlen": {
			{"C cpus", boolean}, {"f frequency", value}, {"O runqocc", boolean},
			{"T timestamp", boolean}, {"H host", boolean},
		},
		"runqslower": {{"p pid", value}, {"t tid", value}, {"c comm", value}, {"P previous", boolean}},
		// -I/--include-idle and -e/--extension are BCC's Python cpudist's.
		"cpudist": {
			{"O offcpu", boolean}, {"T timestamp", boolean}, {"m milliseconds", boolean}, {"c cgroup", value},
			{"P pids", boolean}, {"L tids", boolean}, {"p pid", value}, {"I include-idle", boolean},
			{"e extension", boolean},
		},
		"cpufreq": {{"d duration", value}, {"f frequency", value}, {"c cgroup", value}},
		"softirqs": {
			{"d distributed dist", boolean}, {"T timestamp", boolean}, {"N nanoseconds", boolean},
			{"C count events", boolean}, {"c cpu", value},
		},
		"softirqslower": {{"c cpu", value}},
		// -c/--count and -a/--annotations are BCC's Python profile's.
		"profile": {
			{"p pid", value}, {"L tid", value}, {"U user-stacks-only", boolean}, {"K kernel-stacks-only", boolean},
			{"F frequency", value}, {"d delimited", boolean}, {"I include-idle", boolean}, {"f folded", boolean},
			{"stack-storage-size", value}, {"C cpu", value}, {"perf-max-stack-depth", value},
			{"c count", value}, {"a annotations", boolean}, {"cgroup", value},
		},
		// -U, -K, -d, -f and -s/--offset are BCC's Python offcputime's.
		"offcputime": {
			{"p pid", value}, {"t tid", value}, {"u user-threads-only", boolean}, {"k kernel-threads-only", boolean},
			{"perf-max-stack-depth", value}, {"stack-storage-size", value}, {"m min-block-time", value},
			{"M max-block-time", value}, {"state", value}, {"U user-stacks-only", boolean},
			{"K kernel-stacks-only", boolean}, {"d delimited", boolean}, {"f folded", boolean}, {"s offset", boolean},
		},
		// -f/--folded is BCC's Python wakeuptime's.
		"wakeuptime": {
			{"p pid", value}, {"u user-threads-only", boolean}, {"perf-max-stack-depth", value},
			{"stack-storage-size", value}, {"m min-block-time", value}, {"M max-block-time", value},
			{"f folded", boolean},
		},
	}
	for _, tool := range All {
		groups, ok := want[tool.Name]
		if !ok {
			continue
		}
		byName := map[string]cli.Flag{}
		for _, f := range tool.Flags() {
			for _, n := range f.Names() {
				byName[n] = f
			}
		}
		for _, g := range groups {
			names := strings.Fields(g.names)
			first := byName[names[0]]
			for _, n := range names {
				f := byName[n]
				if f == nil {
					t.Errorf("%s: no option -%s", tool.Name, n)
					continue
				}
				if f != first {
					t.Errorf("%s: -%s and -%s are different options, want one", tool.Name, names[0], n)
				}
				if takes := f.(cli.DocGenerationFlag).TakesValue(); takes != g.hasValue {
					t.Errorf("%s: -%s takes a value: %v, want %v", tool.Name, n, takes, g.hasValue)
				}
			}
		}
		delete(want, tool.Name)
	}
	for name := range want {
		t.Errorf("tool %s is not registered", name)
	}
}
