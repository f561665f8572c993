package tests

import (
	"fmt"
	"strconv"
	"testing"
)

// tracerEvent is one line of tcptracer, from text or JSON.
type tracerEvent struct {
	typ                string // C, A, X
	pid, ip, uid       int
	sport, dport       int
	comm, saddr, daddr string
}

func (e tracerEvent) String() string {
	return fmt.Sprintf("%s %d %s %d %s:%d %s:%d", e.typ, e.pid, e.comm, e.ip, e.saddr, e.sport, e.daddr, e.dport)
}

// parseTracerText reads tcptracer's text, with -U's UID column when uid is set.
func parseTracerText(t *testing.T, out string, uid bool) []tracerEvent {
	t.Helper()
	header := fmt.Sprintf("%s %-6s %-12s %-2s %-16s %-16s %-4s %-4s", "T", "PID", "COMM", "IP", "SADDR", "DADDR", "SPORT", "DPORT")
	if uid {
		header = fmt.Sprintf("%-6s", "UID") + header
	}
	var events []tracerEvent
	for i, line := range readerLines(out) {
		if i == 0 {
			if line != header {
				t.Fatalf("header %q, want %q", line, header)
			}
			continue
		}
		f := fields(line)
		var e tracerEvent
		e.uid = -1
		if uid && len(f) > 0 {
			e.uid, _ = strconv.Atoi(f[0])
			line, f = line[6:], f[1:]
		}
		if len(f) != 8 {
			t.Fatalf("line %q: not 8 fields", line)
		}
		e.typ, e.comm, e.saddr, e.daddr = f[0], f[2], f[4], f[5]
		e.pid, _ = strconv.Atoi(f[1])
		e.ip, _ = strconv.Atoi(f[3])
		e.sport, _ = strconv.Atoi(f[6])
		e.dport, _ = strconv.Atoi(f[7])
		if want := fmt.Sprintf("%s %-6d %-12.12s %-2d %-16s %-16s %-4d %-4d", e.typ, e.pid, e.comm, e.ip, e.saddr, e.daddr, e.sport, e.dport); line != want {
			t.Fatalf("line %q, want the layout %q", line, want)
		}
		events = append(events, e)
	}
	return events
}

func parseTracerJSON(t *testing.T, out string) []tracerEvent {
	t.Helper()
	letters := map[string]string{"connect": "C", "accept": "A", "close": "X"}
	var events []tracerEvent
	for _, l := range ofType(jsonLines(t, "tcptracer", out), "event") {
		if _, ok := l["time_s"]; !ok {
			t.Errorf("-t: no time_s in %v", l)
		}
		events = append(events, tracerEvent{
			typ: letters[l.str("event")], pid: int(l.num("pid")), ip: int(l.num("ip")), uid: int(l.num("uid")),
			comm: l.str("comm"), saddr: l.str("saddr"), daddr: l.str("daddr"),
			sport: int(l.num("sport")), dport: int(l.num("dport")),
		})
	}
	return events
}

// checkTracer checks the events of the workload's connections: for each, exactly one connect
// by the client, one accept by the server, and one close by each, in that order (the client
// closes first); and no connect or accept for the refused attempts. Only the workload's pids
// count: other tests make connections too.
func checkTracer(run *netRun, events []tracerEvent) []string {
	var bad []string
	var ours []tracerEvent
	for _, e := range events {
		if e.pid == run.ClientPid || e.pid == run.ServerPid {
			ours = append(ours, e)
		}
	}
	for _, conn := range run.connected(0) {
		loop, port := "127.0.0.1", run.Plan.Port4
		if conn.Version == 6 {
			loop, port = "::1", run.Plan.Port6
		}
		client := tracerEvent{pid: run.ClientPid, comm: run.ClientCom, ip: conn.Version, saddr: conn.Laddr, sport: conn.Lport, daddr: conn.Raddr, dport: conn.Rport}
		server := tracerEvent{pid: run.ServerPid, comm: run.ServerComm, ip: conn.Version, saddr: loop, sport: port, daddr: conn.Laddr, dport: conn.Lport}
		last := -1
		for _, want := range []struct {
			typ string
			e   tracerEvent
		}{{"C", client}, {"A", server}, {"X", client}, {"X", server}} {
			want.e.typ = want.typ
			var at []int
			for i, e := range ours {
				if e.typ == want.typ && e.pid == want.e.pid && e.saddr == want.e.saddr && e.sport == want.e.sport &&
					e.daddr == want.e.daddr && e.dport == want.e.dport {
					at = append(at, i)
				}
			}
			switch {
			case len(at) != 1:
				bad = append(bad, fmt.Sprintf("%d events %v, want one", len(at), want.e))
			case ours[at[0]].comm != want.e.comm || ours[at[0]].ip != want.e.ip:
				bad = append(bad, fmt.Sprintf("event %v, want %v", ours[at[0]], want.e))
			case at[0] < last:
				bad = append(bad, fmt.Sprintf("event %v came before %v", want.e, ours[last]))
			default:
				last = at[0]
			}
		}
	}
	for _, r := range run.refused() {
		for _, e := range ours {
			if e.typ != "X" && e.daddr == r.Raddr && e.dport == r.Rport {
				bad = append(bad, fmt.Sprintf("refused connect to port %d reported as %v", r.Rport, e))
			}
		}
	}
	return bad
}

// TestTcptracer runs tcptracer four ways on one workload: as it is, with --json -t, with -p of
// the client and -U, and with -u of a user the workload does not run as.
func TestTcptracer(t *testing.T) {
	w := startNetWorkload(t, "tr", defaultNetPlan)
	plain := start(t, "tcptracer")
	json := start(t, "tcptracer", "--json", "-t")
	client := start(t, "tcptracer", "-U", "-p", strconv.Itoa(w.run.ClientPid))
	other := start(t, "tcptracer", "-u", "65534")
	run := w.finish()
	awaitChecks(t, "tcptracer", plain, func(out string) []string { return checkTracer(run, parseTracerText(t, out, false)) })
	awaitChecks(t, "tcptracer --json -t", json, func(out string) []string { return checkTracer(run, parseTracerJSON(t, out)) })
	awaitChecks(t, "tcptracer -U -p", client, func(out string) []string {
		var bad []string
		connects, closes := 0, 0
		for _, e := range parseTracerText(t, out, true) {
			switch {
			case e.pid != run.ClientPid || e.uid != 0:
				bad = append(bad, fmt.Sprintf("event %v of uid %d, want only pid %d's, uid 0", e, e.uid, run.ClientPid))
			case e.typ == "C":
				connects++
			case e.typ == "X":
				closes++
			}
		}
		// The refused connects' sockets are closed too: fentry and kprobe on tcp_close see it.
		if n := len(run.connected(0)); connects != n || closes < n || closes > n+len(run.refused()) {
			bad = append(bad, fmt.Sprintf("%d connects and %d closes, want the client's %d connections", connects, closes, n))
		}
		return bad
	})
	out := other.stop()
	for _, e := range parseTracerText(t, out, false) {
		if e.pid == run.ClientPid || e.pid == run.ServerPid {
			t.Errorf("tcptracer -u 65534: the workload's event %v", e)
		}
	}
}

func TestTcptracerBadInput(t *testing.T) {
	badInput(t, "tcptracer", "invalid PID", "-p", "0")
	badInput(t, "tcptracer", "invalid UID", "-u", "x")
	badInput(t, "tcptracer", "unrecognized positional argument", "5")
}
