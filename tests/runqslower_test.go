package tests

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

func TestRunqslower(t *testing.T) {
	l := startSchedLoad(t, "bpfu-rqslow", "storm", "4", "3000", "200", "1000")
	byPid := start(t, "runqslower", "-p", strconv.Itoa(l.pid), "100")
	byTid := start(t, "runqslower", "-P", "-t", strconv.Itoa(l.tid), "100")
	byComm := startTPBTF(t, "runqslower", "-c", l.comm[:8], "100")
	l.work()
	tids := l.tids()

	out := byPid.stop()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if lines[0] != "Tracing run queue latency higher than 100 us" ||
		lines[1] != "TIME     COMM             TID           LAT(us)" {
		t.Fatalf("bad header\n%s", out)
	}
	rows := lines[2:]
	if len(rows) < 10 {
		t.Fatalf("want at least 10 slow waits of the storm, got %d\n%s", len(rows), out)
	}
	for _, r := range rows {
		f := fields(r)
		lat, err := strconv.Atoi(f[3])
		if len(f) != 4 || f[1] != l.comm || !tids[f[2]] || err != nil || lat <= 100 ||
			r != fmt.Sprintf("%-8s %-16s %-6s %14s", f[0], f[1], f[2], f[3]) {
			t.Errorf("bad row %q (storm %s, threads %v)", r, l.comm, tids)
		}
	}

	out = byTid.stop()
	lines = strings.Split(strings.TrimRight(out, "\n"), "\n")
	if lines[1] != "TIME     COMM             TID           LAT(us) PREV COMM        PREV TID" {
		t.Fatalf("bad -P header\n%s", out)
	}
	if len(lines) < 3 {
		t.Fatalf("no slow wait of thread %d\n%s", l.tid, out)
	}
	for _, r := range lines[2:] {
		f := fields(r)
		if len(f) < 6 || f[1] != l.comm || f[2] != strconv.Itoa(l.tid) {
			t.Errorf("bad -P row %q, want thread %d", r, l.tid)
		} else if len(f) == 6 && r != fmt.Sprintf("%-8s %-16s %-6s %14s %-16s %-6s", f[0], f[1], f[2], f[3], f[4], f[5]) {
			t.Errorf("bad -P row %q, want thread %d", r, l.tid)
		}
	}

	out = byComm.stop()
	if n := len(linesWith(out, " "+l.comm+" ")); n < 10 {
		t.Errorf("comm prefix %q: %d rows of the storm\n%s", l.comm[:8], n, out)
	}
	for _, r := range strings.Split(strings.TrimRight(out, "\n"), "\n")[2:] {
		if !strings.HasPrefix(fields(r)[1], l.comm[:8]) {
			t.Errorf("row %q does not match comm prefix %q", r, l.comm[:8])
		}
	}
}

func TestRunqslowerBadInput(t *testing.T) {
	badInput(t, "runqslower", "invalid PID", "-p", "-3")
	badInput(t, "runqslower", "invalid TID", "-t", "x")
	badInput(t, "runqslower", "invalid delay", "0")
	badInput(t, "runqslower", "invalid delay", "soon")
	badInput(t, "runqslower", "unrecognized positional argument", "10", "20")
	badInput(t, "runqslower", "flag provided but not defined", "--bogus")
}

// TestRunqslowerJSON: the storm's slow waits as --json events, with the task before them (-P);
// a text run beside it reports as many.
func TestRunqslowerJSON(t *testing.T) {
	l := startSchedLoad(t, "bpfu-rqsj", "storm", "4", "3000", "200", "1000")
	js := start(t, "runqslower", "--json", "-P", "-p", strconv.Itoa(l.pid), "100")
	text := start(t, "runqslower", "-p", strconv.Itoa(l.pid), "100")
	l.work()
	tids := l.tids()
	lines := jsonLines(t, "runqslower", js.stop())
	out := text.stop()

	if starts := ofType(lines, "start"); len(starts) != 1 || starts[0].str("message") != "Tracing run queue latency higher than 100 us" {
		t.Errorf("want one start line with the banner, got %v", starts)
	}
	events := ofType(lines, "event")
	if len(events) < 10 {
		t.Fatalf("want at least 10 slow waits of the storm, got %d", len(events))
	}
	for _, e := range events {
		if e.str("comm") != l.comm || !tids[strconv.Itoa(int(e.num("tid")))] || e.num("latency_us") <= 100 ||
			e.str("prev_comm") == "" || e["prev_tid"] == nil {
			t.Errorf("bad event %v (storm %s, threads %v)", e, l.comm, tids)
		}
	}
	rows := len(strings.Split(strings.TrimRight(out, "\n"), "\n")) - 2
	t.Logf("%d slow waits in JSON, %d in text", len(events), rows)
	// Each tool times the waits itself: one just over 100 us for one may be just under for the other.
	if d := max(rows, len(events)) - min(rows, len(events)); d > max(3, rows/20) {
		t.Errorf("text reports %d slow waits, JSON %d\n%s", rows, len(events), out)
	}
}
