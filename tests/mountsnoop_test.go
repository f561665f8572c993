package tests

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The mount workload is this test binary run again, in a mount namespace of its own, under a
// name of the test's choosing, told by BPFU_MOUNT_WORKLOAD to mount and unmount a tmpfs.
func init() {
	if os.Getenv("BPFU_MOUNT_WORKLOAD") != "" {
		os.Exit(mountWorkload(os.Args[1:]))
	}
}

// mountWorkload takes source target: it prints "pid mntns-inode", waits for a line on stdin,
// then keeps its mounts from propagating out, mounts a tmpfs named source on target, unmounts
// it, unmounts it again (which fails with EINVAL), mounts a tmpfs there with the new mount API
// (fsopen, fsconfig, fsmount, move_mount) and unmounts it, then prints the file descriptors of
// the file system context and of the mount, then "done".
func mountWorkload(args []string) int {
	var st unix.Stat_t
	if len(args) != 2 || unix.Stat("/proc/self/ns/mnt", &st) != nil {
		return 2
	}
	fmt.Println(os.Getpid(), st.Ino)
	bufio.NewReader(os.Stdin).ReadString('\n')
	if err := unix.Mount("none", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return 1
	}
	if err := unix.Mount(args[0], args[1], "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size=1m"); err != nil {
		return 1
	}
	if err := unix.Unmount(args[1], unix.UMOUNT_NOFOLLOW); err != nil {
		return 1
	}
	if err := unix.Unmount(args[1], 0); err != unix.EINVAL {
		return 1
	}
	fsfd, err := unix.Fsopen("tmpfs", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return 1
	}
	if unix.FsconfigSetString(fsfd, "size", "2m") != nil || unix.FsconfigCreate(fsfd) != nil {
		return 1
	}
	mfd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOATIME)
	if err != nil {
		return 1
	}
	if unix.MoveMount(mfd, "", unix.AT_FDCWD, args[1], unix.MOVE_MOUNT_F_EMPTY_PATH) != nil {
		return 1
	}
	// An open mount fd keeps the mount busy.
	unix.Close(mfd)
	unix.Close(fsfd)
	if unix.Unmount(args[1], 0) != nil {
		return 1
	}
	fmt.Println(fsfd, mfd)
	fmt.Println("done")
	return 0
}

type mountRun struct {
	w              *workload
	name, pid, ns  string
	source, target string
	fsfd, mfd      string
}

// startMounts starts the workload in a new mount namespace, waiting for go.
func startMounts(t *testing.T) *mountRun {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	name := workloadName("bpfu-mnt")
	prog := filepath.Join(t.TempDir(), name)
	if err := os.Symlink(self, prog); err != nil {
		t.Fatal(err)
	}
	m := &mountRun{name: name, source: fmt.Sprintf("bpfu-src-%d", os.Getpid()), target: t.TempDir()}
	cmd := exec.Command(prog, m.source, m.target)
	cmd.Env = append(os.Environ(), "BPFU_MOUNT_WORKLOAD=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS}
	m.w = startWorkload(t, cmd, name)
	f := fields(m.w.line())
	if len(f) != 2 {
		t.Fatalf("workload said %q", f)
	}
	m.pid, m.ns = f[0], f[1]
	return m
}

func (m *mountRun) run(t *testing.T) {
	t.Helper()
	m.w.stdin.Write([]byte("go\n"))
	f := fields(m.w.line())
	if len(f) != 2 {
		t.Fatalf("workload said %q, want its file descriptors", f)
	}
	m.fsfd, m.mfd = f[0], f[1]
	if l := m.w.line(); l != "done" {
		t.Fatalf("workload said %q, want done", l)
	}
}

// waitAll waits until the tool printed marker once for each call of the workload.
func (m *mountRun) waitAll(t *testing.T, p *proc, marker string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); strings.Count(p.Stdout(), marker) < len(m.calls()); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("saw %d of the workload's %d calls\n%s", strings.Count(p.Stdout(), marker), len(m.calls()), p.Stdout())
		}
	}
}

// The calls as the CALL column shows them.
func (m *mountRun) calls() []string {
	return []string{
		`mount("none", "/", "", MS_REC | MS_PRIVATE, "") = 0`,
		fmt.Sprintf(`mount("%s", "%s", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m") = 0`, m.source, m.target),
		fmt.Sprintf(`umount("%s", UMOUNT_NOFOLLOW) = 0`, m.target),
		fmt.Sprintf(`umount("%s", 0x0) = -EINVAL`, m.target),
		fmt.Sprintf(`fsopen("tmpfs", FSOPEN_CLOEXEC) = %s`, m.fsfd),
		fmt.Sprintf(`fsconfig(%s, "FSCONFIG_SET_STRING", "size", "2m", 0) = 0`, m.fsfd),
		fmt.Sprintf(`fsconfig(%s, "FSCONFIG_CMD_CREATE", "", "", 0) = 0`, m.fsfd),
		fmt.Sprintf(`fsmount(%s, "FSMOUNT_CLOEXEC", "MOUNT_ATTR_NODEV | MOUNT_ATTR_NOATIME") = %s`, m.fsfd, m.mfd),
		fmt.Sprintf(`move_mount(%s, "", AT_FDCWD, "%s", "MOVE_MOUNT_F_EMPTY_PATH") = 0`, m.mfd, m.target),
		fmt.Sprintf(`umount("%s", 0x0) = 0`, m.target),
	}
}

func TestMountsnoop(t *testing.T) {
	m := startMounts(t)
	p := start(t, "mountsnoop", "-t")
	if h := strings.Split(p.Stdout(), "\n")[0]; h != "TIME     COMM             PID     TID     MNT_NS      CALL" {
		t.Fatalf("header %q", h)
	}
	m.run(t)
	m.waitAll(t, p, " "+m.pid+" ")
	out := p.stop()
	want := m.calls()
	var got []string
	for _, l := range strings.Split(out, "\n") {
		// TIME COMM PID TID MNT_NS CALL, the columns %-8s %-16s %-7d %-7d %-11u
		if f := fields(l); len(f) > 5 && f[2] == m.pid {
			_, err := time.Parse("15:04:05", f[0])
			if len(l) < 55 || err != nil || f[1] != m.name || f[3] != m.pid || f[4] != m.ns || l[53] != ' ' || l[54] == ' ' {
				t.Errorf("bad row %q (want comm %s, pid and tid %s, mnt_ns %s)", l, m.name, m.pid, m.ns)
			}
			got = append(got, l[54:])
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls\n%s\nwant\n%s\nin\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), out)
	}
}

// TestMountsnoopDetailed: -d prints no header, so the test knows the tool is attached from the
// hooks it reports (BPFUTILS_HOOKLOG); -p keeps only the workload.
func TestMountsnoopDetailed(t *testing.T) {
	m := startMounts(t)
	p, hooks := launchTool(t, "mountsnoop", "-d", "-t", "-p", m.pid)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if data, _ := os.ReadFile(hooks); strings.Count(string(data), "\n") >= 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mountsnoop -d did not attach in 20s\nstderr: %s", p.Stderr())
		}
	}
	checkHooks(t, "mountsnoop", hooks)
	m.run(t)
	m.waitAll(t, p, "PID:    "+m.pid+"\n")
	out := p.stop()
	blocks := strings.Split(strings.TrimSuffix(out, "\n\n"), "\n\n")
	if len(blocks) != len(m.calls()) {
		t.Fatalf("want %d blocks (the workload's calls only), got %d:\n%s", len(m.calls()), len(blocks), out)
	}
	mount := strings.Split(blocks[1], "\n")
	if _, err := time.Parse("15:04:05", mount[0]); err != nil {
		t.Errorf("first line %q, want the time", mount[0])
	}
	want := []string{
		"PID:    " + m.pid, "TID:    " + m.pid, "COMM:   " + m.name, "OP:     MOUNT", "RET:    0",
		"", "MNT_NS: " + m.ns, "FS:     tmpfs", "SOURCE: " + m.source, "TARGET: " + m.target,
		"DATA:   size=1m", "FLAGS:  MS_NOSUID | MS_NODEV",
	}
	if len(mount) != len(want)+1 {
		t.Fatalf("mount block\n%s", blocks[1])
	}
	for i, w := range want {
		l := mount[i+1]
		if w == "" { // LAT:    Nus
			n, ok := strings.CutSuffix(strings.TrimPrefix(l, "    LAT:    "), "us")
			if _, err := strconv.Atoi(n); err != nil || !ok {
				t.Errorf("line %q, want a latency", l)
			}
			continue
		}
		if l != "    "+w {
			t.Errorf("line %q, want %q", l, "    "+w)
		}
	}
	umount := strings.Split(blocks[3], "\n")
	if n := len(umount); n != 10 || umount[4] != "    OP:     UMOUNT" || umount[5] != "    RET:    -EINVAL" ||
		umount[8] != "    TARGET: "+m.target || umount[9] != "    FLAGS:  0x0" {
		t.Errorf("umount block\n%s", blocks[3])
	}
}

func TestMountsnoopJSON(t *testing.T) {
	m := startMounts(t)
	p := start(t, "mountsnoop", "--json")
	m.run(t)
	m.waitAll(t, p, `"pid":`+m.pid+",")
	out := p.stop()
	var got []jsonLine
	for _, e := range ofType(jsonLines(t, "mountsnoop", out), "event") {
		if strconv.Itoa(int(e.num("pid"))) == m.pid {
			got = append(got, e)
		}
	}
	want := m.calls()
	if len(got) != len(want) {
		t.Fatalf("want %d events of pid %s, got %d\n%s", len(want), m.pid, len(got), out)
	}
	for i, e := range got {
		if e.str("call") != want[i] || e.str("comm") != m.name || strconv.Itoa(int(e.num("mnt_ns"))) != m.ns {
			t.Errorf("event %v, want call %s", e, want[i])
		}
	}
	args, _ := got[1]["args"].(map[string]any)
	if got[1].str("op") != "mount" || got[1].num("ret") != 0 || args["source"] != m.source || args["target"] != m.target ||
		args["fs"] != "tmpfs" || args["data"] != "size=1m" || args["flags"] != float64(unix.MS_NOSUID|unix.MS_NODEV) {
		t.Errorf("mount event %v", got[1])
	}
	if got[3].str("op") != "umount" || got[3].num("ret") != -22 {
		t.Errorf("failed umount event %v", got[3])
	}
}

func TestMountsnoopBadInput(t *testing.T) {
	badInput(t, "mountsnoop", "invalid PID", "-p", "0")
	badInput(t, "mountsnoop", "unrecognized", "extra")
}
