package tests

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// slabReports splits slabratetop -C text into its reports: the rows under each header, as
// cache -> [allocs, bytes]; it checks every line's layout on the way.
func slabReports(t *testing.T, out string) []map[string][2]uint64 {
	t.Helper()
	var reports []map[string][2]uint64
	lines := strings.Split(out, "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case l == "":
		case strings.Contains(l, " loadavg: "):
			if _, err := fmt.Sscanf(l[:8], "%d:%d:%d", new(int), new(int), new(int)); err != nil || len(strings.Fields(l)) != 7 || lines[i+1] != "" {
				t.Errorf("bad report heading %q", l)
			}
		case l == "CACHE                            ALLOCS      BYTES":
			reports = append(reports, map[string][2]uint64{})
		default:
			f := fields(l)
			if len(reports) == 0 || len(f) != 3 || l != fmt.Sprintf("%-32s %6s %10s", f[0], f[1], f[2]) {
				t.Fatalf("bad row %q\n%s", l, out)
			}
			n, err1 := strconv.ParseUint(f[1], 10, 64)
			b, err2 := strconv.ParseUint(f[2], 10, 64)
			if err1 != nil || err2 != nil {
				t.Fatalf("bad row %q", l)
			}
			reports[len(reports)-1][f[0]] = [2]uint64{n, b}
		}
	}
	return reports
}

const slabOpens = 5000

func TestSlabratetop(t *testing.T) {
	l := startStackLoad(t, workloadName("bpfu-slab"), "open", strconv.Itoa(slabOpens), "/dev/null")
	p := start(t, "slabratetop", "-C", "-p", strconv.Itoa(l.pid), "-s", "count", "1")
	top := start(t, "slabratetop", "-C", "-r", "3", "-s", "name", "1")
	// A process that only sleeps meanwhile: -p must keep the workload's opens out of its view.
	idle := startStackLoad(t, workloadName("bpfu-slabi"), "sleep", "1000", "10")
	other := start(t, "slabratetop", "-C", "-p", strconv.Itoa(idle.pid), "1")
	idle.begin()
	l.work()
	for _, r := range slabReports(t, other.stop()) {
		if n := r["filp"][0]; n > slabOpens/10 {
			t.Errorf("-p %d (asleep): %d filp allocations, the workload's opens leaked in", idle.pid, n)
		}
	}
	out := p.stop()
	reports := slabReports(t, out)
	var filp, bytes uint64
	for _, r := range reports {
		filp += r["filp"][0]
		bytes += r["filp"][1]
	}
	// Every open(2) of the workload takes a struct file from the filp cache.
	if filp < slabOpens || bytes < filp*64 {
		t.Errorf("filp: %d allocations of %d bytes by pid %d, want at least %d opens\n%s", filp, bytes, l.pid, slabOpens, out)
	}
	// -s count: most allocations first.
	lines := strings.Split(out, "\n")
	for i := 1; i < len(lines); i++ {
		prev, cur := fields(lines[i-1]), fields(lines[i])
		if len(prev) == 3 && len(cur) == 3 && prev[0] != "CACHE" && cur[0] != "CACHE" {
			a, _ := strconv.ParseUint(prev[1], 10, 64)
			b, _ := strconv.ParseUint(cur[1], 10, 64)
			if a < b {
				t.Errorf("-s count: %q before %q", lines[i-1], lines[i])
			}
		}
	}

	out = top.stop()
	for _, r := range slabReports(t, out) {
		if len(r) > 3 {
			t.Errorf("-r 3: a report of %d rows", len(r))
		}
	}
	lines = strings.Split(out, "\n")
	for i := 1; i < len(lines); i++ {
		prev, cur := fields(lines[i-1]), fields(lines[i])
		if len(prev) == 3 && len(cur) == 3 && prev[0] != "CACHE" && strings.ToLower(prev[0]) > strings.ToLower(cur[0]) {
			t.Errorf("-s name: %q before %q", lines[i-1], lines[i])
		}
	}
}

// TestSlabratetopCount: with [interval] [count], the tool ends by itself after count reports,
// clearing the screen before each unless -C.
func TestSlabratetopCount(t *testing.T) {
	out, stderr, code := runTool(t, "slabratetop", "1", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := strings.Count(out, "\x1b[H\x1b[2J"); n != 2 {
		t.Errorf("want 2 screen clears, got %d", n)
	}
	if n := len(slabReports(t, strings.ReplaceAll(out, "\x1b[H\x1b[2J\x1b[3J", ""))); n != 2 {
		t.Errorf("want 2 reports, got %d\n%s", n, out)
	}
}

func TestSlabratetopJSON(t *testing.T) {
	l := startStackLoad(t, workloadName("bpfu-slabj"), "open", strconv.Itoa(slabOpens), "/dev/null")
	p := start(t, "slabratetop", "--json", "-p", strconv.Itoa(l.pid), "1")
	l.work()
	lines := jsonLines(t, "slabratetop", p.stop())
	var filp float64
	for _, r := range ofType(lines, "table") {
		if r.str("cache") == "" || r["allocs"] == nil || r["bytes"] == nil {
			t.Errorf("bad row %v", r)
		}
		if r.str("cache") == "filp" {
			filp += r.num("allocs")
		}
	}
	if filp < slabOpens {
		t.Errorf("filp: %.0f allocations by pid %d, want at least %d", filp, l.pid, slabOpens)
	}
	if strings.Contains(fmt.Sprint(lines), "loadavg") {
		t.Errorf("JSON carries the text heading")
	}
}

func TestSlabratetopBadInput(t *testing.T) {
	badInput(t, "slabratetop", "invalid PID", "-p", "0")
	badInput(t, "slabratetop", "invalid sort method: bytes", "-s", "bytes")
	badInput(t, "slabratetop", "invalid rows", "-r", "0")
	badInput(t, "slabratetop", "invalid rows", "-r", "many")
	badInput(t, "slabratetop", "interval", "0")
	badInput(t, "slabratetop", "count", "1", "-1")
	badInput(t, "slabratetop", "unrecognized positional argument", "1", "2", "3")
	badInput(t, "slabratetop", "flag provided but not defined", "--bogus")
}
