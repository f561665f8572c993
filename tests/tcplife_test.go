package tests

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// lifeSession is one line of tcplife, from text or JSON.
type lifeSession struct {
	pid, lport, rport  int
	comm, laddr, raddr string
	txKB, rxKB, ms     float64
	txB, rxB           int // JSON's exact bytes; -1 from text
}

func parseLifeText(t *testing.T, out string) []lifeSession {
	t.Helper()
	var s []lifeSession
	for i, line := range readerLines(out) {
		f := fields(line)
		if i == 0 {
			if want := "PID COMM LADDR LPORT RADDR RPORT TX_KB RX_KB MS"; strings.Join(f, " ") != want {
				t.Fatalf("header %q, want %q", line, want)
			}
			continue
		}
		if len(f) != 9 {
			t.Fatalf("line %q: not 9 fields", line)
		}
		var e lifeSession
		e.txB, e.rxB = -1, -1
		e.pid, _ = strconv.Atoi(f[0])
		e.comm, e.laddr, e.raddr = f[1], f[2], f[4]
		e.lport, _ = strconv.Atoi(f[3])
		e.rport, _ = strconv.Atoi(f[5])
		e.txKB, _ = strconv.ParseFloat(f[6], 64)
		e.rxKB, _ = strconv.ParseFloat(f[7], 64)
		e.ms, _ = strconv.ParseFloat(f[8], 64)
		s = append(s, e)
	}
	return s
}

func parseLifeJSON(t *testing.T, out string) []lifeSession {
	t.Helper()
	var s []lifeSession
	for _, l := range ofType(jsonLines(t, "tcplife", out), "event") {
		s = append(s, lifeSession{
			pid: int(l.num("pid")), comm: l.str("comm"), laddr: l.str("laddr"), raddr: l.str("raddr"),
			lport: int(l.num("lport")), rport: int(l.num("rport")),
			txKB: l.num("tx_bytes") / 1024, rxKB: l.num("rx_bytes") / 1024, ms: l.num("span_us") / 1000,
			txB: int(l.num("tx_bytes")), rxB: int(l.num("rx_bytes")),
		})
	}
	return s
}

// checkLives checks the two sessions of each connection of one IP version: the client's, owned
// by the client (it connected), and the server's, owned by the server (it closed last), each
// with the bytes it sent and received and at least the client's hold as its lifetime.
func checkLives(run *netRun, sessions []lifeSession, version int) []string {
	var bad []string
	loop, port := "127.0.0.1", run.Plan.Port4
	if version == 6 {
		loop, port = "::1", run.Plan.Port6
	}
	send, reply := float64(run.Plan.Send)/1024, float64(run.Plan.Reply)/1024
	// Another test run may use the same addresses and ports in a namespace of its own.
	find := func(laddr string, lport int, raddr string, rport int) *lifeSession {
		for i, s := range sessions {
			ours := s.pid == run.ServerPid || s.pid == run.ClientPid
			if ours && s.laddr == laddr && s.lport == lport && s.raddr == raddr && s.rport == rport {
				return &sessions[i]
			}
		}
		return nil
	}
	hold := float64(run.Plan.Hold.Milliseconds())
	for _, conn := range run.connected(version) {
		for _, want := range []struct {
			side       string
			s          *lifeSession
			pid        int
			comm       string
			txKB, rxKB float64
			txB, rxB   int
		}{
			{"client", find(conn.Laddr, conn.Lport, conn.Raddr, conn.Rport), run.ClientPid, run.ClientCom, send, reply, run.Plan.Send, run.Plan.Reply},
			{"server", find(loop, port, conn.Laddr, conn.Lport), run.ServerPid, run.ServerComm, reply, send, run.Plan.Reply, run.Plan.Send},
		} {
			s := want.s
			switch {
			case s == nil:
				bad = append(bad, fmt.Sprintf("no %s lifeSession of %v", want.side, conn))
			case s.pid != want.pid || s.comm != want.comm:
				bad = append(bad, fmt.Sprintf("%s lifeSession %+v: want pid %d comm %s", want.side, *s, want.pid, want.comm))
			// The counters include the FIN (and the client's tx its SYN): a byte or two more than the data.
			case lifeKB(s.txKB) != lifeKB(want.txKB) || lifeKB(s.rxKB) != lifeKB(want.rxKB) ||
				s.txB >= 0 && (s.txB < want.txB || s.txB > want.txB+2) || s.rxB >= 0 && (s.rxB < want.rxB || s.rxB > want.rxB+2):
				bad = append(bad, fmt.Sprintf("%s lifeSession %+v: want TX %.2f KB, RX %.2f KB", want.side, *s, want.txKB, want.rxKB))
			case s.ms < hold || s.ms > 30000:
				bad = append(bad, fmt.Sprintf("%s lifeSession %+v: lasted %.2f ms, want at least the %v hold", want.side, *s, s.ms, run.Plan.Hold))
			}
		}
	}
	// A refused connect is a lifeSession too (libbpf-tools times it from SYN_SENT), of no bytes.
	for _, r := range run.refused() {
		if r.Version != version {
			continue
		}
		var s *lifeSession
		for i := range sessions {
			if sessions[i].pid == run.ClientPid && sessions[i].raddr == r.Raddr && sessions[i].rport == r.Rport {
				s = &sessions[i]
			}
		}
		if s == nil || s.pid != run.ClientPid || s.txKB != 0 || s.rxKB != 0 {
			bad = append(bad, fmt.Sprintf("refused connect to port %d: lifeSession %+v, want one by pid %d of no bytes", r.Rport, s, run.ClientPid))
		}
	}
	return bad
}

// TestTcplife runs tcplife three ways on one workload: as it is, with --json -w -4 -t, and with
// -p of the client (the sessions credited to it, not the server's: the server closed them).
func TestTcplife(t *testing.T) {
	w := startNetWorkload(t, "lf", defaultNetPlan)
	plain := start(t, "tcplife")
	json4 := start(t, "tcplife", "--json", "-w", "-4", "-t")
	client := start(t, "tcplife", "-p", strconv.Itoa(w.run.ClientPid))
	run := w.finish()
	awaitChecks(t, "tcplife", plain, func(out string) []string {
		s := parseLifeText(t, out)
		return append(checkLives(run, s, 4), checkLives(run, s, 6)...)
	})
	awaitChecks(t, "tcplife --json -w -4 -t", json4, func(out string) []string {
		sessions := parseLifeJSON(t, out)
		bad := checkLives(run, sessions, 4)
		for _, l := range ofType(jsonLines(t, "tcplife", out), "event") {
			if _, ok := l["time_s"]; !ok {
				bad = append(bad, fmt.Sprintf("-t: no time_s in %v", l))
			}
		}
		for _, s := range sessions {
			if strings.Contains(s.laddr, ":") {
				bad = append(bad, fmt.Sprintf("an IPv6 lifeSession: %+v", s))
			}
		}
		return bad
	})
	awaitChecks(t, "tcplife -p", client, func(out string) []string {
		var bad []string
		sessions := parseLifeText(t, out)
		for _, s := range sessions {
			if s.pid != run.ClientPid {
				bad = append(bad, fmt.Sprintf("another pid than %d: %+v", run.ClientPid, s))
			}
		}
		if n, want := len(sessions), len(run.Conns); n != want {
			bad = append(bad, fmt.Sprintf("%d sessions, want the client's %d", n, want))
		}
		return bad
	})
}

func TestTcplifeBadInput(t *testing.T) {
	badInput(t, "tcplife", "-4 and -6 cannot be used together", "-4", "-6")
	badInput(t, "tcplife", "invalid local ports", "-L", "0")
	badInput(t, "tcplife", "invalid PID", "-p", "x")
	badInput(t, "tcplife", "unrecognized positional argument", "5")
}

// lifeKB is a size in KB as tcplife prints it.
func lifeKB(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
