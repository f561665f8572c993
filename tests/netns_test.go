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
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The network workload is this test binary run again, told by BPFU_NET_WORKLOAD to be a TCP
// server (in a network namespace of its own, made at its clone) or its client. The network
// tools see every namespace, so the test knows exactly which connections are its own: those
// of its two comms, on ports nothing else in that empty namespace uses.
func init() {
	switch os.Getenv("BPFU_NET_WORKLOAD") {
	case "server":
		os.Exit(netServer(os.Args[1:]))
	case "client":
		os.Exit(netClient(os.Args[1:]))
	}
}

// netPlan is what the workload does, the same for IPv4 (127.0.0.1) and IPv6 (::1): a listener
// bound to its port with backlog Backlog (the IPv6 one with SO_REUSEADDR; a second bind to the
// IPv4 port fails with EADDRINUSE), Conns connections to it from the client, each sending
// Send bytes and receiving Reply bytes, held open Hold after that, and one connect to the
// closed port Closed, refused.
type netPlan struct {
	Port4, Port6, Closed int
	Backlog, Conns       int
	Send, Reply          int
	Hold                 time.Duration
}

// defaultNetPlan's ports depend on the test process, so that two test runs at once (each in
// its namespace) make flows that tcpconnect -c tells apart.
var defaultNetPlan = func() netPlan {
	base := 20000 + 3*(os.Getpid()%10000)
	return netPlan{Port4: base, Port6: base + 1, Closed: base + 2, Backlog: 37, Conns: 2, Send: 5120, Reply: 2560, Hold: 100 * time.Millisecond}
}()

func (p netPlan) args() []string {
	return []string{strconv.Itoa(p.Port4), strconv.Itoa(p.Port6), strconv.Itoa(p.Closed), strconv.Itoa(p.Backlog),
		strconv.Itoa(p.Conns), strconv.Itoa(p.Send), strconv.Itoa(p.Reply), p.Hold.String()}
}

func parseNetPlan(args []string) (netPlan, error) {
	if len(args) != 8 {
		return netPlan{}, fmt.Errorf("want 8 plan arguments, got %d", len(args))
	}
	var n [7]int
	for i := range n {
		v, err := strconv.Atoi(args[i])
		if err != nil {
			return netPlan{}, err
		}
		n[i] = v
	}
	hold, err := time.ParseDuration(args[7])
	return netPlan{n[0], n[1], n[2], n[3], n[4], n[5], n[6], hold}, err
}

// netConn is one connection the client made, as it reported it.
type netConn struct {
	Version      int // 4 or 6
	Laddr, Raddr string
	Lport, Rport int
	Refused      bool
}

// netRun is what a run of the workload reported.
type netRun struct {
	Plan                  netPlan
	ServerPid, ClientPid  int
	ServerComm, ClientCom string
	Conns                 []netConn // in the order made: IPv4 ones, the refused IPv4 one, then IPv6
}

// connected returns the connections that were accepted, of one IP version (0: both).
func (r *netRun) connected(version int) []netConn {
	var out []netConn
	for _, c := range r.Conns {
		if !c.Refused && (version == 0 || c.Version == version) {
			out = append(out, c)
		}
	}
	return out
}

// refused returns the refused connection attempts.
func (r *netRun) refused() []netConn {
	var out []netConn
	for _, c := range r.Conns {
		if c.Refused {
			out = append(out, c)
		}
	}
	return out
}

// runNetWorkload runs the server (which runs the client) to completion under comms made from
// prefix ("S" and "C" appended), and returns what they reported.
func runNetWorkload(t *testing.T, prefix string, plan netPlan) *netRun {
	t.Helper()
	return startNetWorkload(t, prefix, plan).finish()
}

// netWorkload is a started workload, its pids known, waiting for the test to let it work.
type netWorkload struct {
	t      *testing.T
	run    *netRun
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *bufio.Reader
	stderr bytes.Buffer
}

// startNetWorkload starts the server and the client; they say their pids and wait for finish,
// so that a tool can be started with them (-p).
func startNetWorkload(t *testing.T, prefix string, plan netPlan) *netWorkload {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	w := &netWorkload{t: t, run: &netRun{Plan: plan, ServerComm: workloadName(prefix + "S"), ClientCom: workloadName(prefix + "C")}}
	server, client := filepath.Join(dir, w.run.ServerComm), filepath.Join(dir, w.run.ClientCom)
	for _, p := range []string{server, client} {
		if err := os.Symlink(self, p); err != nil {
			t.Fatal(err)
		}
	}
	w.cmd = exec.Command(server, append([]string{client}, plan.args()...)...)
	w.cmd.Env = append(os.Environ(), "BPFU_NET_WORKLOAD=server")
	w.cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	w.cmd.Stderr = &w.stderr
	if w.stdin, err = w.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := w.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if w.cmd.ProcessState == nil {
			w.cmd.Process.Kill()
			w.cmd.Wait()
		}
	})
	w.out = bufio.NewReader(stdout)
	for w.run.ServerPid == 0 || w.run.ClientPid == 0 {
		w.parse(w.line())
	}
	return w
}

// line reads the workload's next line ("" at its end).
func (w *netWorkload) line() string {
	w.t.Helper()
	got := make(chan string, 1)
	go func() {
		s, _ := w.out.ReadString('\n')
		got <- strings.TrimSpace(s)
	}()
	select {
	case s := <-got:
		return s
	case <-time.After(60 * time.Second):
		w.t.Fatalf("network workload hung\nstderr:\n%s", w.stderr.String())
	}
	return ""
}

func (w *netWorkload) parse(line string) {
	w.t.Helper()
	f := strings.Fields(line)
	switch {
	case len(f) == 2 && f[0] == "server":
		w.run.ServerPid, _ = strconv.Atoi(f[1])
	case len(f) == 2 && f[0] == "client":
		w.run.ClientPid, _ = strconv.Atoi(f[1])
	case len(f) == 6 && (f[0] == "conn" || f[0] == "refused"):
		c := netConn{Laddr: f[2], Raddr: f[4], Refused: f[0] == "refused"}
		c.Version, _ = strconv.Atoi(f[1])
		c.Lport, _ = strconv.Atoi(f[3])
		c.Rport, _ = strconv.Atoi(f[5])
		w.run.Conns = append(w.run.Conns, c)
	default:
		w.cmd.Process.Kill()
		w.cmd.Wait()
		w.t.Fatalf("network workload said %q\nstderr:\n%s", line, w.stderr.String())
	}
}

// finish lets the workload work, waits for its end and returns what it reported.
func (w *netWorkload) finish() *netRun {
	w.t.Helper()
	if _, err := io.WriteString(w.stdin, "go\n"); err != nil {
		w.t.Fatal(err)
	}
	for line := w.line(); line != ""; line = w.line() {
		w.parse(line)
	}
	if err := w.cmd.Wait(); err != nil {
		w.t.Fatalf("network workload: %v\nstderr:\n%s", err, w.stderr.String())
	}
	run := w.run
	if len(run.connected(0)) != 2*run.Plan.Conns || len(run.refused()) != 2 {
		w.t.Fatalf("network workload reported %+v", run)
	}
	return run
}

// loopbackUp brings up lo in a new network namespace, where it starts down.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

// listenOn binds and listens with the plan's backlog through the system calls themselves, so
// that bind and listen see exactly the port and backlog the test asserts.
func listenOn(version, port, backlog int) (net.Listener, error) {
	var (
		fd  int
		err error
		sa  unix.Sockaddr
	)
	if version == 4 {
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		sa = &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}
	} else {
		fd, err = unix.Socket(unix.AF_INET6, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		sa = &unix.SockaddrInet6{Port: port, Addr: [16]byte{15: 1}}
	}
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "listener")
	defer f.Close()
	// SO_REUSEADDR on the IPv6 listener only, for bindsnoop's OPTS column: "...R." and ".....".
	if version == 6 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			return nil, err
		}
	}
	if err := unix.Bind(fd, sa); err != nil {
		return nil, fmt.Errorf("bind port %d: %w", port, err)
	}
	if err := unix.Listen(fd, backlog); err != nil {
		return nil, err
	}
	return net.FileListener(f)
}

// failedBind binds a second socket to the listener's port: EADDRINUSE.
func failedBind(port int) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != unix.EADDRINUSE {
		return fmt.Errorf("second bind to port %d: %v, want EADDRINUSE", port, err)
	}
	return nil
}

func netServer(args []string) int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "server:", err); return 1 }
	if len(args) < 1 {
		return fail(fmt.Errorf("no client program"))
	}
	plan, err := parseNetPlan(args[1:])
	if err != nil {
		return fail(err)
	}
	if err := loopbackUp(); err != nil {
		return fail(fmt.Errorf("bring lo up: %w", err))
	}
	// The client starts first and waits, so that both pids are known before anything happens.
	client := exec.Command(args[0], args[1:]...)
	client.Env = append(os.Environ(), "BPFU_NET_WORKLOAD=client")
	client.Stdout, client.Stderr = os.Stdout, os.Stderr
	release, err := client.StdinPipe()
	if err != nil {
		return fail(err)
	}
	if err := client.Start(); err != nil {
		return fail(fmt.Errorf("client: %w", err))
	}
	defer client.Process.Kill()
	fmt.Printf("server %d\n", os.Getpid())
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return fail(fmt.Errorf("not released: %w", err))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*plan.Conns+2)
	for _, l := range []struct{ version, port int }{{4, plan.Port4}, {6, plan.Port6}} {
		ln, err := listenOn(l.version, l.port, plan.Backlog)
		if err != nil {
			return fail(err)
		}
		if l.version == 4 {
			if err := failedBind(l.port); err != nil {
				return fail(err)
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer ln.Close()
			for i := 0; i < plan.Conns; i++ {
				c, err := ln.Accept()
				if err != nil {
					errs <- err
					return
				}
				if err := serveConn(c, plan); err != nil {
					errs <- err
				}
			}
		}()
	}
	if _, err := io.WriteString(release, "go\n"); err != nil {
		return fail(err)
	}
	if err := client.Wait(); err != nil {
		return fail(fmt.Errorf("client: %w", err))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return fail(err)
	}
	return 0
}

// serveConn reads the client's bytes, replies, and closes once the client closed: the client
// closes first, so the server's side passes through CLOSE_WAIT and LAST_ACK.
func serveConn(c net.Conn, plan netPlan) error {
	defer c.Close()
	if _, err := io.ReadFull(c, make([]byte, plan.Send)); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if _, err := c.Write(bytes.Repeat([]byte{'r'}, plan.Reply)); err != nil {
		return fmt.Errorf("reply: %w", err)
	}
	if n, _ := io.Copy(io.Discard, c); n != 0 {
		return fmt.Errorf("%d bytes more than planned", n)
	}
	return nil
}

func netClient(args []string) int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "client:", err); return 1 }
	plan, err := parseNetPlan(args)
	if err != nil {
		return fail(err)
	}
	fmt.Printf("client %d\n", os.Getpid())
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return fail(fmt.Errorf("not released: %w", err))
	}
	for _, v := range []struct {
		version    int
		host       string
		port, shut int
	}{{4, "127.0.0.1", plan.Port4, plan.Closed}, {6, "::1", plan.Port6, plan.Closed}} {
		network := "tcp" + strconv.Itoa(v.version)
		for i := 0; i < plan.Conns; i++ {
			c, err := net.Dial(network, net.JoinHostPort(v.host, strconv.Itoa(v.port)))
			if err != nil {
				return fail(err)
			}
			l, r := c.LocalAddr().(*net.TCPAddr), c.RemoteAddr().(*net.TCPAddr)
			if _, err := c.Write(bytes.Repeat([]byte{'s'}, plan.Send)); err != nil {
				return fail(err)
			}
			if _, err := io.ReadFull(c, make([]byte, plan.Reply)); err != nil {
				return fail(err)
			}
			time.Sleep(plan.Hold)
			c.Close()
			fmt.Printf("conn %d %s %d %s %d\n", v.version, l.IP, l.Port, r.IP, r.Port)
		}
		if c, err := net.Dial(network, net.JoinHostPort(v.host, strconv.Itoa(v.shut))); err == nil {
			c.Close()
			return fail(fmt.Errorf("connect to closed port %d succeeded", v.shut))
		}
		fmt.Printf("refused %d %s 0 %s %d\n", v.version, v.host, v.host, v.shut)
	}
	return 0
}

// readerLines splits text into lines (for tools' output).
func readerLines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// startSilent runs a tool that prints nothing until it ends (tcpconnect -c) and waits until it
// attached, as the hook log it writes after attaching tells.
func startSilent(t *testing.T, tool string, args ...string) *proc {
	t.Helper()
	p, hooks := launchTool(t, tool, args...)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if data, _ := os.ReadFile(hooks); len(data) > 0 {
			break
		}
		select {
		case <-p.done:
			t.Fatalf("%s %v exited before attaching: %v\nstderr: %s", tool, args, p.err, p.Stderr())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %v did not attach in 20s\nstderr: %s", tool, args, p.Stderr())
		}
	}
	checkHooks(t, tool, hooks)
	return p
}
