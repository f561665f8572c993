package tests

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// connectLine is one connect tcpconnect reported, from text or JSON.
type connectLine struct {
	uid, pid, ip, sport, dport int
	comm, saddr, daddr         string
}

// parseConnectText reads lines of tcpconnect -U -s.
func parseConnectText(t *testing.T, out string) []connectLine {
	t.Helper()
	var lines []connectLine
	for i, line := range readerLines(out) {
		f := fields(line)
		if i == 0 {
			if want := "UID   PID    COMM             IP SADDR            DADDR            SPORT DPORT"; line != want {
				t.Fatalf("header %q, want %q", line, want)
			}
			continue
		}
		if len(f) != 8 {
			t.Fatalf("line %q: not 8 fields", line)
		}
		var c connectLine
		c.uid, _ = strconv.Atoi(f[0])
		c.pid, _ = strconv.Atoi(f[1])
		c.comm, c.saddr, c.daddr = f[2], f[4], f[5]
		c.ip, _ = strconv.Atoi(f[3])
		c.sport, _ = strconv.Atoi(f[6])
		c.dport, _ = strconv.Atoi(f[7])
		lines = append(lines, c)
	}
	return lines
}

// checkConnects checks that every connect of the workload was reported once, by the client,
// and nothing else of the client's; withSport: the source ports were asked for (-s).
func checkConnects(run *netRun, lines []connectLine, withSport bool) []string {
	key := func(ip int, saddr, daddr string, sport, dport int) string {
		if !withSport {
			sport = 0
		}
		return fmt.Sprintf("IPv%d %s:%d -> %s:%d", ip, saddr, sport, daddr, dport)
	}
	want, got := map[string]int{}, map[string]int{}
	for _, conn := range run.Conns {
		sport := conn.Lport
		if conn.Refused {
			sport = -1 // the workload does not know it
		}
		want[key(conn.Version, conn.Laddr, conn.Raddr, sport, conn.Rport)]++
	}
	var bad []string
	for _, l := range lines {
		if l.pid != run.ClientPid {
			continue
		}
		if l.comm != run.ClientCom || l.uid != 0 {
			bad = append(bad, fmt.Sprintf("connect of pid %d reported as %+v, want comm %s uid 0", run.ClientPid, l, run.ClientCom))
		}
		k := key(l.ip, l.saddr, l.daddr, l.sport, l.dport)
		if _, ok := want[k]; !ok && withSport && l.dport == run.Plan.Closed {
			k = key(l.ip, l.saddr, l.daddr, -1, l.dport)
		}
		got[k]++
	}
	for k, n := range want {
		if got[k] != n {
			bad = append(bad, fmt.Sprintf("%s: %d connects reported, want %d", k, got[k], n))
		}
	}
	for k, n := range got {
		if want[k] == 0 {
			bad = append(bad, fmt.Sprintf("%s: %d connects reported, want none", k, n))
		}
	}
	return bad
}

// TestTcpconnect runs tcpconnect five ways on one workload: with -U -s, with --json -t, with -c
// (a table at the end), with --json -c -s -P on the IPv6 port, and with -p of the client.
func TestTcpconnect(t *testing.T) {
	w := startNetWorkload(t, "cn", defaultNetPlan)
	plan := w.run.Plan
	plain := start(t, "tcpconnect", "-U", "-s")
	jsonT := start(t, "tcpconnect", "--json", "-t")
	count := startSilent(t, "tcpconnect", "-c")
	countJSON := start(t, "tcpconnect", "--json", "-c", "-s", "-P", strconv.Itoa(plan.Port6))
	client := start(t, "tcpconnect", "-U", "-s", "-p", strconv.Itoa(w.run.ClientPid))
	run := w.finish()
	awaitChecks(t, "tcpconnect -U -s", plain, func(out string) []string { return checkConnects(run, parseConnectText(t, out), true) })
	awaitChecks(t, "tcpconnect --json -t", jsonT, func(out string) []string {
		var lines []connectLine
		for _, l := range ofType(jsonLines(t, "tcpconnect", out), "event") {
			if _, ok := l["time_s"]; !ok {
				return []string{"-t: no time_s in " + fmt.Sprint(l)}
			}
			lines = append(lines, connectLine{uid: int(l.num("uid")), pid: int(l.num("pid")), ip: int(l.num("ip")),
				dport: int(l.num("dport")), comm: l.str("comm"), saddr: l.str("saddr"), daddr: l.str("daddr")})
		}
		return checkConnects(run, lines, false)
	})
	awaitChecks(t, "tcpconnect -U -s -p", client, func(out string) []string {
		lines := parseConnectText(t, out)
		bad := checkConnects(run, lines, true)
		for _, l := range lines {
			if l.pid != run.ClientPid {
				bad = append(bad, fmt.Sprintf("another pid than %d: %+v", run.ClientPid, l))
			}
		}
		return bad
	})
	// The tables come at Ctrl-C; the connects were counted once the workload ended.
	checkCountTable(t, run, count.stop())
	out := countJSON.stop()
	var flows int
	for _, l := range ofType(jsonLines(t, "tcpconnect", out), "table") {
		if l.num("rport") != float64(plan.Port6) {
			t.Errorf("-P %d counted %v", plan.Port6, l)
		}
		for _, conn := range run.connected(6) {
			if l.str("laddr") == conn.Laddr && int(l.num("lport")) == conn.Lport && l.num("connects") == 1 {
				flows++
			}
		}
	}
	if flows != plan.Conns {
		t.Errorf("--json -c -s -P: %d flows of one connect from the client's ports, want %d:\n%s", flows, plan.Conns, out)
	}
}

// checkCountTable checks -c's table: the connects per flow.
func checkCountTable(t *testing.T, run *netRun, out string) {
	t.Helper()
	plan := run.Plan
	lines := readerLines(out)
	if len(lines) < 2 || lines[0] != "" || lines[1] != "LADDR                     RADDR                     RPORT                CONNECTS  " {
		t.Fatalf("-c printed\n%s\nwant an empty line, then the header", out)
	}
	rows := map[string]int{}
	for i, line := range lines[2:] {
		if len(line) != 25+1+25+1+20+1+10 && len(fields(line)[0]) <= 25 {
			t.Errorf("row %q: %d bytes wide", line, len(line))
		}
		rows[strings.Join(fields(line), " ")] = i
	}
	want := []string{
		fmt.Sprintf("127.0.0.1 127.0.0.1 %d %d", plan.Port4, plan.Conns),
		fmt.Sprintf("127.0.0.1 127.0.0.1 %d 1", plan.Closed),
		fmt.Sprintf("::1 ::1 %d %d", plan.Port6, plan.Conns),
		fmt.Sprintf("::1 ::1 %d 1", plan.Closed),
	}
	for _, w := range want {
		if _, ok := rows[w]; !ok {
			t.Errorf("-c: no row %q in\n%s", w, out)
		}
	}
	if rows[want[0]] > rows[want[2]] {
		t.Errorf("-c: IPv6 rows before IPv4 ones:\n%s", out)
	}
}

func TestTcpconnectBadInput(t *testing.T) {
	badInput(t, "tcpconnect", "-4 and -6 cannot be used together", "-4", "-6")
	badInput(t, "tcpconnect", "invalid PORT_LIST", "-P", "80,0")
	badInput(t, "tcpconnect", "invalid UID", "-u", "abc")
	badInput(t, "tcpconnect", "unrecognized positional argument", "1")
}
