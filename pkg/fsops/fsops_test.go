package fsops

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/tracer"
)

func TestLookup(t *testing.T) {
	for _, name := range []string{"btrfs", "ext4", "fuse", "nfs", "xfs", "f2fs", "bcachefs", "zfs"} {
		fs, err := Lookup(name)
		if err != nil || fs.Name != name || fs.Funcs[Read] == "" || fs.Magic == 0 {
			t.Errorf("Lookup(%q) = %+v, %v", name, fs, err)
		}
	}
	if _, err := Lookup("ext5"); err == nil || !strings.Contains(err.Error(), "invalid filesystem: ext5") {
		t.Errorf("Lookup(ext5): %v", err)
	}
}

func TestRegistered(t *testing.T) {
	path := filepath.Join(t.TempDir(), "filesystems")
	os.WriteFile(path, []byte("nodev\tsysfs\n\text4\nnodev\tfuse\n\tfuseblk\n"), 0o644)
	defer func(old string) { procFilesystems = old }(procFilesystems)
	procFilesystems = path
	for name, want := range map[string]bool{"ext4": true, "fuse": true, "nfs": false, "xfs": false} {
		fs, _ := Lookup(name)
		err := Registered(fs)
		if (err == nil) != want {
			t.Errorf("Registered(%s) = %v, want registered %v", name, err, want)
		}
		if err != nil && !strings.Contains(err.Error(), "this kernel has no "+name+" filesystem") {
			t.Errorf("Registered(%s): %v", name, err)
		}
	}
}

// Every operation is timed by the filesystem's function first (fentry, then kprobe) and the
// system call last; an operation without a function (xfs getattr) is left out.
func TestProbes(t *testing.T) {
	xfs, _ := Lookup("xfs")
	probes := Probes(xfs, []Op{Read, Getattr})
	if len(probes) != 2*len(syscalls[Read]) {
		t.Fatalf("%d probes, want %d", len(probes), 2*len(syscalls[Read]))
	}
	seen := map[string]bool{}
	for i, p := range probes {
		if seen[p.What] {
			t.Errorf("probe %q twice", p.What)
		}
		seen[p.What] = true
		if p.Optional != (i >= 2) {
			t.Errorf("%s: optional %v", p.What, p.Optional)
		}
		kinds := []tracer.Kind{tracer.Fentry, tracer.Kprobe, tracer.Tracepoint}
		if i%2 == 1 {
			kinds = []tracer.Kind{tracer.Fexit, tracer.Kretprobe, tracer.Tracepoint}
		}
		for j, h := range p.Hooks {
			if h.Kind != kinds[j] {
				t.Errorf("%s: hook %d is %s, want %s", p.What, j, h.Kind, kinds[j])
			}
			if j < 2 && h.Target != "xfs_file_read_iter" {
				t.Errorf("%s: target %s", p.What, h.Target)
			}
		}
	}
	if SyscallNote(xfs, nil) != "" {
		t.Error("a note without syscall-timed operations")
	}
	if note := SyscallNote(xfs, []Op{Read, Getattr}); !strings.Contains(note, "xfs read/getattr timed at the system call") || !strings.Contains(note, "getattr by path") {
		t.Errorf("note %q", note)
	}
}

func TestMountDevs(t *testing.T) {
	info := []byte(`22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
30 22 7:1 / /mnt/x rw,relatime shared:5 - xfs /dev/loop1 rw
31 22 0:45 / /mnt/s rw,nosuid - fuse.sshfs host: rw
32 22 8:17 / /mnt/u rw - fuseblk /dev/sdb1 rw
33 22 0:50 / /mnt/n rw - nfs4 srv:/ rw
34 22 259:3 / /boot rw - ext4 /dev/nvme0n1p3 rw
`)
	for name, want := range map[string][]uint32{
		"ext4": {254<<20 | 0, 259<<20 | 3},
		"xfs":  {7<<20 | 1},
		"fuse": {0<<20 | 45, 8<<20 | 17},
		"nfs":  {0<<20 | 50},
		"zfs":  nil,
	} {
		fs, _ := Lookup(name)
		if got := MountDevs(fs, info); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
}
