// Package fsops is what fsslower and fsdist share: the filesystems they know, the option that
// picks one, and the probes that time its operations (bpf/include/fsops.bpf.h).
package fsops

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// Op is enum fs_op of fsops.bpf.h.
type Op uint32

const (
	Read Op = iota
	Write
	Open
	Fsync
	Getattr
	NumOps
)

// Names of the operations as fsdist prints them.
var opNames = [NumOps]string{"read", "write", "open", "fsync", "getattr"}

func (o Op) String() string {
	if o < NumOps {
		return opNames[o]
	}
	return fmt.Sprintf("op%d", uint32(o))
}

// FS is one filesystem: its name, the superblock magic the tracepoint path tells its files
// by, and its functions per operation ("" where it has none).
type FS struct {
	Name  string
	Magic uint64
	Funcs [NumOps]string
}

// Filesystems is libbpf-tools' table, in its order.
var Filesystems = []FS{
	{"btrfs", 0x9123683e, [NumOps]string{"btrfs_file_read_iter", "btrfs_file_write_iter", "btrfs_file_open", "btrfs_sync_file", ""}},
	{"ext4", 0xef53, [NumOps]string{"ext4_file_read_iter", "ext4_file_write_iter", "ext4_file_open", "ext4_sync_file", "ext4_file_getattr"}},
	{"fuse", 0x65735546, [NumOps]string{"fuse_file_read_iter", "fuse_file_write_iter", "fuse_open", "fuse_fsync", "fuse_getattr"}},
	{"nfs", 0x6969, [NumOps]string{"nfs_file_read", "nfs_file_write", "nfs_file_open", "nfs_file_fsync", "nfs_getattr"}},
	{"xfs", 0x58465342, [NumOps]string{"xfs_file_read_iter", "xfs_file_write_iter", "xfs_file_open", "xfs_file_fsync", ""}},
	{"f2fs", 0xf2f52010, [NumOps]string{"f2fs_file_read_iter", "f2fs_file_write_iter", "f2fs_file_open", "f2fs_sync_file", "f2fs_getattr"}},
	{"bcachefs", 0xca451a4e, [NumOps]string{"bch2_read_iter", "bch2_write_iter", "bch2_open", "bch2_fsync", "bch2_getattr"}},
	{"zfs", 0x2fc12fc1, [NumOps]string{"zpl_iter_read", "zpl_iter_write", "zpl_open", "zpl_fsync", ""}},
}

// TypeUsage is the help text of -t, as libbpf-tools words it.
const TypeUsage = "Which filesystem to trace, [btrfs/ext4/fuse/nfs/xfs/f2fs/bcachefs/zfs]"

// Lookup finds a filesystem by name.
func Lookup(name string) (*FS, error) {
	for i := range Filesystems {
		if Filesystems[i].Name == name {
			return &Filesystems[i], nil
		}
	}
	return nil, fmt.Errorf("invalid filesystem: %s (one of btrfs, ext4, fuse, nfs, xfs, f2fs, bcachefs, zfs)", name)
}

// ErrNoType is libbpf-tools' line when no filesystem was named.
var ErrNoType = errors.New("filesystem must be specified using -t option.")

// procFilesystems is where the kernel lists the filesystems it has (a variable for tests).
var procFilesystems = "/proc/filesystems"

// Registered tells whether the running kernel has fs: one clear line when it has not (a module
// not loaded, a filesystem not built), instead of the attach failures that would follow.
func Registered(fs *FS) error {
	f, err := os.Open(procFilesystems)
	if err != nil {
		return fmt.Errorf("cannot tell which filesystems this kernel has: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 0 && fields[len(fields)-1] == fs.Name {
			return nil
		}
	}
	return fmt.Errorf("this kernel has no %s filesystem (not in %s: not built, or its module not loaded)", fs.Name, procFilesystems)
}

// syscalls are the system calls that lead to each operation, as the tracepoint path sees them:
// the enter program (per argument layout), the exit program, and whether the kernel may lack
// the call (only the first of each operation is required; arm64 has no open(2) nor creat(2)).
type syscall struct {
	name, enter, exit string
}

var syscalls = [NumOps][]syscall{
	Read: {
		{"read", "fs_sys_read_enter", "fs_sys_read_exit"},
		{"pread64", "fs_sys_pread_enter", "fs_sys_read_exit"},
		{"readv", "fs_sys_read_enter", "fs_sys_read_exit"},
		{"preadv", "fs_sys_pread_enter", "fs_sys_read_exit"},
		{"preadv2", "fs_sys_pread_enter", "fs_sys_read_exit"},
	},
	Write: {
		{"write", "fs_sys_write_enter", "fs_sys_write_exit"},
		{"pwrite64", "fs_sys_pwrite_enter", "fs_sys_write_exit"},
		{"writev", "fs_sys_write_enter", "fs_sys_write_exit"},
		{"pwritev", "fs_sys_pwrite_enter", "fs_sys_write_exit"},
		{"pwritev2", "fs_sys_pwrite_enter", "fs_sys_write_exit"},
	},
	Open: {
		{"openat", "fs_sys_open_enter", "fs_sys_open_exit"},
		{"open", "fs_sys_open_enter", "fs_sys_open_exit"},
		{"openat2", "fs_sys_open_enter", "fs_sys_open_exit"},
		{"creat", "fs_sys_open_enter", "fs_sys_open_exit"},
	},
	Fsync: {
		{"fsync", "fs_sys_fsync_enter", "fs_sys_fsync_exit"},
		{"fdatasync", "fs_sys_fsync_enter", "fs_sys_fsync_exit"},
	},
	Getattr: {
		{"statx", "fs_sys_statx_enter", "fs_sys_getattr_exit"},
		{"newfstatat", "fs_sys_fstatat_enter", "fs_sys_getattr_exit"},
		{"newfstat", "fs_sys_fstat_enter", "fs_sys_getattr_exit"},
		{"newstat", "fs_sys_stat_enter", "fs_sys_getattr_exit"},
		{"newlstat", "fs_sys_stat_enter", "fs_sys_getattr_exit"},
	},
}

var progPrefix = [NumOps]string{"fs_read", "fs_write", "fs_open", "fs_fsync", "fs_getattr"}

// Probes times each of ops on fs: per system call that leads to the operation an entry and an
// exit probe, whose preferred hooks are fentry/fexit then kprobe/kretprobe on the filesystem's
// own function (the same program for every call of an operation, attached once), and the
// call's tracepoints last. An operation the filesystem has no function for is left out.
func Probes(fs *FS, ops []Op) []tracer.Probe {
	var probes []tracer.Probe
	for _, op := range ops {
		fn := fs.Funcs[op]
		if fn == "" {
			continue
		}
		p := progPrefix[op]
		for i, sc := range syscalls[op] {
			optional := i > 0
			probes = append(probes,
				tracer.Probe{What: fmt.Sprintf("%s %s entry (%s)", fs.Name, op, sc.name), Optional: optional, Hooks: []tracer.Hook{
					{Prog: p + "_fentry", Kind: tracer.Fentry, Target: fn},
					{Prog: p + "_kprobe", Kind: tracer.Kprobe, Target: fn},
					{Prog: sc.enter, Kind: tracer.Tracepoint, Target: "syscalls:sys_enter_" + sc.name},
				}},
				tracer.Probe{What: fmt.Sprintf("%s %s exit (%s)", fs.Name, op, sc.name), Optional: optional, Hooks: []tracer.Hook{
					{Prog: p + "_fexit", Kind: tracer.Fexit, Target: fn},
					{Prog: p + "_kretprobe", Kind: tracer.Kretprobe, Target: fn},
					{Prog: sc.exit, Kind: tracer.Tracepoint, Target: "syscalls:sys_exit_" + sc.name},
				}},
			)
		}
	}
	return probes
}

// BySyscall lists the operations t times at the system call instead of in the filesystem.
func BySyscall(t *tracer.Tracer, ops []Op) []Op {
	var out []Op
	for _, op := range ops {
		for _, sc := range syscalls[op] {
			if t.Uses(sc.enter) {
				out = append(out, op)
				break
			}
		}
	}
	return out
}

// SyscallNote says, for -v, what the tracepoint path sees differently from the filesystem's
// functions; "" when every operation is timed in the filesystem.
func SyscallNote(fs *FS, ops []Op) string {
	if len(ops) == 0 {
		return ""
	}
	names := make([]string, len(ops))
	getattr := false
	for i, op := range ops {
		names[i] = op.String()
		getattr = getattr || op == Getattr
	}
	note := fmt.Sprintf("note: %s %s timed at the system call (no fentry/kprobe on %s's functions): latency includes the syscall's own work; "+
		"only regular files opened by descriptor are seen, not io_uring/AIO, splice, sendfile, exec or the fsync inside an O_SYNC write",
		fs.Name, strings.Join(names, "/"), fs.Name)
	if getattr {
		note += fmt.Sprintf("; getattr by path is told by the device of the file it describes (%s mounts as this mount namespace sees them)", fs.Name)
	}
	return note
}

// MountDevs lists the devices (dev_t as the kernel keeps it: major<<20 | minor) that fs is
// mounted on, from mountinfo (/proc/self/mountinfo's text). fuse counts its fuseblk and
// "fuse.NAME" subtypes, nfs its nfs4.
func MountDevs(fs *FS, mountinfo []byte) []uint32 {
	var devs []uint32
	for _, line := range strings.Split(string(mountinfo), "\n") {
		pre, post, ok := strings.Cut(line, " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if !ok || len(f) < 3 || len(g) < 1 || !sameType(fs.Name, g[0]) {
			continue
		}
		var major, minor uint32
		if _, err := fmt.Sscanf(f[2], "%d:%d", &major, &minor); err == nil {
			devs = append(devs, major<<20|minor)
		}
	}
	return devs
}

func sameType(fs, mountType string) bool {
	switch {
	case mountType == fs:
		return true
	case fs == "fuse":
		return mountType == "fuseblk" || strings.HasPrefix(mountType, "fuse.")
	case fs == "nfs":
		return mountType == "nfs4"
	}
	return false
}

// KeepDevices hands set the devices fs is mounted on (MountDevs of /proc/self/mountinfo), now
// and then every second as mounts come, until stop is called.
func KeepDevices(fs *FS, set func(dev uint32) error) (stop func(), err error) {
	update := func() error {
		info, err := os.ReadFile("/proc/self/mountinfo")
		if err != nil {
			return fmt.Errorf("read the mounts: %w", err)
		}
		for _, d := range MountDevs(fs, info) {
			if err := set(d); err != nil {
				return err
			}
		}
		return nil
	}
	if err := update(); err != nil {
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				update()
			}
		}
	}()
	return func() { close(done) }, nil
}
