package tests

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// histCaptioned finds the histogram captioned caption in a tool's text output (tcprtt,
// tcpsynbl); a zero histogram when there is none (a caption without counts prints no histogram).
func histCaptioned(t *testing.T, out, caption string) histogram {
	t.Helper()
	for _, h := range parseHists(t, out) {
		if strings.TrimSpace(h.Caption) == caption {
			return h
		}
	}
	return histogram{}
}

// checkRTTs checks a histogram of loopback RTTs: at least min segments, each under a second.
func checkRTTs(what string, h histogram, min uint64) []string {
	var bad []string
	if h.Total < min {
		bad = append(bad, fmt.Sprintf("%s: %d segments counted, want at least %d", what, h.Total, min))
	}
	for _, b := range h.Buckets {
		if b.Count > 0 && b.Low >= 1000000 {
			bad = append(bad, fmt.Sprintf("%s: %d segments of an RTT from %d us on loopback", what, b.Count, b.Low))
		}
	}
	return bad
}

// TestTcprtt runs tcprtt on the network workload, each instance filtered by the workload's
// ports (tcprtt sees every socket of the system): the server's sockets by local port, per
// remote address; the client's by remote port and local address, in JSON with -e; the
// IPv6 ones only with -6. Every connection's server side receives the client's data, and its
// client side the server's reply, each on an established socket: at least one segment per
// connection and side.
func TestTcprtt(t *testing.T) {
	w := startNetWorkload(t, "rt", defaultNetPlan)
	plan := w.run.Plan
	ports := fmt.Sprintf("%d,%d", plan.Port4, plan.Port6)
	server := start(t, "tcprtt", "-p", ports, "-B")
	client := start(t, "tcprtt", "--json", "-P", strconv.Itoa(plan.Port4), "-a", "127.0.0.1", "-b", "-e")
	v6 := start(t, "tcprtt", "-6", "-p", ports, "-m", "-T")
	none := start(t, "tcprtt", "-6", "-p", strconv.Itoa(plan.Port4))
	w.finish()
	conns := uint64(plan.Conns)

	out := server.stop()
	t.Logf("tcprtt -B:\n%s", out)
	for _, addr := range []string{"127.0.0.1", "::1"} {
		for _, e := range checkRTTs("tcprtt -B, remote "+addr, histCaptioned(t, out, "Remote Address = "+addr), conns) {
			t.Errorf("%s\n%s", e, out)
		}
	}
	if strings.Contains(out, "All Addresses") || strings.Contains(out, "Local Address") {
		t.Errorf("tcprtt -B printed another kind of histogram:\n%s", out)
	}

	out = v6.stop()
	t.Logf("tcprtt -6 -m -T:\n%s", out)
	all := histCaptioned(t, out, "All Addresses = ******")
	for _, e := range checkRTTs("tcprtt -6 -m", all, conns) {
		t.Errorf("%s\n%s", e, out)
	}
	if all.Label != "msecs" {
		t.Errorf("tcprtt -m: unit %q, want msecs\n%s", all.Label, out)
	}
	if lines := readerLines(out); len(lines) < 3 || len(lines[2]) != 8 || strings.Count(lines[2], ":") != 2 {
		t.Errorf("tcprtt -T: no HH:MM:SS line after the report's empty line:\n%s", out)
	}

	// IPv6 only, on the IPv4 server's port: nothing, not even a caption.
	if out := none.stop(); strings.TrimSpace(out) != "Tracing TCP RTT... Hit Ctrl-C to end." {
		t.Errorf("tcprtt -6 -p %d saw IPv4 sockets:\n%s", plan.Port4, out)
	}

	out = client.stop()
	t.Logf("tcprtt --json -b -e:\n%s", out)
	lines := jsonLines(t, "tcprtt", out)
	var hists, avgs []jsonLine
	for _, l := range ofType(lines, "histogram") {
		if l.label("laddr") == "127.0.0.1" && l.str("unit") == "usecs" {
			hists = append(hists, l)
		} else {
			t.Errorf("tcprtt -a 127.0.0.1 -b: histogram of another address or unit: %v", l)
		}
	}
	if len(hists) != 1 || uint64(hists[0].bucketTotal()) < conns {
		t.Errorf("tcprtt --json -b: want one histogram of 127.0.0.1 with at least %d segments:\n%s", conns, out)
	}
	for _, l := range ofType(lines, "table") {
		if l.str("laddr") == "127.0.0.1" {
			avgs = append(avgs, l)
		}
	}
	if len(avgs) != 1 || avgs[0].num("count") < float64(conns) || avgs[0].num("avg") >= 1e6 || avgs[0].str("unit") != "usecs" {
		t.Errorf("tcprtt --json -e: want one average of 127.0.0.1 over at least %d segments:\n%s", conns, out)
	} else if len(hists) == 1 && avgs[0].num("count") != hists[0].bucketTotal() {
		t.Errorf("tcprtt --json -e: average over %v segments, histogram of %v", avgs[0].num("count"), hists[0].bucketTotal())
	}
}

// TestTcprttDuration: -d ends tcprtt by itself, after its one report.
func TestTcprttDuration(t *testing.T) {
	p := start(t, "tcprtt", "-d", "1", "-T")
	out := p.wait(20 * time.Second)
	lines := readerLines(out)
	if len(lines) < 3 || lines[0] != "Tracing TCP RTT for 1 secs." || lines[1] != "" || len(lines[2]) != 8 {
		t.Errorf("tcprtt -d 1 -T printed:\n%s", out)
	}
}

func TestTcprttBadInput(t *testing.T) {
	badInput(t, "tcprtt", "-b and -B cannot be used together", "-b", "-B")
	badInput(t, "tcprtt", "It is not permitted to filter by both IPv4 and IPv6", "-a", "127.0.0.1", "-A", "::1")
	badInput(t, "tcprtt", "invalid local address", "-a", "localhost")
	badInput(t, "tcprtt", "invalid lport", "-p", "0")
	badInput(t, "tcprtt", "invalid interval", "-i", "0")
	badInput(t, "tcprtt", "invalid duration", "-d", "x")
	badInput(t, "tcprtt", "-4 and -6 cannot be used together", "-4", "-6")
	badInput(t, "tcprtt", "would trace nothing", "-6", "-A", "10.0.0.1")
	badInput(t, "tcprtt", "unrecognized positional argument", "1")
}

// The delayed-link workload: a server in a network namespace of its own and a client in
// another, joined by a veth pair whose server end delays every packet it sends by
// delayedLinkMs (tc netem): every round trip between them takes at least that long.
func init() {
	switch os.Getenv("BPFU_DELAY_WORKLOAD") {
	case "server":
		os.Exit(delayServer(os.Args[1:]))
	case "client":
		os.Exit(delayClient(os.Args[1:]))
	}
}

const delayedLinkMs = 50

// delayedLink addresses: the server's end, then the client's.
var delayedLink = [2]struct{ v4, v6 string }{{"10.201.0.1", "fd00:201::1"}, {"10.201.0.2", "fd00:201::2"}}

// configureLink gives one end of the veth pair its addresses and brings it up.
func configureLink(dev string, end int) error {
	for _, args := range [][]string{
		{"addr", "add", delayedLink[end].v4 + "/24", "dev", dev},
		{"-6", "addr", "add", delayedLink[end].v6 + "/64", "dev", dev, "nodad"},
		{"link", "set", dev, "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
		}
	}
	return nil
}

// delayServer makes the veth pair (its peer in the client's namespace), delays its own end,
// listens, lets the client configure its end, says "ready" and relays the client's lines. A
// kernel or tc without netem (or veth) is "skip" and a clean exit.
func delayServer(args []string) int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "delay server:", err); return 1 }
	port4, _ := strconv.Atoi(args[1])
	port6, _ := strconv.Atoi(args[2])
	client := exec.Command(args[0], args[1:]...)
	client.Env = append(os.Environ(), "BPFU_DELAY_WORKLOAD=client")
	client.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	client.Stderr = os.Stderr
	toClient, err := client.StdinPipe()
	if err != nil {
		return fail(err)
	}
	fromClient, err := client.StdoutPipe()
	if err != nil {
		return fail(err)
	}
	if err := client.Start(); err != nil {
		return fail(err)
	}
	defer client.Process.Kill()
	for _, args := range [][]string{
		{"ip", "link", "add", "vs", "type", "veth", "peer", "name", "vc", "netns", strconv.Itoa(client.Process.Pid)},
		{"tc", "qdisc", "add", "dev", "vs", "root", "netem", "delay", strconv.Itoa(delayedLinkMs) + "ms"},
	} {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			fmt.Printf("skip %s: %v: %s\n", strings.Join(args, " "), err, bytes.ReplaceAll(bytes.TrimSpace(out), []byte("\n"), []byte(" ")))
			return 0
		}
	}
	if err := configureLink("vs", 0); err != nil {
		return fail(err)
	}
	var listeners []net.Listener
	for _, l := range []struct {
		network, addr string
		port          int
	}{{"tcp4", delayedLink[0].v4, port4}, {"tcp6", delayedLink[0].v6, port6}} {
		ln, err := net.Listen(l.network, net.JoinHostPort(l.addr, strconv.Itoa(l.port)))
		if err != nil {
			return fail(err)
		}
		listeners = append(listeners, ln)
	}
	replies := bufio.NewReader(fromClient)
	io.WriteString(toClient, "configure\n")
	if line, err := replies.ReadString('\n'); line != "configured\n" {
		return fail(fmt.Errorf("client said %q (%v)", line, err))
	}
	fmt.Printf("server %d\nclient %d\n", os.Getpid(), client.Process.Pid)
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return fail(fmt.Errorf("not released: %w", err))
	}
	done := make(chan error, len(listeners))
	for _, ln := range listeners {
		go func() {
			c, err := ln.Accept()
			if err == nil {
				err = serveConn(c, netPlan{Send: 1000, Reply: 1000})
			}
			done <- err
		}()
	}
	io.WriteString(toClient, "go\n")
	io.Copy(os.Stdout, replies)
	if err := client.Wait(); err != nil {
		return fail(fmt.Errorf("client: %w", err))
	}
	for range listeners {
		if err := <-done; err != nil {
			return fail(err)
		}
	}
	return 0
}

// delayClient configures its end of the link when told to, then on "go" makes one connection
// to each of the server's addresses, sends, reads the reply and closes, saying "conn".
func delayClient(args []string) int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "delay client:", err); return 1 }
	in := bufio.NewReader(os.Stdin)
	if _, err := in.ReadString('\n'); err != nil {
		return fail(err)
	}
	if err := configureLink("vc", 1); err != nil {
		return fail(err)
	}
	fmt.Println("configured")
	if _, err := in.ReadString('\n'); err != nil {
		return fail(err)
	}
	for i, dst := range []struct{ network, addr string }{{"tcp4", delayedLink[0].v4}, {"tcp6", delayedLink[0].v6}} {
		c, err := net.DialTimeout(dst.network, net.JoinHostPort(dst.addr, args[i]), 30*time.Second)
		if err != nil {
			return fail(err)
		}
		l, r := c.LocalAddr().(*net.TCPAddr), c.RemoteAddr().(*net.TCPAddr)
		if _, err := c.Write(bytes.Repeat([]byte{'s'}, 1000)); err != nil {
			return fail(err)
		}
		if _, err := io.ReadFull(c, make([]byte, 1000)); err != nil {
			return fail(err)
		}
		c.Close()
		fmt.Printf("conn %d %s %d %s %d\n", 4+2*i, l.IP, l.Port, r.IP, r.Port)
	}
	return 0
}

// TestTcprttDelayedLink checks that tcprtt and tcpconnlat see the round trip a delayed link imposes:
// every RTT tcprtt counts on the workload's sockets, and every connect's latency, is at least
// the link's delay. It needs iproute2's ip and tc, veth and sch_netem: the host has no netem;
// the vmtest guests load it.
func TestTcprttDelayedLink(t *testing.T) {
	need(t, "ip", "tc")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	plan := defaultNetPlan
	dir := t.TempDir()
	client, serverPath := filepath.Join(dir, workloadName("dlC")), filepath.Join(dir, workloadName("dlS"))
	for _, p := range []string{client, serverPath} {
		if err := os.Symlink(self, p); err != nil {
			t.Fatal(err)
		}
	}
	server := exec.Command(serverPath, client, strconv.Itoa(plan.Port4), strconv.Itoa(plan.Port6))
	server.Env = append(os.Environ(), "BPFU_DELAY_WORKLOAD=server")
	server.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	var stderr bytes.Buffer
	server.Stderr = &stderr
	release, err := server.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := server.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Process.Kill(); server.Wait() })
	said := bufio.NewReader(stdout)
	read := func() []string {
		line, err := said.ReadString('\n')
		if err != nil && line == "" {
			server.Process.Kill()
			server.Wait()
			t.Fatalf("delayed-link workload ended: %v\nstderr:\n%s", err, stderr.String())
		}
		return strings.Fields(line)
	}
	var clientPid string
	for f := read(); ; f = read() {
		if f[0] == "skip" {
			t.Skipf("no delayed link here: %s", strings.Join(f[1:], " "))
		}
		if f[0] == "client" {
			clientPid = f[1]
			break
		}
	}

	ports := fmt.Sprintf("%d,%d", plan.Port4, plan.Port6)
	clientRTT := start(t, "tcprtt", "-P", ports, "-B")
	serverRTT := start(t, "tcprtt", "-p", ports, "-m")
	connLat := start(t, "tcpconnlat", "-L", "-p", clientPid)
	io.WriteString(release, "go\n")
	var conns [][]string
	for len(conns) < 2 {
		f := read()
		if f[0] != "conn" || len(f) != 6 {
			t.Fatalf("delayed-link workload said %q\nstderr:\n%s", f, stderr.String())
		}
		conns = append(conns, f)
	}
	if err := server.Wait(); err != nil {
		t.Fatalf("delayed-link workload: %v\nstderr:\n%s", err, stderr.String())
	}

	out := clientRTT.stop()
	for _, addr := range []string{delayedLink[0].v4, delayedLink[0].v6} {
		h := histCaptioned(t, out, "Remote Address = "+addr)
		if h.Total == 0 {
			t.Errorf("tcprtt -B: no RTT of the client's socket to %s\n%s", addr, out)
		}
		for _, b := range h.Buckets {
			if b.Count > 0 && b.High < delayedLinkMs*1000 {
				t.Errorf("tcprtt: %d RTTs of %d-%d us to %s, on a link delayed %d ms\n%s", b.Count, b.Low, b.High, addr, delayedLinkMs, out)
			}
		}
	}
	out = serverRTT.stop()
	h := histCaptioned(t, out, "All Addresses = ******")
	if h.Total == 0 || h.Label != "msecs" {
		t.Errorf("tcprtt -m: no RTT of the server's sockets\n%s", out)
	}
	for _, b := range h.Buckets {
		if b.Count > 0 && b.High < delayedLinkMs {
			t.Errorf("tcprtt -m: %d RTTs of %d-%d ms on a link delayed %d ms\n%s", b.Count, b.Low, b.High, delayedLinkMs, out)
		}
	}
	awaitChecks(t, "tcpconnlat -L -p", connLat, func(out string) []string {
		var bad []string
		seen := 0
		for _, l := range parseConnLatText(t, out) {
			for _, c := range conns {
				if strconv.Itoa(l.lport) == c[3] && l.daddr == c[4] && strconv.Itoa(l.dport) == c[5] {
					seen++
					if l.ms < delayedLinkMs {
						bad = append(bad, fmt.Sprintf("connect %+v took less than the link's %d ms", l, delayedLinkMs))
					}
				}
			}
		}
		if seen != len(conns) {
			bad = append(bad, fmt.Sprintf("%d of the %d connects seen", seen, len(conns)))
		}
		return bad
	})
}
