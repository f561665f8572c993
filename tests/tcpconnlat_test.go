package tests

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// connLat is one connect latency tcpconnlat reported, from text or JSON.
type connLat struct {
	pid, ip, lport, dport int
	comm, saddr, daddr    string
	ms                    float64
}

// parseConnLatText reads lines of tcpconnlat -L.
func parseConnLatText(t *testing.T, out string) []connLat {
	t.Helper()
	var lines []connLat
	for i, line := range readerLines(out) {
		if i == 0 {
			if want := "PID    COMM         IP SADDR            LPORT  DADDR            DPORT LAT(ms)"; line != want {
				t.Fatalf("header %q, want %q", line, want)
			}
			continue
		}
		f := fields(line)
		if len(f) != 8 {
			t.Fatalf("line %q: not 8 fields", line)
		}
		var c connLat
		c.pid, _ = strconv.Atoi(f[0])
		c.comm, c.saddr, c.daddr = f[1], f[3], f[5]
		c.ip, _ = strconv.Atoi(f[2])
		c.lport, _ = strconv.Atoi(f[4])
		c.dport, _ = strconv.Atoi(f[6])
		c.ms, _ = strconv.ParseFloat(f[7], 64)
		lines = append(lines, c)
	}
	return lines
}

// checkConnLats checks one entry per connect, by the client, with its addresses and ports and
// a latency under a second (loopback): for the accepted ones the SYN-ACK ends the wait, for the
// refused ones the RST (libbpf-tools times any segment that reaches a socket in SYN_SENT).
// version 4 or 6 keeps the connects of one IP version; 0 both.
func checkConnLats(run *netRun, lines []connLat, version int) []string {
	var bad, ours []string
	got := map[string]int{}
	key := func(ip int, saddr string, lport int, daddr string, dport int) string {
		return fmt.Sprintf("IPv%d %s:%d -> %s:%d", ip, saddr, lport, daddr, dport)
	}
	for _, l := range lines {
		if l.pid != run.ClientPid {
			continue
		}
		if version != 0 && l.ip != version {
			bad = append(bad, fmt.Sprintf("entry of another IP version: %+v", l))
		}
		ours = append(ours, fmt.Sprintf("%+v", l))
		if l.comm != run.ClientCom || l.ms < 0 || l.ms > 1000 {
			bad = append(bad, fmt.Sprintf("entry %+v: want comm %s and a latency under a second", l, run.ClientCom))
		}
		if l.dport == run.Plan.Closed {
			l.lport = 0 // the workload does not know the port of a refused connect
		}
		got[key(l.ip, l.saddr, l.lport, l.daddr, l.dport)]++
	}
	var conns int
	for _, conn := range run.Conns {
		if version != 0 && conn.Version != version {
			continue
		}
		conns++
		k := key(conn.Version, conn.Laddr, conn.Lport, conn.Raddr, conn.Rport)
		if got[k] != 1 {
			bad = append(bad, fmt.Sprintf("%s: %d entries, want 1", k, got[k]))
		}
	}
	if len(ours) != conns {
		bad = append(bad, fmt.Sprintf("%d entries of pid %d, want one per connect (%d): %s",
			len(ours), run.ClientPid, conns, strings.Join(ours, "; ")))
	}
	return bad
}

// TestTcpconnlat runs tcpconnlat five ways on one workload: with -L, with --json -t, with -p of
// the client, with -6, and with a threshold of 5 s, which no loopback connect reaches.
func TestTcpconnlat(t *testing.T) {
	w := startNetWorkload(t, "cl", defaultNetPlan)
	plain := start(t, "tcpconnlat", "-L")
	jsonT := start(t, "tcpconnlat", "--json", "-t")
	client := start(t, "tcpconnlat", "-L", "-p", strconv.Itoa(w.run.ClientPid))
	slow := start(t, "tcpconnlat", "5000")
	v6 := start(t, "tcpconnlat", "-6", "-L")
	run := w.finish()
	awaitChecks(t, "tcpconnlat -L", plain, func(out string) []string { return checkConnLats(run, parseConnLatText(t, out), 0) })
	awaitChecks(t, "tcpconnlat --json -t", jsonT, func(out string) []string {
		var lines []connLat
		for _, l := range ofType(jsonLines(t, "tcpconnlat", out), "event") {
			if _, ok := l["time_s"]; !ok {
				return []string{fmt.Sprintf("-t: no time_s in %v", l)}
			}
			lines = append(lines, connLat{pid: int(l.num("pid")), ip: int(l.num("ip")), lport: int(l.num("lport")),
				dport: int(l.num("dport")), comm: l.str("comm"), saddr: l.str("saddr"), daddr: l.str("daddr"),
				ms: l.num("latency_us") / 1000})
		}
		return checkConnLats(run, lines, 0)
	})
	awaitChecks(t, "tcpconnlat -L -p", client, func(out string) []string {
		lines := parseConnLatText(t, out)
		bad := checkConnLats(run, lines, 0)
		for _, l := range lines {
			if l.pid != run.ClientPid {
				bad = append(bad, fmt.Sprintf("another pid than %d: %+v", run.ClientPid, l))
			}
		}
		return bad
	})
	awaitChecks(t, "tcpconnlat -6 -L", v6, func(out string) []string { return checkConnLats(run, parseConnLatText(t, out), 6) })
	// The others saw every connect by now, so this one had its chance to print them.
	out := slow.stop()
	for _, line := range readerLines(out)[1:] {
		if f := fields(line); len(f) > 0 && f[0] == strconv.Itoa(run.ClientPid) {
			t.Errorf("min_ms 5000 printed a loopback connect: %q", line)
		}
	}
}

func TestTcpconnlatBadInput(t *testing.T) {
	badInput(t, "tcpconnlat", "invalid min_ms", "-1")
	badInput(t, "tcpconnlat", "invalid min_ms", "fast")
	badInput(t, "tcpconnlat", "invalid PID", "-p", "x")
	badInput(t, "tcpconnlat", "-4 and -6 cannot be used together", "-6", "-4")
	badInput(t, "tcpconnlat", "unrecognized positional argument", "1", "2")
}
