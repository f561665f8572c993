package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The sync workload is this test binary run again under a name of the test's choosing, told by
// BPFU_SYNC_WORKLOAD to make each sync call a known number of times (syncCounts).
func init() {
	if os.Getenv("BPFU_SYNC_WORKLOAD") != "" {
		os.Exit(syncWorkload(os.Args[1]))
	}
}

var syncCounts = map[string]int{"sync": 1, "fsync": 3, "fdatasync": 2, "syncfs": 2, "msync": 2, "sync_file_range": 2}

func syncWorkload(file string) int {
	fd, err := unix.Open(file, unix.O_RDWR|unix.O_CREAT, 0o644)
	if err != nil {
		return 1
	}
	defer unix.Close(fd)
	if err := unix.Ftruncate(fd, 4096); err != nil {
		return 1
	}
	mem, err := unix.Mmap(fd, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return 1
	}
	for call, n := range syncCounts {
		for range n {
			switch call {
			case "sync":
				unix.Sync()
			case "fsync":
				err = unix.Fsync(fd)
			case "fdatasync":
				err = unix.Fdatasync(fd)
			case "syncfs":
				err = unix.Syncfs(fd)
			case "msync":
				mem[0]++
				err = unix.Msync(mem, unix.MS_SYNC)
			case "sync_file_range":
				err = unix.SyncFileRange(fd, 0, 4096, unix.SYNC_FILE_RANGE_WRITE)
			}
			if err != nil {
				return 1
			}
		}
	}
	return 0
}

func runSyncs(t *testing.T) (name string, pid int) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	name = workloadName("bpfu-sync")
	prog := filepath.Join(t.TempDir(), name)
	if err := os.Symlink(self, prog); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(prog, filepath.Join(t.TempDir(), "synced"))
	cmd.Env = append(os.Environ(), "BPFU_SYNC_WORKLOAD=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("workload: %v\n%s", err, out)
	}
	return name, cmd.Process.Pid
}

func TestSyncsnoop(t *testing.T) {
	p := start(t, "syncsnoop")
	if h := strings.Split(p.Stdout(), "\n")[0]; h != "TIME(s)            COMM             CALL" {
		t.Fatalf("header %q", h)
	}
	name, _ := runSyncs(t)
	p.waitFor(" "+name+" ", 10*time.Second)
	out := p.stop()
	seen := map[string]int{}
	for _, l := range linesWith(out, " "+name+" ") {
		f := fields(l)
		// TIME(s) COMM CALL, the call padded to 16 as libbpf-tools pads it
		if len(f) != 3 || len(f[0]) < len("0.000000000") || f[0][len(f[0])-10] != '.' || len(l) < 18+1+16+1+16 {
			t.Fatalf("bad row %q", l)
		}
		seen[f[2]]++
	}
	for call, n := range syncCounts {
		if seen[call] != n {
			t.Errorf("%s: saw %d calls, made %d\n%s", call, seen[call], n, out)
		}
	}
}

func TestSyncsnoopJSON(t *testing.T) {
	p := start(t, "syncsnoop", "--json")
	name, pid := runSyncs(t)
	p.waitFor(`"`+name+`"`, 10*time.Second)
	out := p.stop()
	seen := map[string]int{}
	for _, e := range ofType(jsonLines(t, "syncsnoop", out), "event") {
		if e.str("comm") != name {
			continue
		}
		if int(e.num("pid")) != pid || e.num("time_s") <= 0 {
			t.Errorf("event %v, want pid %d", e, pid)
		}
		seen[e.str("call")]++
	}
	for call, n := range syncCounts {
		if seen[call] != n {
			t.Errorf("%s: saw %d calls, made %d\n%s", call, seen[call], n, out)
		}
	}
}

func TestSyncsnoopBadInput(t *testing.T) {
	badInput(t, "syncsnoop", "unrecognized", "extra")
	badInput(t, "syncsnoop", "-p", "-p", "1")
}
