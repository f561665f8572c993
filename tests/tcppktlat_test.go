package tests

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// pktLat is one read tcppktlat reported, from text or JSON.
type pktLat struct {
	pid, tid, lport, rport int
	comm, laddr, raddr     string
	ms                     float64
}

// parsePktLatText reads tcppktlat's lines (with -T, the time first), checking the header.
func parsePktLatText(t *testing.T, out string, wide, timestamp bool) []pktLat {
	t.Helper()
	width := 15
	if wide {
		width = 26
	}
	header := fmt.Sprintf("%-7s %-7s %-16s %-*s %-5s %-*s %-5s %s", "PID", "TID", "COMM", width, "LADDR", "LPORT", width, "RADDR", "RPORT", "MS")
	if timestamp {
		header = "TIME(s)  " + header
	}
	var lats []pktLat
	for i, line := range readerLines(out) {
		if i == 0 {
			if line != header {
				t.Fatalf("header %q, want %q", line, header)
			}
			continue
		}
		f := fields(line)
		if timestamp && len(f) > 0 {
			f = f[1:]
		}
		if len(f) != 8 {
			t.Fatalf("line %q: not 8 fields", line)
		}
		var l pktLat
		l.pid, _ = strconv.Atoi(f[0])
		l.tid, _ = strconv.Atoi(f[1])
		l.comm, l.laddr, l.raddr = f[2], f[3], f[5]
		l.lport, _ = strconv.Atoi(f[4])
		l.rport, _ = strconv.Atoi(f[6])
		l.ms, _ = strconv.ParseFloat(f[7], 64)
		lats = append(lats, l)
	}
	return lats
}

// checkPktLats checks that the reads of the workload's processes in lats are right (the reader's
// comm, a loopback latency under a second, the endpoints of one of its connections seen from
// its side) and that every connection of one IP version (0: both) had a read seen on each side
// the sides say (the server's: its reads of the client's data; the client's: of the reply).
func checkPktLats(run *netRun, lats []pktLat, version int, server, client bool) []string {
	var bad []string
	type end struct {
		pid          int
		laddr, raddr string
		lport, rport int
	}
	want := map[end]int{}
	for _, c := range run.connected(version) {
		if server {
			want[end{run.ServerPid, c.Raddr, c.Laddr, c.Rport, c.Lport}] = 0
		}
		if client {
			want[end{run.ClientPid, c.Laddr, c.Raddr, c.Lport, c.Rport}] = 0
		}
	}
	for _, l := range lats {
		if l.pid != run.ServerPid && l.pid != run.ClientPid {
			continue
		}
		e := end{l.pid, l.laddr, l.raddr, l.lport, l.rport}
		if _, ok := want[e]; !ok {
			bad = append(bad, fmt.Sprintf("read of another connection or side: %+v", l))
			continue
		}
		want[e]++
		comm := run.ServerComm
		if l.pid == run.ClientPid {
			comm = run.ClientCom
		}
		if l.comm != comm || l.tid <= 0 || l.ms < 0 || l.ms > 1000 {
			bad = append(bad, fmt.Sprintf("read %+v: want comm %s, a tid and a latency under a second", l, comm))
		}
	}
	for e, n := range want {
		if n == 0 {
			bad = append(bad, fmt.Sprintf("no read of pid %d on %s:%d from %s:%d", e.pid, e.laddr, e.lport, e.raddr, e.rport))
		}
	}
	return bad
}

// TestTcppktlat runs tcppktlat four ways on one workload: as it is, with --json -T -p of the
// server, with -w -r of the IPv6 server's port (the client's IPv6 sockets), and with a
// threshold of 10 s, which no loopback read reaches.
func TestTcppktlat(t *testing.T) {
	w := startNetWorkload(t, "pl", defaultNetPlan)
	plain := start(t, "tcppktlat")
	jsonT := start(t, "tcppktlat", "--json", "-T", "-p", strconv.Itoa(w.run.ServerPid))
	wide := start(t, "tcppktlat", "-w", "-r", strconv.Itoa(w.run.Plan.Port6))
	slow := start(t, "tcppktlat", "10000000")
	run := w.finish()
	awaitChecks(t, "tcppktlat", plain, func(out string) []string {
		return checkPktLats(run, parsePktLatText(t, out, false, false), 0, true, true)
	})
	awaitChecks(t, "tcppktlat --json -T -p", jsonT, func(out string) []string {
		var lats []pktLat
		var bad []string
		for _, l := range ofType(jsonLines(t, "tcppktlat", out), "event") {
			if _, ok := l["time"]; !ok {
				bad = append(bad, fmt.Sprintf("-T: no time in %v", l))
			}
			lat := pktLat{pid: int(l.num("pid")), tid: int(l.num("tid")), comm: l.str("comm"),
				laddr: l.str("laddr"), raddr: l.str("raddr"), lport: int(l.num("lport")), rport: int(l.num("rport")),
				ms: l.num("latency_us") / 1000}
			if lat.pid != run.ServerPid {
				bad = append(bad, fmt.Sprintf("-p %d: read of another process: %+v", run.ServerPid, lat))
			}
			lats = append(lats, lat)
		}
		return append(bad, checkPktLats(run, lats, 0, true, false)...)
	})
	awaitChecks(t, "tcppktlat -w -r", wide, func(out string) []string {
		lats := parsePktLatText(t, out, true, false)
		bad := checkPktLats(run, lats, 6, false, true)
		for _, l := range lats {
			if l.rport != run.Plan.Port6 {
				bad = append(bad, fmt.Sprintf("-r %d: read on another remote port: %+v", run.Plan.Port6, l))
			}
		}
		return bad
	})
	// The others saw every read by now, so this one had its chance to print them.
	out := slow.stop()
	for _, l := range parsePktLatText(t, out, false, false) {
		if l.pid == run.ServerPid || l.pid == run.ClientPid {
			t.Errorf("min_us 10000000 printed a loopback read: %+v", l)
		}
	}
	if !strings.HasPrefix(out, "PID ") {
		t.Errorf("no header:\n%s", out)
	}
}

func TestTcppktlatBadInput(t *testing.T) {
	badInput(t, "tcppktlat", "Invalid delay (in us)", "0")
	badInput(t, "tcppktlat", "Invalid delay (in us)", "fast")
	badInput(t, "tcppktlat", "invalid PID", "-p", "x")
	badInput(t, "tcppktlat", "invalid TID", "-t", "0")
	badInput(t, "tcppktlat", "invalid lport", "-l", "65536")
	badInput(t, "tcppktlat", "unrecognized positional argument", "1", "2")
}
