package tests

import (
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

// Attach paths: make vmtest runs the tests once per family (BPFUTILS_ATTACH=fentry, kprobe,
// tracepoint) on kernels that have them all; start and runTool skip the tools a run does not
// concern and check the hooks the tools report through BPFUTILS_HOOKLOG.

// runFamily is the family of the whole run, as the test binary started; a test may still set
// BPFUTILS_ATTACH itself (t.Setenv) to force a kind such as raw_tp.
var runFamily = family(os.Getenv("BPFUTILS_ATTACH"))

// family is the family of a BPFUTILS_ATTACH value, which may name a family or a kind.
func family(attach string) string {
	if f := sectionFamily(attach); f != "" {
		return f
	}
	return attach
}

// objectFamilies lists the attach families (fentry, kprobe, tracepoint) the programs of the
// tool's object belong to, by their ELF sections; BPFUTILS_ATTACH names the same families.
func objectFamilies(tool string) map[string]bool {
	f, progs := objectProgs(tool)
	if f == nil {
		return nil
	}
	fams := map[string]bool{}
	for _, s := range progs {
		if int(s.Section) >= len(f.Sections) {
			continue
		}
		if fam := sectionFamily(f.Sections[s.Section].Name); fam != "" {
			fams[fam] = true
		}
	}
	return fams
}

// sectionFamily maps a libbpf section name (or a hook kind as `-v` prints it) to its family.
func sectionFamily(section string) string {
	kind, _, _ := strings.Cut(section, "/")
	switch strings.TrimSuffix(kind, ".s") {
	case "fentry", "fexit", "fmod_ret":
		return "fentry"
	case "kprobe", "kretprobe", "ksyscall", "kretsyscall", "kprobe.multi", "kretprobe.multi":
		return "kprobe"
	case "tracepoint", "tp", "tp_btf", "raw_tp", "raw_tracepoint", "raw_tp.w", "raw_tracepoint.w":
		return "tracepoint"
	}
	return ""
}

// skipOtherAttachPath skips a test of tool in a run under BPFUTILS_ATTACH=F when the tool's
// object has no program of family F: the run for one of its own families tests it. An object
// with none of the three families (perf events or uprobes only) is tested in the tracepoint run.
func skipOtherAttachPath(t *testing.T, tool string) {
	t.Helper()
	force := runFamily
	fams := objectFamilies(tool)
	if force == "" || fams == nil || fams[force] || (len(fams) == 0 && force == "tracepoint") {
		return
	}
	own := []string{"tracepoint"}
	if len(fams) > 0 {
		own = own[:0]
		for f := range fams {
			own = append(own, f)
		}
		sort.Strings(own)
	}
	t.Skipf("%s has no %s programs; it is tested with BPFUTILS_ATTACH=%s", tool, force, strings.Join(own, "|"))
}

// hookLog names a file in which the tool lists the hook each of its probes attached through.
func hookLog(t *testing.T) string {
	f, err := os.CreateTemp(t.TempDir(), "hooks-*.log")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	return f.Name()
}

// checkHooks logs the hooks a run of tool attached. Under BPFUTILS_ATTACH=F it also logs a
// "VMTEST-PATH tool F used|unused" line, from which make vmtest reports which tools' F paths ran.
// In a vmtest guest, whose kernel has every family, a tool that passed over its F hooks because
// the kernel refuses the family fails; hooks this kernel lacks the target of are only logged.
// (The host kernel lacks kprobe and fentry: there nothing fails.)
func checkHooks(t *testing.T, tool, path string) {
	t.Helper()
	data, _ := os.ReadFile(path)
	if len(data) == 0 {
		return // the tool did not get as far as attaching (bad input, early exit)
	}
	force := family(os.Getenv("BPFUTILS_ATTACH"))
	var used, forced, lacking, refused []string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		// "object: probe via KIND TARGET" or "object: probe passed over KIND TARGET (target|kernel): reason"
		_, probe, _ := strings.Cut(l, ": ")
		if _, over, ok := strings.Cut(l, " passed over "); ok {
			if sectionFamily(strings.Fields(over)[0]) != force {
				continue
			}
			hook, reason, _ := strings.Cut(over, ": ")
			hook, kernelWide := strings.CutSuffix(hook, " (kernel)")
			hook = strings.TrimSuffix(hook, " (target)")
			if kernelWide {
				refused = append(refused, hook+": "+reason)
			} else {
				lacking = append(lacking, hook+": "+reason)
			}
		} else if _, via, ok := strings.Cut(l, " via "); ok {
			used = append(used, probe)
			if sectionFamily(strings.Fields(via)[0]) == force {
				forced = append(forced, probe)
			}
		}
	}
	t.Logf("%s attached: %s", tool, strings.Join(used, "; "))
	if force == "" || !objectFamilies(tool)[force] {
		return
	}
	switch {
	case len(forced) > 0:
		t.Logf("VMTEST-PATH %s %s used", tool, force)
	case len(lacking)+len(refused) > 0:
		t.Logf("VMTEST-PATH %s %s unused: %s", tool, force, strings.Join(append(refused, lacking...), "; "))
	default:
		t.Logf("VMTEST-PATH %s %s unused: no probe of this run has %s hooks", tool, force, force)
	}
	if len(refused) > 0 && os.Getenv("BPFUTILS_VM") != "" {
		t.Errorf("BPFUTILS_ATTACH=%s on a kernel with every family, but %s was refused: %s", force, tool, strings.Join(refused, "; "))
	}
}

// need skips the test unless every program is installed: vmtest guests have busybox and
// coreutils only.
func need(t *testing.T, progs ...string) {
	t.Helper()
	for _, p := range progs {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("needs %s, which is not installed here", p)
		}
	}
}
