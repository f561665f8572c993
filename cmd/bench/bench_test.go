package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestHistogramTotal(t *testing.T) {
	out := `Tracing block device I/O... Hit Ctrl-C to end.
^C
     usecs               : count    distribution
         0 -> 1          : 0        |                                        |
        16 -> 31         : 12       |****                                    |
        32 -> 63         : 100      |****************************************|
      1024 -> 2047       : 3        |*                                       |
`
	if got := histogramTotal(out); got != 115 {
		t.Errorf("histogramTotal = %d, want 115", got)
	}
}

func TestLostReported(t *testing.T) {
	for _, tc := range []struct {
		stderr string
		want   int64
	}{
		{"", 0},
		{"Lost 12 events!\n", 12},
		{"lost 3 events on CPU #1\nLost 4 events on CPU #0!\n", 7},
		{"warning: something else\n", 0},
	} {
		if got := lostReported(tc.stderr); got != tc.want {
			t.Errorf("lostReported(%q) = %d, want %d", tc.stderr, got, tc.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	for _, tc := range []struct {
		in          []float64
		lo, med, hi float64
	}{
		{[]float64{3}, 3, 3, 3},
		{[]float64{5, 1, 3}, 1, 3, 5},
		{[]float64{4, 1, 3, 2}, 1, 2.5, 4},
	} {
		lo, med, hi := summarize(tc.in)
		if lo != tc.lo || med != tc.med || hi != tc.hi {
			t.Errorf("summarize(%v) = %v %v %v, want %v %v %v", tc.in, lo, med, hi, tc.lo, tc.med, tc.hi)
		}
	}
	if lo, _, _ := summarize(nil); !math.IsNaN(lo) {
		t.Errorf("summarize(nil) = %v, want NaN", lo)
	}
}

func TestFigureTargets(t *testing.T) {
	f := newFigure("startup", "ms", []float64{10, 20, 40}, 36)
	if f.Met == nil || !*f.Met {
		t.Errorf("median 20 against 36: not met")
	}
	m := newFigure("events missed", "", []float64{0, 3, 0}, 0).atMost(0)
	if m.Met == nil || *m.Met {
		t.Errorf("one run missed 3: met")
	}
	js, err := (&results{Tools: []toolResult{{Tool: "x", Figures: []figure{newFigure("cpu", "ms", nil, 3.2)}}}}).json()
	if err != nil || !strings.Contains(string(js), `"median": null`) {
		t.Errorf("no samples must give null, got %s (%v)", js, err)
	}
}

func TestMatchers(t *testing.T) {
	dir := t.TempDir()
	ow, err := openStorm(dir)
	if err != nil {
		t.Fatal(err)
	}
	ew, err := execStorm(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		w    *workload
		line string
		want bool
	}{
		// opensnoop: PID COMM FD ERR PATH, with -T/-U/-e columns in front or between
		{ow, fmt.Sprintf("4242   %-16s   3   0 %s", ow.comm, ow.path), true},
		{ow, fmt.Sprintf("12:00:01 0       4242   %-16s   3   0 00000000 n/a  %s", ow.comm, ow.path), true},
		{ow, fmt.Sprintf("4242   %-16s   3   0 /etc/passwd", ow.comm), false},
		{ow, fmt.Sprintf("4242   %-16s   3   0 %s", "cat", ow.path), false},
		// execsnoop: PCOMM PID PPID RET ARGS
		{ew, fmt.Sprintf("%-16s 4242   4241     0 %s", ew.comm, ew.path), true},
		{ew, fmt.Sprintf("%-16s 4242   4241     0 %s", "sh", ew.path), false},
	} {
		if got := tc.w.match([]byte(tc.line)); got != tc.want {
			t.Errorf("match(%q) = %v, want %v", tc.line, got, tc.want)
		}
	}
	if len(ow.comm) > 15 || len(ew.comm) > 15 {
		t.Errorf("comms %q %q do not fit the kernel's 15 bytes", ow.comm, ew.comm)
	}
}

func TestPacer(t *testing.T) {
	p := newPacer(0)
	p.wait(1 << 30) // no rate: returns at once
}

func TestTrend(t *testing.T) {
	flat := []soakSample{{0, 9000, 0}, {10, 9600, 0}, {20, 9500, 0}, {30, 10100, 0}, {40, 9550, 0}, {50, 9600, 0}, {60, 9500, 0}}
	if g := trendKB(flat, 10*time.Second); g > 512 {
		t.Errorf("breathing heap: trend %d kB", g)
	}
	leak := []soakSample{{10, 9000, 0}, {20, 9500, 0}, {30, 10000, 0}, {40, 10500, 0}, {50, 11000, 0}, {60, 11500, 0}}
	if g := trendKB(leak, 10*time.Second); g < 2000 {
		t.Errorf("leak: trend %d kB", g)
	}
}

// The generators themselves, on a few events: they must run where the bench will.
func TestWorkloadsRun(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 16 MB under /var/tmp")
	}
	dir := t.TempDir()
	for name, prepare := range map[string]func(string) (*workload, error){
		"exec": execStorm, "open": openStorm, "direct write": directWriteStorm,
		"connect": connectStorm(tcpconnectLines), "vfs": vfsStorm,
	} {
		w, err := prepare(dir)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := w.run(20, 0); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if err := w.run(20, 2000); err != nil { // paced: about 10 ms
			t.Errorf("%s paced: %v", name, err)
		}
		if w.cleanup != nil {
			w.cleanup()
		}
	}
}

// matchCase is one line of a tool's output and whether it is one of the storm's events.
type matchCase struct {
	line string
	want bool
}

func checkMatches(t *testing.T, name string, match func([]byte) bool, cases []matchCase) {
	t.Helper()
	for _, tc := range cases {
		if got := match([]byte(tc.line)); got != tc.want {
			t.Errorf("%s: match(%q) = %v, want %v", name, tc.line, got, tc.want)
		}
	}
}

func TestConnectMatchers(t *testing.T) {
	const comm, port, eph = "bbconn0123abcd", 40123, 47310
	// tcpconnect: [TIME(s)] [UID] PID COMM IP SADDR DADDR [SPORT] DPORT
	text, json := tcpconnectLines(comm, port)
	checkMatches(t, "tcpconnect", text, []matchCase{
		{fmt.Sprintf("%-6d %-16.16s %-2d %-16s %-16s %-5d", 4242, comm, 4, "127.0.0.1", "127.0.0.1", port), true},
		{fmt.Sprintf("%-9.3f%-6d%-6d %-16.16s %-2d %-16s %-16s %-5d %-5d", 0.25, 0, 4242, comm, 4, "127.0.0.1", "127.0.0.1", eph, port), true},
		{fmt.Sprintf("%-6d %-16.16s %-2d %-16s %-16s %-5d %-5d", 4242, comm, 4, "127.0.0.1", "127.0.0.1", port, 80), false},
		{fmt.Sprintf("%-6d %-16.16s %-2d %-16s %-16s %-5d", 4242, "curl", 4, "127.0.0.1", "127.0.0.1", port), false},
		{fmt.Sprintf("%-6d %-16.16s %-2d %-16s %-16s %-5d", 4242, comm, 4, "127.0.0.1", "127.0.0.1", port/10), false},
	})
	checkMatches(t, "tcpconnect --json", json, []matchCase{
		{fmt.Sprintf(`{"type":"event","tool":"tcpconnect","pid":4242,"comm":"%s","ip":4,"saddr":"127.0.0.1","daddr":"127.0.0.1","dport":%d}`, comm, port), true},
		{fmt.Sprintf(`{"type":"event","pid":4242,"comm":"%s","dport":%d,"x":1}`, comm, port), true},
		{fmt.Sprintf(`{"type":"event","pid":4242,"comm":"%s","dport":%d1}`, comm, port), false},
		{fmt.Sprintf(`{"type":"event","pid":4242,"comm":"%s","sport":%d,"dport":80}`, comm, port), false},
		{fmt.Sprintf(`{"type":"event","pid":4242,"comm":"sh","dport":%d}`, port), false},
	})

	// tcplife: [TIME(s)] PID COMM LADDR LPORT RADDR RPORT TX_KB RX_KB MS; the connecting side's
	// session only.
	text, json = tcplifeLines(comm, port)
	row := "%-7d %-16s %-15s %-5d %-15s %-5d %-6.2f %-6.2f %-.2f"
	checkMatches(t, "tcplife", text, []matchCase{
		{fmt.Sprintf(row, 4242, comm, "127.0.0.1", eph, "127.0.0.1", port, 0.0, 0.0, 0.05), true},
		{fmt.Sprintf("%8s "+row, "12:00:01", 4242, comm, "127.0.0.1", eph, "127.0.0.1", port, 0.0, 0.0, 0.05), true},
		{fmt.Sprintf("%-7d %-16s %-39s %-5d %-39s %-5d %-6.2f %-6.2f %-.2f", 4242, comm, "127.0.0.1", eph, "127.0.0.1", port, 0.0, 0.0, 0.05), true},
		// the accepted side
		{fmt.Sprintf(row, 4242, comm, "127.0.0.1", port, "127.0.0.1", eph, 0.0, 0.0, 0.05), false},
		{fmt.Sprintf(row, 4242, "bench", "127.0.0.1", eph, "127.0.0.1", port, 0.0, 0.0, 0.05), false},
		{fmt.Sprintf(row, 4242, comm, "127.0.0.1", eph, "127.0.0.1", 22, 0.0, 0.0, 0.05), false},
	})
	checkMatches(t, "tcplife --json", json, []matchCase{
		{fmt.Sprintf(`{"type":"event","pid":4242,"comm":"%s","ip":4,"laddr":"127.0.0.1","lport":%d,"raddr":"127.0.0.1","rport":%d,"tx_kb":0}`, comm, eph, port), true},
		{fmt.Sprintf(`{"type":"event","pid":4242,"comm":"%s","ip":4,"laddr":"127.0.0.1","lport":%d,"raddr":"127.0.0.1","rport":%d,"tx_kb":0}`, comm, port, eph), false},
	})

	// tcpstates: [TIME(s)] SKADDR PID COMM [IP] LADDR LPORT RADDR RPORT OLDSTATE -> NEWSTATE MS,
	// as it printed a connection of a thread of this comm on this machine
	text, json = tcpstatesLines(comm, port)
	st := func(old, new string, lport, rport int) string {
		return fmt.Sprintf("%-16x %-7d %-10.10s %-15s %-5d %-15s %-5d %-11s -> %-11s %.3f",
			uint64(0xffff88819f15dc80), 4242, comm, "127.0.0.1", lport, "127.0.0.1", rport, old, new, 0.078)
	}
	checkMatches(t, "tcpstates", text, []matchCase{
		{st("CLOSE", "SYN_SENT", 0, port), false},
		{st("SYN_SENT", "ESTABLISHED", eph, port), true},
		{st("LISTEN", "SYN_RECV", port, eph), false},
		{st("SYN_RECV", "ESTABLISHED", port, eph), false},
		{st("ESTABLISHED", "FIN_WAIT1", eph, port), false},
		{st("SYN_SENT", "CLOSE", eph, port), false},
		{st("SYN_SENT", "ESTABLISHED", eph, 8080), false},
		// the SYN-ACK handled in another task's softirq: still this storm's connection
		{strings.Replace(st("SYN_SENT", "ESTABLISHED", eph, port), comm[:10], "ksoftirqd/", 1), true},
		// -T -w
		{fmt.Sprintf("%8s %-16x %-7d %-16s %-2d %-39s %-5d %-39s %-5d %-11s -> %-11s %.3f", "12:00:01",
			uint64(0xffff88819f15dc80), 4242, comm, 4, "127.0.0.1", eph, "127.0.0.1", port, "SYN_SENT", "ESTABLISHED", 0.078), true},
	})
	checkMatches(t, "tcpstates --json", json, []matchCase{
		{fmt.Sprintf(`{"type":"event","skaddr":"ffff88819f15dc80","pid":4242,"comm":"%s","ip":4,"laddr":"127.0.0.1","lport":%d,"raddr":"127.0.0.1","rport":%d,"oldstate":"SYN_SENT","newstate":"ESTABLISHED","ms":0.078}`, comm, eph, port), true},
		{fmt.Sprintf(`{"type":"event","pid":4242,"comm":"%s","lport":%d,"rport":%d,"oldstate":"SYN_RECV","newstate":"ESTABLISHED"}`, comm, port, eph), false},
		{fmt.Sprintf(`{"type":"event","pid":4242,"comm":"%s","lport":%d,"rport":%d,"oldstate":"CLOSE","newstate":"SYN_SENT"}`, comm, 0, port), false},
	})
}

func TestVFSMatchers(t *testing.T) {
	w, err := vfsStorm("")
	if err != nil {
		t.Skipf("no file under %s: %v", dioDir, err)
	}
	defer w.cleanup()
	name := filepath.Base(w.path)
	if len(name) >= 32 || len(w.comm) > 15 {
		t.Errorf("file name %q (fsslower prints 31 bytes) or comm %q (15) too long", name, w.comm)
	}
	// fsslower: TIME COMM PID T BYTES OFF_KB LAT(ms) FILENAME
	row := "%-8s %-16s %-7d %c %-7d %-8d %7.2f %s"
	checkMatches(t, "fsslower", w.match, []matchCase{
		{fmt.Sprintf(row, "12:00:01", w.comm, 4242, 'W', 4, 0, 0.01, name), true},
		{fmt.Sprintf(row, "12:00:01", w.comm, 4242, 'R', 4, 0, 0.00, name), true},
		{fmt.Sprintf(row, "12:00:01", w.comm, 4242, 'O', 0, 0, 0.01, name), false},
		{fmt.Sprintf(row, "12:00:01", "cat", 4242, 'R', 4, 0, 0.01, name), false},
		{fmt.Sprintf(row, "12:00:01", w.comm, 4242, 'R', 4, 0, 0.01, "other"), false},
		{fmt.Sprintf(row, "12:00:01", w.comm, 4242, 'R', 4, 0, 0.01, name+".tmp"), false},
	})
	checkMatches(t, "fsslower --json", w.jsonMatch, []matchCase{
		{fmt.Sprintf(`{"type":"event","comm":"%s","pid":4242,"op":"write","bytes":4,"offset":0,"latency_us":3,"file":"%s"}`, w.comm, name), true},
		{fmt.Sprintf(`{"type":"event","comm":"%s","pid":4242,"op":"read","bytes":4,"offset":0,"latency_us":3,"file":"%s"}`, w.comm, name), true},
		{fmt.Sprintf(`{"type":"event","comm":"%s","pid":4242,"op":"open","bytes":0,"offset":0,"latency_us":3,"file":"%s"}`, w.comm, name), false},
		{fmt.Sprintf(`{"type":"event","comm":"%s","pid":4242,"op":"read","bytes":4,"offset":0,"latency_us":3,"file":"x"}`, w.comm), false},
	})
}

func TestVfsstatTotal(t *testing.T) {
	out := `TIME         READ/s  WRITE/s  FSYNC/s   OPEN/s CREATE/s UNLINK/s  MKDIR/s  RMDIR/s
12:00:01:       120      30        0        4        0        0        0        0
12:00:02:    100000  100001        1        9        0        0        0        0

12:00:03:         5       2        0        0        0        0        0        0
`
	if got := vfsstatTotal(out); got != 120+30+100000+100001+5+2 {
		t.Errorf("vfsstatTotal = %d", got)
	}
	js := `{"type":"start","tool":"vfsstat"}
{"type":"table","tool":"vfsstat","time":"x","read_per_sec":120,"write_per_sec":30,"fsync_per_sec":0,"open_per_sec":4}
{"type":"table","tool":"vfsstat","time":"x","read_per_sec":100000,"write_per_sec":100001,"fsync_per_sec":1}
{"type":"lost","count":3}
`
	if got := jsonVfsstatTotal(js); got != 120+30+100000+100001 {
		t.Errorf("jsonVfsstatTotal = %d", got)
	}
}

func TestFdinfoRecursionMisses(t *testing.T) {
	prog := "pos:\t0\nflags:\t02000002\nprog_type:\t5\nprog_id:\t171695\nrun_time_ns:\t0\nrun_cnt:\t0\nrecursion_misses:\t1682\nverified_insns:\t331\n"
	if n, ok := fdinfoRecursionMisses(prog); !ok || n != 1682 {
		t.Errorf("program fdinfo: %d %v, want 1682", n, ok)
	}
	if _, ok := fdinfoRecursionMisses("pos:\t0\nflags:\t02\nmap_type:\t27\n"); ok {
		t.Errorf("a map's fdinfo has no recursion_misses")
	}
	if n := recursionMisses(os.Getpid()); n != -1 {
		t.Errorf("the test holds no BPF program, recursionMisses = %d", n)
	}
}
