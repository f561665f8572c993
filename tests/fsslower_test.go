package tests

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The file workload is this test binary run again under a name of the test's choosing (its
// comm), told by BPFU_FS_WORKLOAD to work on files instead of testing.
func init() {
	if os.Getenv("BPFU_FS_WORKLOAD") != "" {
		os.Exit(fsWorkload(os.Args[1:]))
	}
}

// fsWorkload takes a mode and a directory. It prints "ready PID", waits for a line on stdin,
// works, and prints "done".
//
// "ops" makes, in DIR/COMM-data: open(O_CREAT) · 3 × write 8192 · fsync · open(O_RDONLY) ·
// fstat · stat by path · pread 4096 at 4096 · pread 4096 at 12288 · read (24576 bytes) · read
// (0, at EOF).
// "slow" writes 16 MiB to DIR/COMM-big and fsyncs it, preads 4096 bytes of it five times (from
// the page cache), then writes 8 MiB at once to DIR/COMM-osync opened O_SYNC (1 MiB took about
// 1 ms on the test machine's disk: too close to the threshold the test sets).
func fsWorkload(args []string) int {
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: ops|slow DIR")
		return 2
	}
	comm, _ := os.ReadFile("/proc/self/comm")
	base := filepath.Join(args[1], strings.TrimSpace(string(comm)))
	if args[0] == "life" {
		// made before tracing: its deletion is not a short-lived file's
		if err := os.WriteFile(base+"-old", nil, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	fmt.Printf("ready %d\n", os.Getpid())
	bufio.NewReader(os.Stdin).ReadString('\n')
	var err error
	switch args[0] {
	case "ops":
		err = fileOps(base + "-data")
	case "slow":
		err = slowOps(base)
	case "vfs":
		err = vfsOps(base, vfsOpsN)
	case "life":
		err = lifeOps(args[1], base)
	default:
		err = fmt.Errorf("unknown mode %s", args[0])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("done")
	return 0
}

func fileOps(path string) error {
	fd, err := unix.Open(path, unix.O_CREAT|unix.O_WRONLY|unix.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	block := make([]byte, 8192)
	for range 3 {
		if n, err := unix.Write(fd, block); n != len(block) {
			return fmt.Errorf("write: %d %v", n, err)
		}
	}
	if err := unix.Fsync(fd); err != nil {
		return err
	}
	unix.Close(fd)
	if fd, err = unix.Open(path, unix.O_RDONLY, 0); err != nil {
		return err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if err := unix.Stat(path, &st); err != nil {
		return err
	}
	buf := make([]byte, 32768)
	for _, off := range []int64{4096, 12288} {
		if n, err := unix.Pread(fd, buf[:4096], off); n != 4096 {
			return fmt.Errorf("pread: %d %v", n, err)
		}
	}
	if n, err := unix.Read(fd, buf); n != 24576 {
		return fmt.Errorf("read: %d %v", n, err)
	}
	if n, err := unix.Read(fd, buf); n != 0 {
		return fmt.Errorf("read at EOF: %d %v", n, err)
	}
	return nil
}

func slowOps(base string) error {
	fd, err := unix.Open(base+"-big", unix.O_CREAT|unix.O_RDWR|unix.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	chunk := make([]byte, 8<<20)
	for i := range chunk {
		chunk[i] = byte(i)
	}
	for range 2 {
		if n, err := unix.Write(fd, chunk); n != len(chunk) {
			return fmt.Errorf("write: %d %v", n, err)
		}
	}
	if err := unix.Fsync(fd); err != nil {
		return err
	}
	for range 5 {
		if _, err := unix.Pread(fd, chunk[:4096], 0); err != nil {
			return err
		}
	}
	sfd, err := unix.Open(base+"-osync", unix.O_CREAT|unix.O_WRONLY|unix.O_TRUNC|unix.O_SYNC, 0o644)
	if err != nil {
		return err
	}
	defer unix.Close(sfd)
	if n, err := unix.Write(sfd, chunk); n != len(chunk) {
		return fmt.Errorf("O_SYNC write: %d %v", n, err)
	}
	return nil
}

// vfsOpsN is how many times the "vfs" workload does each thing.
const vfsOpsN = 500

// vfsOps does n times: mkdir, mknod(2) of a regular file (vfs_create; an open with O_CREAT
// does not call it), open, pwrite and pread of 100 bytes, close, unlink, rmdir; and every
// tenth time an fsync before the close.
func vfsOps(base string, n int) error {
	buf := make([]byte, 100)
	for i := range n {
		dir := fmt.Sprintf("%s-d%d", base, i)
		if err := unix.Mkdir(dir, 0o755); err != nil {
			return err
		}
		file := dir + "/f"
		if err := unix.Mknod(file, unix.S_IFREG|0o644, 0); err != nil {
			return err
		}
		fd, err := unix.Open(file, unix.O_RDWR, 0)
		if err != nil {
			return err
		}
		if _, err := unix.Pwrite(fd, buf, 0); err != nil {
			return err
		}
		if _, err := unix.Pread(fd, buf, 0); err != nil {
			return err
		}
		if i%10 == 0 {
			if err := unix.Fsync(fd); err != nil {
				return err
			}
		}
		unix.Close(fd)
		if err := unix.Unlink(file); err != nil {
			return err
		}
		if err := unix.Rmdir(dir); err != nil {
			return err
		}
	}
	return nil
}

// lifeOps: BASE-a is opened with O_CREAT and unlinked by its absolute path 400 ms later;
// BASE-b is made by mknod(2) and unlinked by a relative path ("./NAME", from DIR) 200 ms later;
// BASE-old, made before tracing, is unlinked; BASE-kept is created and stays.
func lifeOps(dir, base string) error {
	fd, err := unix.Open(base+"-a", unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	unix.Close(fd)
	time.Sleep(400 * time.Millisecond)
	if err := unix.Unlink(base + "-a"); err != nil {
		return err
	}
	if err := unix.Chdir(dir); err != nil {
		return err
	}
	b := filepath.Base(base) + "-b"
	if err := unix.Mknod(b, unix.S_IFREG|0o644, 0); err != nil {
		return err
	}
	time.Sleep(200 * time.Millisecond)
	if err := unix.Unlink("./" + b); err != nil {
		return err
	}
	if err := unix.Unlink(base + "-old"); err != nil {
		return err
	}
	return os.WriteFile(base+"-kept", nil, 0o644)
}

// fsWork is a waiting file workload: its pid is known before it touches a file.
type fsWork struct {
	*workload
	dir string
}

func startFsWork(t *testing.T, mode, dir string) *fsWork {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	name := workloadName("bpfu-fs")
	link := filepath.Join(t.TempDir(), name)
	if err := os.Symlink(self, link); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(link, mode, dir)
	cmd.Env = append(os.Environ(), "BPFU_FS_WORKLOAD=1")
	w := startWorkload(t, cmd, name)
	if l := w.line(); l != fmt.Sprintf("ready %d", w.pid) {
		t.Fatalf("workload said %q", l)
	}
	return &fsWork{workload: w, dir: dir}
}

// run lets the workload work and waits until it is done.
func (w *fsWork) run() {
	w.t.Helper()
	fmt.Fprintln(w.stdin, "go")
	if l := w.line(); l != "done" {
		w.t.Fatalf("workload said %q", l)
	}
}

// testFS is a directory on a filesystem of the kind a test asks for.
type testFS struct{ kind, dir string }

// mkfsSizes are the smallest images each mkfs accepts, about (sparse files: no room is used
// beyond what the filesystem writes).
var mkfsSizes = map[string]int64{"ext4": 64 << 20, "xfs": 320 << 20, "btrfs": 128 << 20}

// makeFS makes a filesystem of kind on a loop device (an image file in scratchDir, mounted
// with mount -o loop), unmounted and removed when the test ends. For ext4 where that is not
// possible (the qemu guests: busybox has no mkfs.ext4), the scratch directory serves when it
// is on ext4.
func makeFS(t *testing.T, kind string) testFS {
	t.Helper()
	if !fsRegistered(kind) && kind != "ext4" {
		t.Skipf("this kernel has no %s filesystem", kind)
	}
	_, errMkfs := exec.LookPath("mkfs." + kind)
	_, errMount := exec.LookPath("mount")
	if errMkfs != nil || errMount != nil {
		if kind == "ext4" && statfsMagic(t, scratchDir(t)) == unix.EXT4_SUPER_MAGIC {
			dir, err := os.MkdirTemp(scratchDir(t), "bpfu-fs-")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(dir) })
			return testFS{kind, dir}
		}
		need(t, "mkfs."+kind, "mount", "umount")
	}
	img := filepath.Join(scratchDir(t), fmt.Sprintf("bpfu-%s-%d-%d.img", kind, os.Getpid(), time.Now().UnixNano()))
	if err := os.WriteFile(img, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(img) })
	if err := os.Truncate(img, mkfsSizes[kind]); err != nil {
		t.Fatal(err)
	}
	force := map[string]string{"ext4": "-F", "xfs": "-f", "btrfs": "-f"}[kind]
	if out, err := exec.Command("mkfs."+kind, "-q", force, img).CombinedOutput(); err != nil {
		t.Fatalf("mkfs.%s: %v\n%s", kind, err, out)
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-o", "loop", "-t", kind, img, dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a %s image on a loop device: %v: %s", kind, err, out)
	}
	t.Cleanup(func() {
		// The workload's cleanup (registered later) has ended it by now.
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v\n%s", dir, err, out)
		}
	})
	if m := statfsMagic(t, dir); m != fsMagics[kind] {
		t.Fatalf("%s is not on %s (magic %#x)", dir, kind, m)
	}
	return testFS{kind, dir}
}

var fsMagics = map[string]int64{"ext4": unix.EXT4_SUPER_MAGIC, "xfs": unix.XFS_SUPER_MAGIC, "btrfs": unix.BTRFS_SUPER_MAGIC}

func statfsMagic(t *testing.T, dir string) int64 {
	t.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Type)
}

// fsRegistered tells whether the kernel lists fs in /proc/filesystems.
func fsRegistered(fs string) bool {
	data, _ := os.ReadFile("/proc/filesystems")
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[len(f)-1] == fs {
			return true
		}
	}
	return false
}

// fsOp is one operation fsslower reports: type, bytes and offset as printed.
type fsOp struct{ T, Bytes, OffKB string }

// wantOps are the operations of the "ops" workload, in order.
var wantOps = []fsOp{
	{"O", "0", "0"}, {"W", "8192", "0"}, {"W", "8192", "8"}, {"W", "8192", "16"}, {"F", "LL_MAX", "0"},
	{"O", "0", "0"}, {"R", "4096", "4"}, {"R", "4096", "12"}, {"R", "24576", "0"}, {"R", "0", "24"},
}

// checkOpsLines checks fsslower's lines about the "ops" workload's file: every operation,
// once, in order, by the workload.
func checkOpsLines(t *testing.T, out string, w *fsWork) {
	t.Helper()
	file := w.comm + "-data"
	var got []fsOp
	for _, l := range strings.Split(out, "\n") {
		f := fields(l)
		if len(f) != 8 || f[7] != file {
			continue
		}
		if f[1] != w.comm || f[2] != strconv.Itoa(w.pid) {
			t.Errorf("line about %s not by %s %d: %q", file, w.comm, w.pid, l)
		}
		if _, err := time.Parse("15:04:05", f[0]); err != nil {
			t.Errorf("TIME %q in %q", f[0], l)
		}
		if lat, err := strconv.ParseFloat(f[6], 64); err != nil || lat < 0 {
			t.Errorf("LAT(ms) %q in %q", f[6], l)
		}
		got = append(got, fsOp{f[3], f[4], f[5]})
	}
	if !slices.Equal(got, wantOps) {
		t.Errorf("operations on %s: got %v, want %v\n%s", file, got, wantOps, out)
	}
}

const fsslowerHeader = "TIME     COMM             PID     T BYTES   OFF_KB   LAT(ms) FILENAME"

// testFsslowerOn runs tool (fsslower -t kind, or an alias) over the "ops" workload on fs.
func testFsslowerOn(t *testing.T, tool string, fs testFS, args ...string) {
	w := startFsWork(t, "ops", fs.dir)
	p := start(t, tool, append([]string{"-m", "0", "-p", strconv.Itoa(w.pid)}, args...)...)
	w.run()
	p.waitFor(w.comm+"-data", 10*time.Second)
	time.Sleep(300 * time.Millisecond)
	out := p.stop()
	lines := strings.Split(out, "\n")
	if lines[0] != fmt.Sprintf("Tracing %s operations... Hit Ctrl-C to end.", fs.kind) || lines[1] != fsslowerHeader {
		t.Errorf("banner and header:\n%s", strings.Join(lines[:2], "\n"))
	}
	checkOpsLines(t, out, w)
}

func TestFsslowerExt4(t *testing.T) {
	testFsslowerOn(t, "fsslower", makeFS(t, "ext4"), "-t", "ext4")
}

func TestFsslowerAliases(t *testing.T) {
	for _, kind := range []string{"ext4", "xfs", "btrfs"} {
		t.Run(kind, func(t *testing.T) { testFsslowerOn(t, kind+"slower", makeFS(t, kind)) })
	}
}

func TestFsslowerJSON(t *testing.T) {
	fs := makeFS(t, "ext4")
	w := startFsWork(t, "ops", fs.dir)
	p := start(t, "ext4slower", "--json", "-m", "0", "-p", strconv.Itoa(w.pid))
	w.run()
	p.waitFor(w.comm+"-data", 10*time.Second)
	time.Sleep(300 * time.Millisecond)
	lines := jsonLines(t, "ext4slower", p.stop())
	letters := map[string]string{"read": "R", "write": "W", "open": "O", "fsync": "F"}
	var got []fsOp
	for _, e := range ofType(lines, "event") {
		if e.str("file") != w.comm+"-data" {
			continue
		}
		if e.str("comm") != w.comm || e.num("pid") != float64(w.pid) {
			t.Errorf("event not by the workload: %v", e)
		}
		if _, ok := e["latency_us"].(float64); !ok {
			t.Errorf("event without latency_us: %v", e)
		}
		bytes := "LL_MAX"
		if e["bytes"] != nil {
			bytes = strconv.Itoa(int(e.num("bytes")))
		}
		got = append(got, fsOp{letters[e.str("op")], bytes, strconv.Itoa(int(e.num("offset")) / 1024)})
		if int(e.num("offset"))%1024 != 0 && e.str("op") != "open" {
			t.Errorf("offset %v in bytes expected a multiple of 1024 here: %v", e["offset"], e)
		}
	}
	if !slices.Equal(got, wantOps) {
		t.Errorf("operations: got %v, want %v", got, wantOps)
	}
}

func TestFsslowerCSV(t *testing.T) {
	fs := makeFS(t, "ext4")
	w := startFsWork(t, "ops", fs.dir)
	p := start(t, "ext4slower", "-c", "-m", "0", "-p", strconv.Itoa(w.pid))
	w.run()
	p.waitFor(w.comm+"-data", 10*time.Second)
	time.Sleep(300 * time.Millisecond)
	out := p.stop()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if lines[0] != "ENDTIME_ns,TASK,PID,TYPE,BYTES,OFFSET_b,LATENCY_us,FILE" {
		t.Errorf("CSV header %q", lines[0])
	}
	var got []fsOp
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		if len(f) != 8 {
			t.Errorf("CSV row %q", l)
			continue
		}
		if f[7] != w.comm+"-data" {
			continue
		}
		if f[1] != w.comm || f[2] != strconv.Itoa(w.pid) {
			t.Errorf("row not by the workload: %q", l)
		}
		for _, n := range []string{f[0], f[6]} {
			if _, err := strconv.ParseUint(n, 10, 64); err != nil {
				t.Errorf("row %q: %q is not a number", l, n)
			}
		}
		off, _ := strconv.Atoi(f[5])
		got = append(got, fsOp{f[3], f[4], strconv.Itoa(off / 1024)})
	}
	if !slices.Equal(got, wantOps) {
		t.Errorf("operations: got %v, want %v\n%s", got, wantOps, out)
	}
}

// TestFsslowerThreshold: with -m 1 only what took 1 ms or more is shown: the fsync of 16 MiB
// and the O_SYNC write of 8 MiB, not the reads from the page cache.
func TestFsslowerThreshold(t *testing.T) {
	fs := makeFS(t, "ext4")
	w := startFsWork(t, "slow", fs.dir)
	p := start(t, "ext4slower", "-m", "1", "-p", strconv.Itoa(w.pid))
	w.run()
	p.waitFor(w.comm+"-osync", 10*time.Second)
	time.Sleep(300 * time.Millisecond)
	out := p.stop()
	if first := strings.SplitN(out, "\n", 2)[0]; first != "Tracing ext4 operations slower than 1 ms... Hit Ctrl-C to end." {
		t.Errorf("banner %q", first)
	}
	var fsync, osync bool
	slowReads := 0
	for _, l := range strings.Split(out, "\n")[2:] {
		f := fields(l)
		if len(f) != 8 {
			continue
		}
		if lat, err := strconv.ParseFloat(f[6], 64); err != nil || lat < 1 {
			t.Errorf("line under the threshold: %q", l)
		}
		switch {
		case f[3] == "F" && f[7] == w.comm+"-big" && f[4] == "LL_MAX":
			fsync = true
		case f[3] == "W" && f[7] == w.comm+"-osync" && f[4] == "8388608":
			osync = true
		case f[3] == "R" && f[2] == strconv.Itoa(w.pid):
			slowReads++
		}
	}
	// A busy machine may keep a read off its CPU for a millisecond, but not all five.
	if slowReads == 5 {
		t.Errorf("every 4 KiB read from the page cache was shown as slower than 1 ms\n%s", out)
	}
	if !fsync || !osync {
		t.Errorf("fsync of 16 MiB seen: %v, O_SYNC write of 8 MiB seen: %v\n%s", fsync, osync, out)
	}
}

// TestFsslowerMissingFS: the aliases of filesystems this kernel lacks say so in one line.
func TestFsslowerMissingFS(t *testing.T) {
	for _, kind := range []string{"nfs", "f2fs", "bcachefs", "zfs", "fuse"} {
		t.Run(kind, func(t *testing.T) {
			if fsRegistered(kind) {
				p := start(t, kind+"slower")
				if out := p.stop(); !strings.HasPrefix(out, "Tracing "+kind+" operations slower than 10 ms... Hit Ctrl-C to end.\n"+fsslowerHeader) {
					t.Errorf("%sslower printed\n%s", kind, out)
				}
				return
			}
			badInput(t, kind+"slower", "this kernel has no "+kind+" filesystem")
		})
	}
}

func TestFsslowerBadInput(t *testing.T) {
	badInput(t, "fsslower", "filesystem must be specified using -t option.")
	badInput(t, "fsslower", "invalid filesystem: ext5", "-t", "ext5")
	badInput(t, "fsslower", "invalid latency (in ms): -1", "-t", "ext4", "-m", "-1")
	badInput(t, "fsslower", "invalid DURATION: 0", "-t", "ext4", "-d", "0")
	badInput(t, "ext4slower", "invalid PID", "-p", "x")
	badInput(t, "ext4slower", "unrecognized positional argument", "1")
}

// TestFsslowerDuration: -d ends the run by itself.
func TestFsslowerDuration(t *testing.T) {
	out, stderr, code := runTool(t, "ext4slower", "-d", "1")
	if code != 0 || !strings.HasPrefix(out, "Tracing ext4 operations slower than 10 ms for 1 secs.\n"+fsslowerHeader+"\n") {
		t.Errorf("exit %d, stdout:\n%s\nstderr: %s", code, out, stderr)
	}
}
