package tests

import (
	"errors"
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

	"golang.org/x/sys/unix"
)

// loopDevice attaches a new file of size bytes to a free loop device, detached at the end of
// the test, and returns the device's path.
func loopDevice(t *testing.T, size int64) string {
	t.Helper()
	ctl, err := os.OpenFile("/dev/loop-control", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no loop devices: %v", err)
	}
	defer ctl.Close()
	backing, err := os.CreateTemp(t.TempDir(), "loop")
	if err != nil {
		t.Fatal(err)
	}
	defer backing.Close()
	if err := backing.Truncate(size); err != nil {
		t.Fatal(err)
	}
	// Another process may take the free device first: then ask again.
	for try := 0; try < 10; try++ {
		n, err := unix.IoctlRetInt(int(ctl.Fd()), unix.LOOP_CTL_GET_FREE)
		if err != nil {
			t.Fatalf("LOOP_CTL_GET_FREE: %v", err)
		}
		path := fmt.Sprintf("/dev/loop%d", n)
		var dev *os.File
		for wait := 0; wait < 50; wait++ { // devtmpfs makes the node
			if dev, err = os.OpenFile(path, os.O_RDWR, 0); err == nil || !errors.Is(err, os.ErrNotExist) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("open %s: %v", path, err)
		}
		err = unix.IoctlSetInt(int(dev.Fd()), unix.LOOP_SET_FD, int(backing.Fd()))
		if errors.Is(err, syscall.EBUSY) {
			dev.Close()
			continue
		}
		if err != nil {
			dev.Close()
			t.Fatalf("LOOP_SET_FD %s: %v", path, err)
		}
		t.Cleanup(func() {
			unix.IoctlSetInt(int(dev.Fd()), unix.LOOP_CLR_FD, 0)
			dev.Close()
		})
		return path
	}
	t.Fatal("no free loop device")
	return ""
}

// mdRaid1 builds an md RAID1 array of two loop devices with mdadm, stopped at the end of the
// test, and returns its name ("md100"). It skips where the kernel has no md RAID1 or mdadm is
// missing; in a vmtest guest (which loads md and raid1, and carries mdadm) a failure fails.
func mdRaid1(t *testing.T) string {
	t.Helper()
	stat, err := os.ReadFile("/proc/mdstat")
	if err != nil {
		t.Skip("kernel has no md (no /proc/mdstat: md_mod not loaded or not built)")
	}
	if !strings.Contains(strings.SplitN(string(stat), "\n", 2)[0], "[raid1]") {
		t.Skipf("md has no raid1 personality (raid1 module not loaded): %s", strings.SplitN(string(stat), "\n", 2)[0])
	}
	need(t, "mdadm")
	a, b := loopDevice(t, 16<<20), loopDevice(t, 16<<20)
	name := ""
	for n := 100; n < 128; n++ {
		if _, err := os.Stat(fmt.Sprintf("/sys/block/md%d", n)); errors.Is(err, os.ErrNotExist) {
			name = fmt.Sprintf("md%d", n)
			break
		}
	}
	if name == "" {
		t.Skip("no free md device number")
	}
	cmd := exec.Command("mdadm", "--create", "/dev/"+name, "--run", "--level=1", "--raid-devices=2",
		"--metadata=1.0", "--bitmap=none", "--assume-clean", a, b)
	if out, err := cmd.CombinedOutput(); err != nil {
		if os.Getenv("BPFUTILS_VM") != "" {
			t.Fatalf("mdadm --create: %v\n%s", err, out)
		}
		t.Skipf("cannot build an md array: mdadm --create: %v\n%s", err, out)
	}
	// Cleanups run last first: the array stops before its loop devices are detached.
	t.Cleanup(func() {
		if out, err := exec.Command("mdadm", "--stop", "/dev/"+name).CombinedOutput(); err != nil {
			t.Logf("mdadm --stop %s: %v\n%s", name, err, out)
		}
	})
	return name
}

// mdFlushWrites writes a block to the md device and fsyncs it (dd conv=fsync): one flush of the
// md device by dd; and the same to a file of the scratch disk, whose flush is no md flush.
func mdFlushWrites(t *testing.T, md, name, other string) (pid int) {
	t.Helper()
	cmd := exec.Command(copyExecutable(t, "/bin/dd", name), "if=/dev/zero", "of=/dev/"+md, "bs=4k", "count=1", "conv=fsync")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("dd to /dev/%s: %v\n%s", md, err, out)
	}
	target := filepath.Join(scratchDir(t), other)
	defer os.Remove(target)
	if out, err := exec.Command(copyExecutable(t, "/bin/dd", other), "if=/dev/zero", "of="+target, "bs=4k", "count=1", "conv=fsync").CombinedOutput(); err != nil {
		t.Fatalf("dd to %s: %v\n%s", target, err, out)
	}
	return cmd.Process.Pid
}

func TestMdflush(t *testing.T) {
	md := mdRaid1(t)
	name, other := workloadName("bpfu-mdf"), workloadName("bpfu-mdo")
	p := start(t, "mdflush")
	lines := strings.Split(p.Stdout(), "\n")
	if lines[0] != "Tracing md flush requests... Hit Ctrl-C to end." {
		t.Fatalf("first line %q", lines[0])
	}
	p.waitFor("TIME     PID     COMM             DEVICE\n", 5*time.Second)
	pid := mdFlushWrites(t, md, name, other)
	p.waitFor(name, 20*time.Second)
	out := p.stop()
	row := regexp.MustCompile(`^(\d\d:\d\d:\d\d) (\d+) +(\S+) +(\S+)$`)
	seen := 0
	for _, l := range linesWith(out, name) {
		m := row.FindStringSubmatch(l)
		if m == nil || l != fmt.Sprintf("%-8s %-7s %-16s %s", m[1], m[2], m[3], m[4]) {
			t.Errorf("line %q is not in libbpf-tools' layout", l)
			continue
		}
		if m[2] != strconv.Itoa(pid) || m[3] != name || m[4] != md {
			t.Errorf("line %q: want pid %d, comm %s, device %s", l, pid, name, md)
		}
		seen++
	}
	if seen == 0 {
		t.Errorf("no flush of %s by %s (pid %d)\n%s", md, name, pid, out)
	}
	if l := linesWith(out, other); len(l) != 0 {
		t.Errorf("a flush of the scratch disk, no md device, was reported: %q", l)
	}
}

func TestMdflushJSON(t *testing.T) {
	md := mdRaid1(t)
	name, other := workloadName("bpfu-mdj"), workloadName("bpfu-mdk")
	p := start(t, "mdflush", "--json")
	pid := mdFlushWrites(t, md, name, other)
	p.waitFor(name, 20*time.Second)
	seen := 0
	for _, e := range ofType(jsonLines(t, "mdflush", p.stop()), "event") {
		switch e.str("comm") {
		case name:
			if int(e.num("pid")) != pid || e.str("device") != md {
				t.Errorf("event %v: want pid %d, device %s", e, pid, md)
			}
			seen++
		case other:
			t.Errorf("a flush of the scratch disk, no md device, was reported: %v", e)
		}
	}
	if seen == 0 {
		t.Errorf("no flush of %s by %s (pid %d) in JSON", md, name, pid)
	}
}

func TestMdflushBadInput(t *testing.T) {
	badInput(t, "mdflush", "unrecognized positional argument", "5")
	badInput(t, "mdflush", "flag provided but not defined", "--bogus")
}
