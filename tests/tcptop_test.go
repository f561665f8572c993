package tests

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// topFlow is one row of tcptop: a process's traffic on one connection, in KB from text (bytes
// -1) or in bytes from JSON (summed over its rows).
type topFlow struct {
	pid              int
	comm             string
	laddr, raddr     string // addr:port
	rxKB, txKB       int
	rxBytes, txBytes int
}

// topPIDWidth is the PID column's width: the length of pid_max, at least 6.
func topPIDWidth(t *testing.T) int {
	b, err := os.ReadFile("/proc/sys/kernel/pid_max")
	if err != nil {
		t.Fatal(err)
	}
	return max(len(strings.TrimSpace(string(b))), 6)
}

// parseTopText reads tcptop -C text: reports made of an optional loadavg line and an empty
// line, the IPv4 header, IPv4 rows, then (when there are any) an empty line, the IPv6 header
// and IPv6 rows, and an empty line. Every line's layout is checked; the rows of every report
// are returned, with how many loadavg lines there were.
func parseTopText(t *testing.T, out string) (flows []topFlow, summaries int, bad []string) {
	t.Helper()
	w := topPIDWidth(t)
	header4 := fmt.Sprintf("%-*s %-12s %-21s %-21s %6s %6s", w, "PID", "COMM", "LADDR", "RADDR", "RX_KB", "TX_KB")
	header6 := fmt.Sprintf("%-*s %-12s %-51s %-51s %6s %6s", w, "PID", "COMM", "LADDR6", "RADDR6", "RX_KB", "TX_KB")
	lines := strings.Split(out, "\n")
	addrWidth := 0
	for i, l := range lines {
		switch {
		case l == "":
			addrWidth = 0
		case strings.Contains(l, " loadavg: "):
			summaries++
			if _, err := fmt.Sscanf(l[:8], "%d:%d:%d", new(int), new(int), new(int)); err != nil || len(fields(l)) != 7 || i+1 >= len(lines) || lines[i+1] != "" {
				bad = append(bad, fmt.Sprintf("bad summary line %q", l))
			}
		case l == header4:
			addrWidth = 21
		case l == header6:
			if i == 0 || lines[i-1] != "" {
				bad = append(bad, "no empty line before the IPv6 header")
			}
			addrWidth = 51
		default:
			f := fields(l)
			if addrWidth == 0 || len(f) != 6 || l != fmt.Sprintf("%-*s %-12s %-*s %-*s %6s %6s", w, f[0], f[1], addrWidth, f[2], addrWidth, f[3], f[4], f[5]) {
				bad = append(bad, fmt.Sprintf("bad line %q", l))
				continue
			}
			fl := topFlow{comm: f[1], laddr: f[2], raddr: f[3], rxBytes: -1, txBytes: -1}
			fl.pid, _ = strconv.Atoi(f[0])
			fl.rxKB, _ = strconv.Atoi(f[4])
			fl.txKB, _ = strconv.Atoi(f[5])
			if v6 := strings.Count(fl.laddr, ":") > 1; v6 != (addrWidth == 51) {
				bad = append(bad, fmt.Sprintf("row %q under the wrong header", l))
			}
			flows = append(flows, fl)
		}
	}
	return flows, summaries, bad
}

// parseTopJSON sums tcptop's JSON rows per process and connection.
func parseTopJSON(t *testing.T, out string) []topFlow {
	t.Helper()
	var flows []topFlow
	index := map[string]int{}
	for _, l := range ofType(jsonLines(t, "tcptop", out), "table") {
		f := topFlow{pid: int(l.num("pid")), comm: l.str("comm"),
			laddr: joinHostPort(l.str("laddr"), int(l.num("lport"))), raddr: joinHostPort(l.str("raddr"), int(l.num("rport")))}
		if want := map[bool]float64{false: 4, true: 6}[strings.Contains(f.laddr, "]")]; l.num("ip") != want {
			t.Errorf("row %v: ip %v, want %v", l, l.num("ip"), want)
		}
		id := fmt.Sprint(f.pid, f.comm, f.laddr, f.raddr)
		i, ok := index[id]
		if !ok {
			i, index[id] = len(flows), len(flows)
			flows = append(flows, f)
		}
		flows[i].rxBytes += int(l.num("rx_bytes"))
		flows[i].txBytes += int(l.num("tx_bytes"))
		flows[i].rxKB, flows[i].txKB = flows[i].rxBytes/1024, flows[i].txBytes/1024
	}
	return flows
}

// joinHostPort writes addr:port as tcptop does (IPv6 addresses without brackets), but
// bracketed here so that the IP version stays plain.
func joinHostPort(addr string, port int) string {
	if strings.Contains(addr, ":") {
		return "[" + addr + "]:" + strconv.Itoa(port)
	}
	return addr + ":" + strconv.Itoa(port)
}

// checkTop checks the flows of the workload's connections of one IP version: the client's side
// of each, by the client, with exactly the bytes it sent and received, and the server's side,
// by the server, the other way round. Only the workload's processes are looked at: other tests
// make traffic too.
func checkTop(run *netRun, flows []topFlow, version int, bracket bool) []string {
	var bad []string
	loop, port := "127.0.0.1", run.Plan.Port4
	if version == 6 {
		loop, port = "::1", run.Plan.Port6
	}
	endpoint := func(addr string, port int) string {
		if bracket {
			return joinHostPort(addr, port)
		}
		return addr + ":" + strconv.Itoa(port)
	}
	var ours []topFlow
	for _, f := range flows {
		if f.pid == run.ClientPid || f.pid == run.ServerPid {
			ours = append(ours, f)
		}
	}
	want := 0
	for _, conn := range run.connected(version) {
		for _, side := range []struct {
			name         string
			pid          int
			comm         string
			laddr, raddr string
			rx, tx       int
		}{
			{"client", run.ClientPid, run.ClientCom, endpoint(conn.Laddr, conn.Lport), endpoint(conn.Raddr, conn.Rport), run.Plan.Reply, run.Plan.Send},
			{"server", run.ServerPid, run.ServerComm, endpoint(loop, port), endpoint(conn.Laddr, conn.Lport), run.Plan.Send, run.Plan.Reply},
		} {
			want++
			var got []topFlow
			for _, f := range ours {
				if f.pid == side.pid && f.laddr == side.laddr && f.raddr == side.raddr {
					got = append(got, f)
				}
			}
			switch {
			case len(got) != 1:
				bad = append(bad, fmt.Sprintf("%s side %s -> %s: %d rows, want 1: %+v", side.name, side.laddr, side.raddr, len(got), got))
			case got[0].comm != side.comm:
				bad = append(bad, fmt.Sprintf("%s side %+v: want comm %s", side.name, got[0], side.comm))
			case got[0].rxKB != side.rx/1024 || got[0].txKB != side.tx/1024 ||
				got[0].rxBytes >= 0 && (got[0].rxBytes != side.rx || got[0].txBytes != side.tx):
				bad = append(bad, fmt.Sprintf("%s side %+v: want %d bytes received and %d sent", side.name, got[0], side.rx, side.tx))
			}
		}
	}
	version6 := 0
	for _, f := range ours {
		if strings.Count(f.laddr, ":") > 1 {
			version6++
		}
	}
	if n := map[int]int{4: len(ours) - version6, 6: version6}[version]; n != want {
		bad = append(bad, fmt.Sprintf("%d IPv%d rows of the workload, want %d: %+v", n, version, want, ours))
	}
	return bad
}

// TestTcptop runs tcptop six ways on one workload: text with both families and the summary
// line in one report at Ctrl-C, --json -4 every second (bytes summed over the reports), -p of
// the client with -6 -S -s sent, -c of a cgroup holding the client, -r 1, and to its count of one
// report.
func TestTcptop(t *testing.T) {
	cgroup := newCgroup(t, "bpfu-tt")
	w := startNetWorkload(t, "tt", defaultNetPlan)
	if err := os.WriteFile(cgroup+"/cgroup.procs", []byte(strconv.Itoa(w.run.ClientPid)), 0o644); err != nil {
		t.Fatal(err)
	}
	plain := startSilent(t, "tcptop", "-C", "60")
	json4 := start(t, "tcptop", "--json", "-4", "1")
	client := startSilent(t, "tcptop", "-C", "-S", "-6", "-s", "sent", "-p", strconv.Itoa(w.run.ClientPid), "60")
	inCgroup := startSilent(t, "tcptop", "-C", "-S", "-c", cgroup, "60")
	oneRow := startSilent(t, "tcptop", "-C", "-S", "-r", "1", "-p", strconv.Itoa(w.run.ClientPid), "60")
	run := w.finish()

	out := plain.stop()
	flows, summaries, bad := parseTopText(t, out)
	bad = append(bad, checkTop(run, flows, 4, false)...)
	bad = append(bad, checkTop(run, flows, 6, false)...)
	if summaries != 1 {
		bad = append(bad, fmt.Sprintf("%d loadavg lines, want 1", summaries))
	}
	reportProblems(t, "tcptop -C", bad, out, plain)

	out = json4.stop()
	flows = parseTopJSON(t, out)
	bad = checkTop(run, flows, 4, true)
	for _, f := range flows {
		if strings.Contains(f.laddr, "]") {
			bad = append(bad, fmt.Sprintf("-4: an IPv6 row %+v", f))
		}
	}
	reportProblems(t, "tcptop --json -4", bad, out, json4)

	for _, only := range []struct {
		label string
		p     *proc
		conns int
	}{
		{"tcptop -C -S -6 -s sent -p", client, len(run.connected(6))},
		{"tcptop -C -S -c", inCgroup, len(run.connected(0))},
		{"tcptop -C -S -r 1 -p", oneRow, 1},
	} {
		out = only.p.stop()
		flows, summaries, bad = parseTopText(t, out)
		for _, f := range flows {
			if f.pid != run.ClientPid {
				bad = append(bad, fmt.Sprintf("a row of another process than the client %d: %+v", run.ClientPid, f))
			}
		}
		if len(flows) != only.conns {
			bad = append(bad, fmt.Sprintf("%d rows, want the client's %d connections", len(flows), only.conns))
		}
		if summaries != 0 {
			bad = append(bad, "-S: a loadavg line")
		}
		reportProblems(t, only.label, bad, out, only.p)
	}

	once, stderr, code := runTool(t, "tcptop", "-S", "1", "1")
	if code != 0 || !strings.HasPrefix(once, "\x1b[H\x1b[2J\x1b[3JPID ") || !strings.HasSuffix(once, "\n\n") {
		t.Errorf("tcptop -S 1 1: exit %d, stdout %q, stderr %q: want one cleared report", code, once, stderr)
	}
}

func reportProblems(t *testing.T, label string, bad []string, out string, p *proc) {
	t.Helper()
	for _, b := range bad {
		t.Errorf("%s: %s", label, b)
	}
	if len(bad) > 0 {
		t.Logf("%s output:\n%s\nstderr:\n%s", label, out, p.Stderr())
	}
}

func TestTcptopBadInput(t *testing.T) {
	badInput(t, "tcptop", "-4 and -6 cannot be used together", "-4", "-6")
	badInput(t, "tcptop", "invalid interval", "0")
	badInput(t, "tcptop", "invalid sort method", "-s", "bytes")
	badInput(t, "tcptop", "invalid rows", "-r", "0")
	badInput(t, "tcptop", "invalid PID", "-p", "x")
	badInput(t, "tcptop", "unrecognized positional argument", "1", "2", "3")
}
