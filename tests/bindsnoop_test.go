package tests

import (
	"fmt"
	"strings"
	"testing"
)

// bindLine is one bind bindsnoop reported, from text or JSON.
type bindLine struct {
	pid, ret, port                 int
	comm, proto, opts, addr, iface string
}

func parseBindText(t *testing.T, out string) []bindLine {
	t.Helper()
	var lines []bindLine
	for i, line := range readerLines(out) {
		if i == 0 {
			if want := "PID     COMM             RET PROTO OPTS  IF   PORT  ADDR" + strings.Repeat(" ", 44); line != want {
				t.Fatalf("header %q, want %q", line, want)
			}
			continue
		}
		f := fields(line)
		if len(f) != 8 || len(line) < 7+1+16+1+3+1+5+1+5+1+4+1+5+1+48 {
			t.Fatalf("line %q: not 8 fields, or narrower than the header", line)
		}
		var b bindLine
		fmt.Sscan(f[0], &b.pid)
		fmt.Sscan(f[2], &b.ret)
		fmt.Sscan(f[6], &b.port)
		b.comm, b.proto, b.opts, b.iface, b.addr = f[1], f[3], f[4], f[5], f[7]
		lines = append(lines, b)
	}
	return lines
}

// checkBinds checks the server's binds: the IPv4 listener's (no options), the IPv6 one's
// (SO_REUSEADDR), and with failed the second IPv4 bind, refused with EADDRINUSE (-98).
func checkBinds(run *netRun, lines []bindLine, failed bool) []string {
	want := map[string]int{
		fmt.Sprintf("%s ret 0 TCP ..... if 0 port %d 127.0.0.1", run.ServerComm, run.Plan.Port4): 1,
		fmt.Sprintf("%s ret 0 TCP ...R. if 0 port %d ::1", run.ServerComm, run.Plan.Port6):       1,
	}
	if failed {
		want[fmt.Sprintf("%s ret -98 TCP ..... if 0 port 0 0.0.0.0", run.ServerComm)] = 1
	}
	got := map[string]int{}
	for _, l := range lines {
		if l.pid == run.ServerPid {
			got[fmt.Sprintf("%s ret %d %s %s if %s port %d %s", l.comm, l.ret, l.proto, l.opts, l.iface, l.port, l.addr)]++
		}
		if l.pid == run.ClientPid {
			got[fmt.Sprintf("client bound %+v", l)]++
		}
	}
	return countMismatches("bind", want, got)
}

// TestBindsnoop runs bindsnoop four ways on one workload: as it is, with --json -x -t, with -P
// on the IPv6 listener's port, and with -x -p of the server.
func TestBindsnoop(t *testing.T) {
	w := startNetWorkload(t, "bs", defaultNetPlan)
	plain := start(t, "bindsnoop")
	jsonX := start(t, "bindsnoop", "--json", "-x", "-t")
	port := start(t, "bindsnoop", "-P", fmt.Sprint(w.run.Plan.Port6))
	server := start(t, "bindsnoop", "-x", "-p", fmt.Sprint(w.run.ServerPid))
	run := w.finish()
	awaitChecks(t, "bindsnoop", plain, func(out string) []string { return checkBinds(run, parseBindText(t, out), false) })
	awaitChecks(t, "bindsnoop --json -x -t", jsonX, func(out string) []string {
		var lines []bindLine
		for _, l := range ofType(jsonLines(t, "bindsnoop", out), "event") {
			lines = append(lines, bindLine{pid: int(l.num("pid")), ret: int(l.num("ret")), port: int(l.num("port")),
				comm: l.str("comm"), proto: l.str("proto"), opts: l.str("opts"), addr: l.str("addr"),
				iface: fmt.Sprint(l.num("bound_dev_if"))})
		}
		return checkBinds(run, lines, true)
	})
	awaitChecks(t, "bindsnoop -P", port, func(out string) []string {
		var bad []string
		seen := false
		for _, l := range parseBindText(t, out) {
			if l.port != run.Plan.Port6 {
				bad = append(bad, fmt.Sprintf("another port: %+v", l))
			}
			seen = seen || l.pid == run.ServerPid
		}
		if !seen {
			bad = append(bad, "the server's bind to the port is missing")
		}
		return bad
	})
	awaitChecks(t, "bindsnoop -x -p", server, func(out string) []string {
		lines := parseBindText(t, out)
		bad := checkBinds(run, lines, true)
		for _, l := range lines {
			if l.pid != run.ServerPid {
				bad = append(bad, fmt.Sprintf("another pid than %d: %+v", run.ServerPid, l))
			}
		}
		return bad
	})
}

func TestBindsnoopBadInput(t *testing.T) {
	badInput(t, "bindsnoop", "invalid ports", "-P", "http")
	badInput(t, "bindsnoop", "invalid PID", "-p", "-3")
	badInput(t, "bindsnoop", "unrecognized positional argument", "1")
}
