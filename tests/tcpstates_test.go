package tests

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// stateChange is one line of tcpstates, from text or JSON.
type stateChange struct {
	skaddr, comm, laddr, raddr, old, new string
	pid, lport, rport                    int
	ms                                   float64
}

func (s stateChange) String() string {
	return fmt.Sprintf("%s pid %d %s %s:%d %s:%d %s->%s %.3f", s.skaddr, s.pid, s.comm, s.laddr, s.lport, s.raddr, s.rport, s.old, s.new, s.ms)
}

func parseStatesText(t *testing.T, out string) []stateChange {
	t.Helper()
	var changes []stateChange
	for i, line := range readerLines(out) {
		f := fields(line)
		if i == 0 {
			if want := "SKADDR PID COMM LADDR LPORT RADDR RPORT OLDSTATE -> NEWSTATE MS"; strings.Join(f, " ") != want {
				t.Fatalf("header %q, want %q", line, want)
			}
			continue
		}
		if len(f) != 11 || f[8] != "->" {
			t.Fatalf("line %q: not 11 fields", line)
		}
		s := stateChange{skaddr: f[0], comm: f[2], laddr: f[3], raddr: f[5], old: f[7], new: f[9]}
		s.pid, _ = strconv.Atoi(f[1])
		s.lport, _ = strconv.Atoi(f[4])
		s.rport, _ = strconv.Atoi(f[6])
		s.ms, _ = strconv.ParseFloat(f[10], 64)
		changes = append(changes, s)
	}
	return changes
}

func parseStatesJSON(t *testing.T, out string) []stateChange {
	t.Helper()
	var changes []stateChange
	for _, l := range ofType(jsonLines(t, "tcpstates", out), "event") {
		changes = append(changes, stateChange{
			skaddr: l.str("skaddr"), comm: l.str("comm"), laddr: l.str("laddr"), raddr: l.str("raddr"),
			old: l.str("oldstate"), new: l.str("newstate"), pid: int(l.num("pid")),
			lport: int(l.num("lport")), rport: int(l.num("rport")), ms: l.num("old_state_us") / 1000,
		})
	}
	return changes
}

// socketLives cuts the changes into the lives of sockets: from a socket's first change seen
// to its change into CLOSE (after which the kernel may give its address to another socket).
func socketLives(changes []stateChange) [][]stateChange {
	var lives [][]stateChange
	open := map[string]int{}
	for _, c := range changes {
		i, ok := open[c.skaddr]
		if !ok {
			i = len(lives)
			lives = append(lives, nil)
			open[c.skaddr] = i
		}
		lives[i] = append(lives[i], c)
		if c.new == "CLOSE" {
			delete(open, c.skaddr)
		}
	}
	return lives
}

// lifeWith finds the life of one of the workload's sockets with a change matching match. A
// socket is the workload's when one of its changes ran in the server or the client (another
// test run may use the same addresses and ports in a namespace of its own).
func lifeWith(run *netRun, lives [][]stateChange, match func(stateChange) bool) []stateChange {
	for _, life := range lives {
		ours, matches := false, false
		for _, c := range life {
			ours = ours || c.pid == run.ServerPid || c.pid == run.ClientPid
			matches = matches || match(c)
		}
		if ours && matches {
			return life
		}
	}
	return nil
}

func transitions(life []stateChange) string {
	var s []string
	for i, c := range life {
		if i == 0 {
			s = append(s, c.old)
		}
		s = append(s, c.new)
	}
	return strings.Join(s, " -> ")
}

// checkStates checks every socket of the workload of one IP version: the client's, each
// accepted one, the listener and the refused connect. It returns the problems found (none when
// all was seen), so that the caller can wait for the tool to print everything.
func checkStates(run *netRun, changes []stateChange, version int) []string {
	var bad []string
	lives := socketLives(changes)
	loop, port := "127.0.0.1", run.Plan.Port4
	if version == 6 {
		loop, port = "::1", run.Plan.Port6
	}
	for _, conn := range run.connected(version) {
		client := lifeWith(run, lives, func(c stateChange) bool {
			return c.laddr == conn.Laddr && c.lport == conn.Lport && c.raddr == conn.Raddr && c.rport == conn.Rport
		})
		// The client closes first: FIN_WAIT1, then FIN_WAIT2 once the server acknowledged the
		// FIN, and CLOSE once the server's FIN came (TIME_WAIT is another socket's state).
		if got, want := transitions(client), "CLOSE -> SYN_SENT -> ESTABLISHED -> FIN_WAIT1 -> FIN_WAIT2 -> CLOSE"; got != want {
			bad = append(bad, fmt.Sprintf("client socket %v: %q, want %q: %v", conn, got, want, client))
			continue
		}
		if c := client[0]; c.pid != run.ClientPid || c.comm != run.ClientCom {
			bad = append(bad, fmt.Sprintf("connect seen as %v, want pid %d comm %s", c, run.ClientPid, run.ClientCom))
		}
		// ESTABLISHED lasted from the connect to past the client's hold.
		if ms := client[2].ms; ms < float64(run.Plan.Hold.Milliseconds()) || ms > 30000 {
			bad = append(bad, fmt.Sprintf("client spent %.3f ms ESTABLISHED, want at least the %s it held the connection", ms, run.Plan.Hold))
		}
		server := lifeWith(run, lives, func(c stateChange) bool {
			return c.laddr == loop && c.lport == port && c.raddr == conn.Laddr && c.rport == conn.Lport
		})
		if got, want := transitions(server), "LISTEN -> SYN_RECV -> ESTABLISHED -> CLOSE_WAIT -> LAST_ACK -> CLOSE"; got != want {
			bad = append(bad, fmt.Sprintf("server socket of %v: %q, want %q: %v", conn, got, want, server))
			continue
		}
		if c := server[3]; c.pid != run.ServerPid || c.comm != run.ServerComm {
			bad = append(bad, fmt.Sprintf("server's close seen as %v, want pid %d comm %s", c, run.ServerPid, run.ServerComm))
		}
	}
	listener := lifeWith(run, lives, func(c stateChange) bool { return c.new == "LISTEN" && c.laddr == loop && c.lport == port })
	if got, want := transitions(listener), "CLOSE -> LISTEN -> CLOSE"; got != want || listener[0].pid != run.ServerPid {
		bad = append(bad, fmt.Sprintf("listener on port %d: %q, want %q by pid %d: %v", port, got, want, run.ServerPid, listener))
	}
	refused := lifeWith(run, lives, func(c stateChange) bool { return c.raddr == loop && c.rport == run.Plan.Closed })
	if got, want := transitions(refused), "CLOSE -> SYN_SENT -> CLOSE"; got != want || refused[0].pid != run.ClientPid {
		bad = append(bad, fmt.Sprintf("refused connect to port %d: %q, want %q by pid %d: %v", run.Plan.Closed, got, want, run.ClientPid, refused))
	}
	return bad
}

// awaitChecks re-reads the output of the tool run as label until check finds nothing wrong,
// then stops the tool and checks its final output once more.
func awaitChecks(t *testing.T, label string, p *proc, check func(out string) []string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && len(check(p.Stdout())) > 0 {
		time.Sleep(100 * time.Millisecond)
	}
	out := p.stop()
	problems := check(out)
	for _, problem := range problems {
		t.Errorf("%s: %s", label, problem)
	}
	if len(problems) > 0 {
		t.Logf("%s output:\n%s\nstderr:\n%s", label, out, p.Stderr())
	}
	return out
}

// TestTcpstates runs tcpstates four ways on one workload: as it is, with --json -6 -w, with -L
// on the IPv4 listener's port, and with -w -T (the wide layout's columns).
func TestTcpstates(t *testing.T) {
	w := startNetWorkload(t, "st", defaultNetPlan)
	plain := start(t, "tcpstates")
	json6 := start(t, "tcpstates", "--json", "-6", "-w")
	local := start(t, "tcpstates", "-L", strconv.Itoa(w.run.Plan.Port4))
	wide := start(t, "tcpstates", "-w", "-T")
	run := w.finish()
	awaitChecks(t, "tcpstates", plain, func(out string) []string {
		changes := parseStatesText(t, out)
		return append(checkStates(run, changes, 4), checkStates(run, changes, 6)...)
	})
	awaitChecks(t, "tcpstates --json -6 -w", json6, func(out string) []string {
		changes := parseStatesJSON(t, out)
		bad := checkStates(run, changes, 6)
		for _, c := range changes {
			if strings.Contains(c.laddr, ".") {
				bad = append(bad, fmt.Sprintf("an IPv4 socket: %v", c))
			}
		}
		return bad
	})
	awaitChecks(t, "tcpstates -w -T", wide, func(out string) []string {
		lines := readerLines(out)
		header := "TIME(s)  SKADDR           PID     COMM             IP LADDR                                   LPORT " +
			"RADDR                                   RPORT OLDSTATE    -> NEWSTATE    MS"
		if len(lines) == 0 || lines[0] != header {
			return []string{fmt.Sprintf("header %q, want %q", lines, header)}
		}
		// The IPv6 listener's line, its columns where the header puts them.
		want := fmt.Sprintf("%-7d %-16s %-2d %-39s %-5d %-39s %-5d %-11s -> %-11s ", run.ServerPid, run.ServerComm, 6, "::1", run.Plan.Port6, "::", 0, "CLOSE", "LISTEN")
		for _, line := range lines[1:] {
			if len(line) > 9+17 && strings.HasPrefix(line[9+17:], want) {
				return nil
			}
		}
		return []string{fmt.Sprintf("no line with %q after its time and socket address", want)}
	})
	awaitChecks(t, "tcpstates -L", local, func(out string) []string {
		var bad []string
		changes := parseStatesText(t, out)
		for _, c := range changes {
			if c.lport != run.Plan.Port4 {
				bad = append(bad, fmt.Sprintf("another local port: %v", c))
			}
		}
		// What -L keeps: the listener's and the accepted sockets' changes.
		if n, want := len(changes), 2+5*len(run.connected(4)); n < want {
			bad = append(bad, fmt.Sprintf("%d changes on port %d, want at least %d", n, run.Plan.Port4, want))
		}
		return bad
	})
}

func TestTcpstatesBadInput(t *testing.T) {
	badInput(t, "tcpstates", "-4 and -6 cannot be used together", "-4", "-6")
	badInput(t, "tcpstates", "invalid local ports", "-L", "80,http")
	badInput(t, "tcpstates", "invalid remote ports", "-D", "65536")
	badInput(t, "tcpstates", "unrecognized positional argument", "1")
}
