package tests

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// checkListens checks that the server's two listens were seen, each once, with the plan's
// backlog, port and address, and nothing else of the workload's.
func checkListens(run *netRun, got map[string]int) []string {
	want := map[string]int{
		fmt.Sprintf("pid %d %s ret 0 backlog %d TCPv4 port %d 127.0.0.1", run.ServerPid, run.ServerComm, run.Plan.Backlog, run.Plan.Port4): 1,
		fmt.Sprintf("pid %d %s ret 0 backlog %d TCPv6 port %d ::1", run.ServerPid, run.ServerComm, run.Plan.Backlog, run.Plan.Port6):       1,
	}
	return countMismatches("listen", want, got)
}

// TestSolisten runs solisten three ways on one workload: with -t, with --json, and with --json
// -p of the server.
func TestSolisten(t *testing.T) {
	w := startNetWorkload(t, "sl", defaultNetPlan)
	plain := start(t, "solisten", "-t")
	jsonAll := start(t, "solisten", "--json")
	server := start(t, "solisten", "--json", "-p", strconv.Itoa(w.run.ServerPid))
	run := w.finish()
	awaitChecks(t, "solisten -t", plain, func(out string) []string {
		got := map[string]int{}
		for i, line := range readerLines(out) {
			if i == 0 {
				if want := "TIME(s)  PID     COMM             RET BACKLOG PROTO PORT  ADDR" + strings.Repeat(" ", 28); line != want {
					return []string{fmt.Sprintf("header %q, want %q", line, want)}
				}
				continue
			}
			f := fields(line)
			if len(f) != 8 || len(line) < 9+7+1+16+1+3+1+7+1+5+1+5+1+32 {
				return []string{fmt.Sprintf("line %q: not 8 fields, or narrower than the header", line)}
			}
			if f[1] == strconv.Itoa(run.ServerPid) || f[1] == strconv.Itoa(run.ClientPid) {
				got[fmt.Sprintf("pid %s %s ret %s backlog %s %s port %s %s", f[1], f[2], f[3], f[4], f[5], f[6], f[7])]++
			}
		}
		return checkListens(run, got)
	})
	jsonListens := func(out string, onlyServer bool) []string {
		var bad []string
		got := map[string]int{}
		for _, l := range ofType(jsonLines(t, "solisten", out), "event") {
			pid := int(l.num("pid"))
			if onlyServer && pid != run.ServerPid {
				bad = append(bad, fmt.Sprintf("another pid than %d: %v", run.ServerPid, l))
			}
			if pid == run.ServerPid || pid == run.ClientPid {
				got[fmt.Sprintf("pid %d %s ret %d backlog %d %s port %d %s", pid, l.str("comm"), int(l.num("ret")),
					int(l.num("backlog")), l.str("proto"), int(l.num("port")), l.str("addr"))]++
			}
		}
		return append(bad, checkListens(run, got)...)
	}
	awaitChecks(t, "solisten --json", jsonAll, func(out string) []string { return jsonListens(out, false) })
	awaitChecks(t, "solisten --json -p", server, func(out string) []string { return jsonListens(out, true) })
}

func TestSolistenBadInput(t *testing.T) {
	badInput(t, "solisten", "invalid PID", "-p", "0")
	badInput(t, "solisten", "unrecognized positional argument", "1")
}
