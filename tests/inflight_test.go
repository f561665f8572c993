package tests

import (
	"bytes"
	endian "encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The block tools keep the requests in flight in a map; a request whose completion the kernel
// did not run their program for stays there. These tests put such requests into a running
// tool's map by hand and check that each is reported once as an I/O not seen completing, and
// that the map is emptied of them.

// progMapIDs lists the ids of the maps BPF program id uses.
func progMapIDs(t *testing.T, id uint32) []uint32 {
	t.Helper()
	fd := progFD(t, id)
	defer unix.Close(fd)
	var ids [64]uint32
	var info [256]byte // struct bpf_prog_info: nr_map_ids at 52, map_ids at 56
	endian.NativeEndian.PutUint32(info[52:], uint32(len(ids)))
	endian.NativeEndian.PutUint64(info[56:], uint64(uintptr(unsafe.Pointer(&ids[0]))))
	objInfo(t, fd, info[:])
	n := endian.NativeEndian.Uint32(info[52:])
	return append([]uint32(nil), ids[:min(int(n), len(ids))]...)
}

func progFD(t *testing.T, id uint32) int {
	t.Helper()
	attr := struct {
		ID uint32
		_  [7]uint32
	}{ID: id}
	fd, err := bpfCall(unix.BPF_PROG_GET_FD_BY_ID, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	if err != nil {
		t.Fatalf("program %d: %v", id, err)
	}
	return int(fd)
}

func objInfo(t *testing.T, fd int, info []byte) {
	t.Helper()
	attr := struct {
		Fd      uint32
		InfoLen uint32
		Info    uint64
	}{Fd: uint32(fd), InfoLen: uint32(len(info)), Info: uint64(uintptr(unsafe.Pointer(&info[0])))}
	if _, err := bpfCall(unix.BPF_OBJ_GET_INFO_BY_FD, unsafe.Pointer(&attr), unsafe.Sizeof(attr)); err != nil {
		t.Fatalf("BPF_OBJ_GET_INFO_BY_FD: %v", err)
	}
}

// bpfMap is a map of a running tool, opened by id.
type bpfMap struct {
	t           *testing.T
	fd          int
	name        string
	key, value  int
	max         uint32
	perCPUCount int
}

// toolMap opens the map called name of the programs of tool loaded since before (the tool the
// test started).
func toolMap(t *testing.T, tool string, before map[uint32]bool, name string) *bpfMap {
	t.Helper()
	for id := range bpfProgIDs(t) {
		if before[id] || !ownProgram(tool, progName(id)) {
			continue
		}
		for _, mid := range progMapIDs(t, id) {
			attr := struct {
				ID uint32
				_  [2]uint32
			}{ID: mid}
			fd, err := bpfCall(unix.BPF_MAP_GET_FD_BY_ID, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
			if err != nil {
				continue
			}
			var info [88]byte // struct bpf_map_info: key_size 8, value_size 12, max_entries 16, name 24
			objInfo(t, int(fd), info[:])
			mname := string(bytes.TrimRight(info[24:40], "\x00"))
			if mname != name {
				unix.Close(int(fd))
				continue
			}
			m := &bpfMap{t: t, fd: int(fd), name: mname, key: int(endian.NativeEndian.Uint32(info[8:])),
				value: int(endian.NativeEndian.Uint32(info[12:])), max: endian.NativeEndian.Uint32(info[16:])}
			t.Cleanup(func() { unix.Close(m.fd) })
			return m
		}
	}
	t.Fatalf("no map %s among the programs of %s", name, tool)
	return nil
}

type mapElemAttr struct {
	Fd    uint32
	_     uint32
	Key   uint64
	Value uint64
	Flags uint64
}

func (m *bpfMap) update(key uint64, value []byte) {
	m.t.Helper()
	if len(value) != m.value {
		m.t.Fatalf("value of %d bytes for map %s of %d", len(value), m.name, m.value)
	}
	attr := mapElemAttr{Fd: uint32(m.fd), Key: uint64(uintptr(unsafe.Pointer(&key))),
		Value: uint64(uintptr(unsafe.Pointer(&value[0])))}
	if _, err := bpfCall(unix.BPF_MAP_UPDATE_ELEM, unsafe.Pointer(&attr), unsafe.Sizeof(attr)); err != nil {
		m.t.Fatalf("update map %s: %v", m.name, err)
	}
}

func (m *bpfMap) has(key uint64) bool {
	value := make([]byte, m.value)
	attr := mapElemAttr{Fd: uint32(m.fd), Key: uint64(uintptr(unsafe.Pointer(&key))),
		Value: uint64(uintptr(unsafe.Pointer(&value[0])))}
	_, err := bpfCall(unix.BPF_MAP_LOOKUP_ELEM, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	return err == nil
}

// entries returns the map's keys (request addresses) and values.
func (m *bpfMap) entries() map[uint64][]byte {
	out := map[uint64][]byte{}
	var cur, next uint64
	for i := 0; i < 2*int(m.max); i++ {
		attr := mapElemAttr{Fd: uint32(m.fd), Value: uint64(uintptr(unsafe.Pointer(&next)))}
		if i > 0 {
			attr.Key = uint64(uintptr(unsafe.Pointer(&cur)))
		}
		if _, err := bpfCall(unix.BPF_MAP_GET_NEXT_KEY, unsafe.Pointer(&attr), unsafe.Sizeof(attr)); err != nil {
			break
		}
		value := make([]byte, m.value)
		la := mapElemAttr{Fd: uint32(m.fd), Key: uint64(uintptr(unsafe.Pointer(&next))),
			Value: uint64(uintptr(unsafe.Pointer(&value[0])))}
		if _, err := bpfCall(unix.BPF_MAP_LOOKUP_ELEM, unsafe.Pointer(&la), unsafe.Sizeof(la)); err == nil {
			out[next] = value
		}
		cur = next
	}
	return out
}

// monotonicNS is bpf_ktime_get_ns()'s clock.
// longAgo is a request time the sweep takes for stale (90 s ago: the sweep's limit is 60 s). A
// machine up for less than two minutes (a qemu guest just booted) has no such time yet: the
// test skips.
func longAgo(t *testing.T) uint64 {
	t.Helper()
	now := monotonicNS()
	if now < uint64(2*time.Minute) {
		t.Skipf("up for %s: no request can be older than the sweep's limit yet", time.Duration(now).Round(time.Second))
	}
	return now - uint64(90*time.Second)
}

func monotonicNS() uint64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return uint64(ts.Nano())
}

// biosnoopRequest is a value of biosnoop's requests map (struct biosnoop_rq).
func biosnoopRequest(comm string, start, issue uint64) []byte {
	v := make([]byte, 48)
	copy(v[:15], comm)
	endian.NativeEndian.PutUint32(v[16:], 1) // pid
	endian.NativeEndian.PutUint64(v[24:], start)
	endian.NativeEndian.PutUint64(v[40:], issue)
	return v
}

// biolatencyRequest is a value of biolatency's start map (struct biolatency_rq).
func biolatencyRequest(start, issue uint64) []byte {
	v := make([]byte, 16)
	endian.NativeEndian.PutUint64(v, start)
	endian.NativeEndian.PutUint64(v[8:], issue)
	return v
}

// Fake request addresses: kernel pointers that no request has.
const fakeRequest = 0xffff_dead_beef_0000

var unseenRE = regexp.MustCompile(`^(\d+) I/Os not seen completing$`)

// parseUnseen adds up the "N I/Os not seen completing" lines of stderr, and returns the others.
func parseUnseen(stderr string) (total, lines int, other []string) {
	for _, l := range strings.Split(strings.TrimRight(stderr, "\n"), "\n") {
		if l == "" {
			continue
		}
		m := unseenRE.FindStringSubmatch(l)
		if m == nil {
			other = append(other, l)
			continue
		}
		n, _ := strconv.Atoi(m[1])
		total += n
		lines++
	}
	return total, lines, other
}

// unseenOnStderr is parseUnseen, failing the test for other lines.
func unseenOnStderr(t *testing.T, stderr string) (total, lines int) {
	t.Helper()
	total, lines, other := parseUnseen(stderr)
	for _, l := range other {
		t.Errorf("unexpected line on stderr: %q", l)
	}
	return total, lines
}

// TestBiosnoopStaleRequests: requests left in biosnoop's map for an hour are swept out within
// seconds; those that were issued are reported once as I/Os not seen completing (on stderr, and
// in JSON as a "lost" line with a reason); one never issued (merged into another) is removed
// unreported, and a request in flight now stays. The tool traces an empty cgroup: the kernel's
// own missed completions cannot add to the count.
func TestBiosnoopStaleRequests(t *testing.T) {
	for _, json := range []bool{false, true} {
		t.Run(fmt.Sprintf("json=%v", json), func(t *testing.T) {
			before := bpfProgIDs(t)
			args := []string{"-c", newCgroup(t, "bpfu-stale")}
			if json {
				args = append(args, "--json")
			}
			p := start(t, "biosnoop", args...)
			requests := toolMap(t, "biosnoop", before, "requests")
			now := monotonicNS()
			staleAt := longAgo(t)
			requests.update(fakeRequest+1, biosnoopRequest("bpfu-stale", staleAt, staleAt))
			requests.update(fakeRequest+2, biosnoopRequest("bpfu-stale", staleAt+1, staleAt+2))
			requests.update(fakeRequest+3, biosnoopRequest("bpfu-merged", staleAt, 0))
			requests.update(fakeRequest+4, biosnoopRequest("bpfu-fresh", now, now))
			p.waitUnseen(2, 5*time.Second)
			for k := uint64(1); k <= 3; k++ {
				if requests.has(fakeRequest + k) {
					t.Errorf("stale request %d still in the map", k)
				}
			}
			if !requests.has(fakeRequest + 4) {
				t.Error("the request in flight now was swept out")
			}
			// Reported once: nothing more by the end.
			time.Sleep(1500 * time.Millisecond)
			out := p.stop()
			total, lines := unseenOnStderr(t, p.Stderr())
			if total != 2 {
				t.Errorf("stderr reports %d in %d lines, want 2\n%s", total, lines, p.Stderr())
			}
			if json {
				lost, count := ofType(jsonLines(t, "biosnoop", out), "lost"), 0.0
				for _, l := range lost {
					count += l.num("count")
					if l.str("reason") != "completion not seen" {
						t.Errorf("JSON lost line %v, want reason \"completion not seen\"", l)
					}
				}
				if count != 2 || len(lost) != lines {
					t.Errorf("JSON lost lines %v count %v, want 2 as on stderr", lost, count)
				}
			}
		})
	}
}

// TestBiosnoopMapNeverFills: a requests map full of stale requests is emptied, so that the
// requests that come next are traced.
func TestBiosnoopMapNeverFills(t *testing.T) {
	before := bpfProgIDs(t)
	cgroup := newCgroup(t, "bpfu-bfull")
	p := start(t, "biosnoop", "-c", cgroup)
	requests := toolMap(t, "biosnoop", before, "requests")
	staleAt := longAgo(t)
	for k := uint64(0); k < uint64(requests.max); k++ {
		requests.update(fakeRequest+0x10000+k, biosnoopRequest("bpfu-stale", staleAt, staleAt))
	}
	p.waitUnseen(int(requests.max), 5*time.Second)
	if left := len(requests.entries()); left != 0 {
		t.Errorf("%d entries left in the map after the sweep", left)
	}
	name := workloadName("bpfu-bfu") // printed %-14.14s: within 14 bytes
	dd := copyExecutable(t, "/bin/dd", name)
	ddWrites(t, dd, scratchFile(t, dd), biosnoopWrites, cgroup, nil)
	p.waitLines(name, biosnoopAtLeast, 10*time.Second)
	p.stop()
	if total, _ := unseenOnStderr(t, p.Stderr()); total < int(requests.max) {
		t.Errorf("reported %d I/Os not seen completing, want the %d left", total, requests.max)
	}
}

// TestBiosnoopReusedRequest: a request whose completion was not seen, left at the address of a
// real request (one of the workload's, taken from the map while in flight), is counted when a
// new request takes that address: at once, not StaleAfter later (it is stamped now, so the sweep
// leaves it alone). The kernel's own missed completions of the workload's requests, if any, add
// to the count.
func TestBiosnoopReusedRequest(t *testing.T) {
	needBlockIOStart(t)
	before := bpfProgIDs(t)
	cgroup := newCgroup(t, "bpfu-breuse")
	p := start(t, "biosnoop", "-c", cgroup)
	requests := toolMap(t, "biosnoop", before, "requests")
	name := workloadName("bpfu-breuse")
	dd := copyExecutable(t, "/bin/dd", name)

	target := scratchFile(t, dd)
	var addr uint64
	ddWrites(t, dd, target, 2000, cgroup, func() bool {
		for k, v := range requests.entries() {
			if bytes.HasPrefix(v, []byte(name)) {
				addr = k
				return true
			}
		}
		return false
	})
	if addr == 0 {
		t.Fatalf("never saw a request of %s in flight", name)
	}
	for deadline := time.Now().Add(5 * time.Second); requests.has(addr); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("request %#x of the finished workload still in the map", addr)
		}
	}
	now := monotonicNS()
	requests.update(addr, biosnoopRequest("bpfu-unseen", now, now))
	// Tags come round: the workload's next requests reuse the address.
	ddWrites(t, dd, target, 2000, cgroup, nil)
	p.waitUnseen(1, 5*time.Second)
	if requests.has(addr) && bytes.HasPrefix(requests.entries()[addr], []byte("bpfu-unseen")) {
		t.Error("the request left behind is still in the map")
	}
	p.stop()
	total, _ := unseenOnStderr(t, p.Stderr())
	t.Logf("%d I/Os not seen completing reported", total)
	if strings.Contains(p.Stdout(), "bpfu-unseen") {
		t.Error("the request left behind was given as the new one's origin")
	}
}

// needBlockIOStart skips a test of the check made where a request starts, at block_io_start,
// on kernels without that tracepoint (6.1): there a request left behind is found by the sweep.
func needBlockIOStart(t *testing.T) {
	t.Helper()
	for _, dir := range []string{"/sys/kernel/tracing", "/sys/kernel/debug/tracing"} {
		if _, err := os.Stat(dir + "/events/block/block_io_start"); err == nil {
			return
		}
	}
	t.Skip("kernel has no block_io_start tracepoint: requests are taken at insertion")
}

// scratchFile names a file under the scratch directory (on a disk) for dd to write, removed
// when the test ends.
func scratchFile(t *testing.T, dd string) string {
	t.Helper()
	path := filepath.Join(scratchDir(t), fmt.Sprintf("%s-%d-%d", filepath.Base(dd), os.Getpid(), time.Now().UnixNano()))
	t.Cleanup(func() { os.Remove(path) })
	return path
}

// ddWrites writes count 4 KiB blocks with O_DIRECT into target (from its start, in place: a file
// already written gets no new blocks), one at a time, bound to one CPU (so that its requests come
// from one CPU's round of tags), started in cgroup (a directory; "" for the test's own); while it
// runs, watch is called until it returns true.
func ddWrites(t *testing.T, dd, target string, count int, cgroup string, watch func() bool) {
	t.Helper()
	cmd := exec.Command(dd, "if=/dev/zero", "of="+target, "bs=4k", fmt.Sprint("count=", count), "oflag=direct", "conv=notrunc")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if cgroup != "" {
		dir, err := os.Open(cgroup)
		if err != nil {
			t.Fatal(err)
		}
		defer dir.Close()
		cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(dir.Fd())}
	}
	onOneCPU(t, func() {
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
	})
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	for watch != nil {
		select {
		case err := <-exited:
			exited <- err
			watch = nil
			continue
		default:
		}
		if watch() {
			break
		}
	}
	if err := <-exited; err != nil {
		t.Fatalf("dd: %v\n%s", err, out.String())
	}
}

// waitUnseen waits until the tool reported at least n I/Os not seen completing, and returns how
// many it reported.
func (p *proc) waitUnseen(n int, limit time.Duration) int {
	p.t.Helper()
	total := 0
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if total, _, _ = parseUnseen(p.Stderr()); total >= n {
			return total
		}
	}
	p.t.Fatalf("reported %d I/Os not seen completing, want %d\nstdout:\n%s\nstderr:\n%s", total, n, p.Stdout(), p.Stderr())
	return total
}

// TestBiolatencyStaleRequests: biolatency without an interval reports once, at the end; stale
// requests must not wait for that in its map: they are swept out within seconds, and the count
// of those issued comes with the report, once. It traces an empty cgroup: the kernel's own
// missed completions cannot add to the count.
func TestBiolatencyStaleRequests(t *testing.T) {
	for _, json := range []bool{false, true} {
		t.Run(fmt.Sprintf("json=%v", json), func(t *testing.T) {
			before := bpfProgIDs(t)
			args := []string{"-c", newCgroup(t, "bpfu-lstale")}
			if json {
				args = append(args, "--json")
			}
			p := start(t, "biolatency", args...)
			start := toolMap(t, "biolatency", before, "start")
			now := monotonicNS()
			staleAt := longAgo(t)
			start.update(fakeRequest+1, biolatencyRequest(staleAt, staleAt))
			start.update(fakeRequest+2, biolatencyRequest(staleAt, 0))
			start.update(fakeRequest+3, biolatencyRequest(now, now))
			for deadline := time.Now().Add(5 * time.Second); start.has(fakeRequest+1) || start.has(fakeRequest+2); time.Sleep(50 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("stale requests still in the map 5 s later")
				}
			}
			if !start.has(fakeRequest + 3) {
				t.Error("the request in flight now was swept out")
			}
			if p.Stderr() != "" {
				t.Errorf("reported before the report: %q", p.Stderr())
			}
			out := p.stop()
			if total, lines := unseenOnStderr(t, p.Stderr()); total != 1 || lines != 1 {
				t.Errorf("stderr reports %d in %d lines, want 1 in 1\n%s", total, lines, p.Stderr())
			}
			if json {
				lost := ofType(jsonLines(t, "biolatency", out), "lost")
				if len(lost) != 1 || lost[0].num("count") != 1 || lost[0].str("reason") != "completion not seen" {
					t.Errorf("JSON lost lines %v, want one with count 1 and reason \"completion not seen\"", lost)
				}
			}
		})
	}
}

// TestBiolatencyReusedRequest: requests left behind at the addresses of real requests (the
// workload's, taken from the map while in flight) are counted when new requests take those
// addresses, at the next report (every second here), long before the sweep would.
func TestBiolatencyReusedRequest(t *testing.T) {
	needBlockIOStart(t)
	before := bpfProgIDs(t)
	cgroup := newCgroup(t, "bpfu-lreuse")
	p := start(t, "biolatency", "-c", cgroup, "1")
	start := toolMap(t, "biolatency", before, "start")
	dd := copyExecutable(t, "/bin/dd", workloadName("bpfu-lreuse"))
	target := scratchFile(t, dd)
	addrs := map[uint64]bool{}
	ddWrites(t, dd, target, 2000, cgroup, func() bool {
		for k := range start.entries() {
			addrs[k] = true
		}
		return len(addrs) >= 4
	})
	if len(addrs) == 0 {
		t.Fatal("never saw a request in flight")
	}
	time.Sleep(100 * time.Millisecond)
	now := monotonicNS()
	for k := range addrs {
		if start.has(k) {
			t.Fatalf("request %#x of the finished workload still in the map", k)
		}
		start.update(k, biolatencyRequest(now, now))
	}
	ddWrites(t, dd, target, 2000, cgroup, nil)
	total := p.waitUnseen(len(addrs), 5*time.Second)
	p.stop()
	t.Logf("%d left behind, %d reported", len(addrs), total)
	for k := range addrs {
		if start.has(k) {
			t.Errorf("request %#x left behind is still in the map", k)
		}
	}
}

// churnBlockTools starts and stops another block tool (biolatency, whose programs sit on
// block_rq_complete too) over and over until stop is called, which returns how many times. While
// programs are attached to a tracepoint and detached from it, the kernel now and then does not
// run the programs already there: completions go unseen, for real.
func churnBlockTools(t *testing.T) (stop func() int) {
	t.Helper()
	tool := toolPath(t, "biolatency")
	done, finished := make(chan struct{}), make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-done:
				finished <- n
				return
			default:
			}
			cmd := exec.Command(tool)
			if cmd.Start() != nil {
				continue
			}
			time.Sleep(100 * time.Millisecond)
			cmd.Process.Signal(syscall.SIGINT)
			cmd.Wait()
			n++
		}
	}()
	return func() int { close(done); return <-finished }
}

// TestBiosnoopEveryRequestAccounted: with completions going unseen for real (another tool
// attached and detached meanwhile), each of the workload's requests is either printed or
// counted as not seen completing: seen + unseen = made (1% over at most). The workload overwrites a file
// it wrote before, with a copy of dd it ran before: no other request of its (allocation,
// metadata, its own pages) comes into the count. A tail of requests after the churn takes every
// tag again, so that each request left behind is found at once.
func TestBiosnoopEveryRequestAccounted(t *testing.T) {
	cgroup := newCgroup(t, "bpfu-bacct")
	name := workloadName("bpfu-ba") // printed %-14.14s: within 14 bytes
	dd := copyExecutable(t, "/bin/dd", name)
	const writes, tail = 8000, 1000
	target := scratchFile(t, dd)
	ddWrites(t, dd, target, writes, "", nil)
	p := start(t, "biosnoop", "-c", cgroup)
	stop := churnBlockTools(t)
	ddWrites(t, dd, target, writes, cgroup, nil)
	churns := stop()
	ddWrites(t, dd, target, tail, cgroup, nil)
	seen := 0
	for last, quiet := -1, 0; quiet < 10; time.Sleep(100 * time.Millisecond) {
		if seen = len(linesWith(p.Stdout(), " "+name+" ")); seen == last {
			quiet++
		} else {
			last, quiet = seen, 0
		}
	}
	p.stop()
	unseen, _ := unseenOnStderr(t, p.Stderr())
	t.Logf("%d writes while another tool was started %d times: %d seen, %d not seen completing", writes+tail, churns, seen, unseen)
	if made := writes + tail; seen+unseen < made || seen+unseen > made+made/100 {
		t.Errorf("seen %d + not seen completing %d = %d, made %d: want every one accounted for", seen, unseen, seen+unseen, made)
	}
}

// TestBiolatencyEveryRequestAccounted: TestBiosnoopEveryRequestAccounted for biolatency: the
// requests its histogram counts and those it reports as not seen completing add up to at least
// the workload's.
func TestBiolatencyEveryRequestAccounted(t *testing.T) {
	cgroup := newCgroup(t, "bpfu-lacct")
	dd := copyExecutable(t, "/bin/dd", workloadName("bpfu-lacct"))
	const writes, tail = 8000, 1000
	target := scratchFile(t, dd)
	ddWrites(t, dd, target, writes, "", nil)
	p := start(t, "biolatency", "-c", cgroup)
	stop := churnBlockTools(t)
	ddWrites(t, dd, target, writes, cgroup, nil)
	churns := stop()
	ddWrites(t, dd, target, tail, cgroup, nil)
	time.Sleep(1500 * time.Millisecond) // the last completions; sweeps that find nothing
	out := p.stop()
	var counted uint64
	for _, h := range parseHists(t, out) {
		counted += h.Total
	}
	unseen, _ := unseenOnStderr(t, p.Stderr())
	t.Logf("%d writes while another tool was started %d times: %d in the histogram, %d not seen completing", writes+tail, churns, counted, unseen)
	// The cgroup's other requests (the copy of dd paging in, a journal write it caused) may
	// add a few: none of the workload's may be missing.
	if made := uint64(writes + tail); counted+uint64(unseen) < made || counted+uint64(unseen) > made+made/100 {
		t.Errorf("histogram %d + not seen completing %d = %d, made %d: want every one accounted for", counted, unseen, counted+uint64(unseen), made)
	}
}
