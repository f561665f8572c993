package tests

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// The backlog workload, this test binary run again in a network namespace of its own: an IPv4
// and an IPv6 listener that never accept, each with its own backlog, and for each, as many
// connects as its accept queue holds (one more than the backlog: the kernel's queue is full
// beyond the limit), then synBacklogExtra more, whose SYNs the full queue drops.
func init() {
	if os.Getenv("BPFU_SYNBL_WORKLOAD") == "1" {
		os.Exit(backlogWorkload(os.Args[1:]))
	}
}

const synBacklogExtra = 2

// synBacklogs are the workload's listen backlogs, IPv4 then IPv6: unusual ones, so that
// other listeners of the system hardly share their histograms.
var synBacklogs = [2]int{11, 13}

func backlogWorkload(args []string) int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "backlog workload:", err); return 1 }
	port4, _ := strconv.Atoi(args[0])
	port6, _ := strconv.Atoi(args[1])
	if err := loopbackUp(); err != nil {
		return fail(err)
	}
	type listener struct {
		version, port, backlog int
		sa                     unix.Sockaddr
		family                 int
	}
	ls := []listener{
		{4, port4, synBacklogs[0], &unix.SockaddrInet4{Port: port4, Addr: [4]byte{127, 0, 0, 1}}, unix.AF_INET},
		{6, port6, synBacklogs[1], &unix.SockaddrInet6{Port: port6, Addr: [16]byte{15: 1}}, unix.AF_INET6},
	}
	for _, l := range ls {
		ln, err := listenOn(l.version, l.port, l.backlog)
		if err != nil {
			return fail(err)
		}
		defer ln.Close()
	}
	fmt.Printf("pid %d\n", os.Getpid())
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return fail(fmt.Errorf("not released: %w", err))
	}
	for _, l := range ls {
		for i := 0; i < l.backlog+1+synBacklogExtra; i++ {
			flags := unix.SOCK_STREAM | unix.SOCK_CLOEXEC
			if i > l.backlog {
				flags |= unix.SOCK_NONBLOCK
			}
			fd, err := unix.Socket(l.family, flags, 0)
			if err != nil {
				return fail(err)
			}
			defer unix.Close(fd)
			err = unix.Connect(fd, l.sa)
			if i > l.backlog && err == unix.EINPROGRESS {
				continue
			}
			if err != nil {
				return fail(fmt.Errorf("IPv%d connect %d of %d: %w", l.version, i+1, l.backlog+1, err))
			}
		}
	}
	fmt.Println("done")
	return 0
}

// runBacklogWorkload runs the workload once tools are started by started, until it is done.
func runBacklogWorkload(t *testing.T, started func()) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), workloadName("sb"))
	if err := os.Symlink(self, path); err != nil {
		t.Fatal(err)
	}
	base := 20000 + 3*(os.Getpid()%10000)
	cmd := exec.Command(path, strconv.Itoa(base), strconv.Itoa(base+1))
	cmd.Env = append(os.Environ(), "BPFU_SYNBL_WORKLOAD=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	release, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	out := bufio.NewReader(stdout)
	if line, _ := out.ReadString('\n'); !strings.HasPrefix(line, "pid ") {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("backlog workload said %q\nstderr:\n%s", line, stderr.String())
	}
	started()
	io.WriteString(release, "go\n")
	if line, _ := out.ReadString('\n'); line != "done\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("backlog workload said %q\nstderr:\n%s", line, stderr.String())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("backlog workload: %v\nstderr:\n%s", err, stderr.String())
	}
}

// checkBacklog checks one listener's histogram, by low bound of bucket: each of the queue
// lengths 0 to backlog seen once at least, and nothing longer than the queue holds (backlog+1
// sockets: the one completing its handshake finds at most backlog queued).
func checkBacklog(what string, backlog int, rows map[uint64]uint64) []string {
	var bad []string
	want := map[uint64]uint64{}
	for n := 0; n <= backlog; n++ {
		low := uint64(0)
		if n > 1 {
			low = 1 << (bits(n) - 1)
		}
		want[low]++
	}
	for low, n := range want {
		if rows[low] < n {
			bad = append(bad, fmt.Sprintf("%s: %d handshakes at queue lengths from %d, want at least %d", what, rows[low], low, n))
		}
	}
	for low, n := range rows {
		if n > 0 && low > uint64(backlog) {
			bad = append(bad, fmt.Sprintf("%s: %d handshakes at queue lengths from %d, beyond the backlog of %d", what, n, low, backlog))
		}
	}
	return bad
}

// bits is the number of significant bits of n.
func bits(n int) int {
	b := 0
	for ; n > 0; n >>= 1 {
		b++
	}
	return b
}

// TestTcpsynbl runs tcpsynbl three ways on the backlog workload: as it is, with --json -4 and
// with -6 -T; each must have a histogram per listener it traces, under its backlog.
func TestTcpsynbl(t *testing.T) {
	var plain, json4, v6 *proc
	runBacklogWorkload(t, func() {
		plain = start(t, "tcpsynbl")
		json4 = start(t, "tcpsynbl", "--json", "-4")
		v6 = start(t, "tcpsynbl", "-6", "-T")
	})
	out := plain.stop()
	t.Logf("tcpsynbl:\n%s", out)
	for i, backlog := range synBacklogs {
		caption := fmt.Sprintf("backlog_max = %d", backlog)
		h := histCaptioned(t, out, caption)
		for _, e := range checkBacklog(fmt.Sprintf("tcpsynbl, IPv%d %s", 4+2*i, caption), backlog, h.Rows) {
			t.Errorf("%s\n%s", e, out)
		}
		if h.Total > 0 && h.Label != "backlog" {
			t.Errorf("tcpsynbl: histogram of %q, want backlog", h.Label)
		}
	}

	out = v6.stop()
	if h := histCaptioned(t, out, fmt.Sprintf("backlog_max = %d", synBacklogs[0])); h.Total > 0 {
		t.Errorf("tcpsynbl -6 counted the IPv4 listener:\n%s", out)
	}
	for _, e := range checkBacklog("tcpsynbl -6", synBacklogs[1], histCaptioned(t, out, fmt.Sprintf("backlog_max = %d", synBacklogs[1])).Rows) {
		t.Errorf("%s\n%s", e, out)
	}
	if lines := readerLines(out); len(lines) < 3 || len(lines[2]) != 8 || strings.Count(lines[2], ":") != 2 {
		t.Errorf("tcpsynbl -T: no HH:MM:SS line after the report's empty line:\n%s", out)
	}

	out = json4.stop()
	rows := map[uint64]uint64{}
	for _, l := range ofType(jsonLines(t, "tcpsynbl", out), "histogram") {
		if l.str("unit") != "backlog" {
			t.Errorf("tcpsynbl --json: unit %q, want backlog", l.str("unit"))
		}
		switch l.label("backlog_max") {
		case strconv.Itoa(synBacklogs[1]):
			t.Errorf("tcpsynbl --json -4 counted the IPv6 listener: %v", l)
		case strconv.Itoa(synBacklogs[0]):
			bs, _ := l["buckets"].([]any)
			for _, b := range bs {
				m, _ := b.(map[string]any)
				low, _ := m["low"].(float64)
				n, _ := m["count"].(float64)
				rows[uint64(low)] += uint64(n)
			}
		}
	}
	for _, e := range checkBacklog("tcpsynbl --json -4", synBacklogs[0], rows) {
		t.Errorf("%s\n%s", e, out)
	}
}

func TestTcpsynblBadInput(t *testing.T) {
	badInput(t, "tcpsynbl", "-4 and -6 cannot be used together", "-4", "-6")
	badInput(t, "tcpsynbl", "invalid interval", "0")
	badInput(t, "tcpsynbl", "invalid count", "1", "x")
	badInput(t, "tcpsynbl", "unrecognized positional argument", "1", "2", "3")
}
