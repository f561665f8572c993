package mountsnoop

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// bitName names one flag bit.
type bitName struct {
	bit  uint64
	name string
}

// mountFlags are mount(2)'s MS_* bits (linux/mount.h). libbpf-tools names them by bit index
// from a table one entry short after MS_NOSYMFOLLOW, so that it calls MS_NOATIME MS_NODIRATIME
// and so on up; these are the kernel's.
var mountFlags = []bitName{
	{1 << 0, "MS_RDONLY"}, {1 << 1, "MS_NOSUID"}, {1 << 2, "MS_NODEV"}, {1 << 3, "MS_NOEXEC"},
	{1 << 4, "MS_SYNCHRONOUS"}, {1 << 5, "MS_REMOUNT"}, {1 << 6, "MS_MANDLOCK"}, {1 << 7, "MS_DIRSYNC"},
	{1 << 8, "MS_NOSYMFOLLOW"}, {1 << 10, "MS_NOATIME"}, {1 << 11, "MS_NODIRATIME"}, {1 << 12, "MS_BIND"},
	{1 << 13, "MS_MOVE"}, {1 << 14, "MS_REC"}, {1 << 15, "MS_SILENT"}, {1 << 16, "MS_POSIXACL"},
	{1 << 17, "MS_UNBINDABLE"}, {1 << 18, "MS_PRIVATE"}, {1 << 19, "MS_SLAVE"}, {1 << 20, "MS_SHARED"},
	{1 << 21, "MS_RELATIME"}, {1 << 22, "MS_KERNMOUNT"}, {1 << 23, "MS_I_VERSION"}, {1 << 24, "MS_STRICTATIME"},
	{1 << 25, "MS_LAZYTIME"}, {1 << 26, "MS_SUBMOUNT"}, {1 << 27, "MS_NOREMOTELOCK"}, {1 << 28, "MS_NOSEC"},
	{1 << 29, "MS_BORN"}, {1 << 30, "MS_ACTIVE"}, {1 << 31, "MS_NOUSER"},
}

// umountFlags are umount2(2)'s (libbpf-tools decodes them as MS_* bits: MNT_FORCE shows as
// MS_RDONLY there).
var umountFlags = []bitName{
	{unix.MNT_FORCE, "MNT_FORCE"}, {unix.MNT_DETACH, "MNT_DETACH"}, {unix.MNT_EXPIRE, "MNT_EXPIRE"},
	{unix.UMOUNT_NOFOLLOW, "UMOUNT_NOFOLLOW"},
}

var fsopenFlags = []bitName{{unix.FSOPEN_CLOEXEC, "FSOPEN_CLOEXEC"}}

var fsmountFlags = []bitName{{unix.FSMOUNT_CLOEXEC, "FSMOUNT_CLOEXEC"}}

// mountAttrFlags are fsmount(2)'s attr_flags; the access-time setting is a 3-bit field in them
// (0 is MOUNT_ATTR_RELATIME), decoded apart.
var mountAttrFlags = []bitName{
	{unix.MOUNT_ATTR_RDONLY, "MOUNT_ATTR_RDONLY"}, {unix.MOUNT_ATTR_NOSUID, "MOUNT_ATTR_NOSUID"},
	{unix.MOUNT_ATTR_NODEV, "MOUNT_ATTR_NODEV"}, {unix.MOUNT_ATTR_NOEXEC, "MOUNT_ATTR_NOEXEC"},
	{unix.MOUNT_ATTR_NODIRATIME, "MOUNT_ATTR_NODIRATIME"}, {unix.MOUNT_ATTR_IDMAP, "MOUNT_ATTR_IDMAP"},
	{unix.MOUNT_ATTR_NOSYMFOLLOW, "MOUNT_ATTR_NOSYMFOLLOW"},
}

var moveMountFlags = []bitName{
	{0x1, "MOVE_MOUNT_F_SYMLINKS"}, {0x2, "MOVE_MOUNT_F_AUTOMOUNTS"}, {0x4, "MOVE_MOUNT_F_EMPTY_PATH"},
	{0x10, "MOVE_MOUNT_T_SYMLINKS"}, {0x20, "MOVE_MOUNT_T_AUTOMOUNTS"}, {0x40, "MOVE_MOUNT_T_EMPTY_PATH"},
	{0x100, "MOVE_MOUNT_SET_GROUP"}, {0x200, "MOVE_MOUNT_BENEATH"},
}

var fsconfigCmds = [...]string{
	"FSCONFIG_SET_FLAG", "FSCONFIG_SET_STRING", "FSCONFIG_SET_BINARY", "FSCONFIG_SET_PATH",
	"FSCONFIG_SET_PATH_EMPTY", "FSCONFIG_SET_FD", "FSCONFIG_CMD_CREATE", "FSCONFIG_CMD_RECONFIGURE",
	"FSCONFIG_CMD_CREATE_EXCL",
}

// msMagic is what mount(2) callers older than Linux 2.4 put in the top 16 bits of the flags.
const (
	msMagic     = 0xC0ED0000
	msMagicMask = 0xFFFF0000
)

// appendFlags appends the names of the bits set in flags joined by " | ", bits without a name
// as one hex number, and zero as zero (libbpf-tools writes "0x0" for some calls, nothing for
// others).
func appendFlags(b []byte, flags uint64, names []bitName, zero string) []byte {
	if flags == 0 {
		return append(b, zero...)
	}
	start := len(b)
	sep := func() {
		if len(b) > start {
			b = append(b, " | "...)
		}
	}
	for _, n := range names {
		if flags&n.bit != 0 {
			sep()
			b = append(b, n.name...)
			flags &^= n.bit
		}
	}
	if flags != 0 {
		sep()
		b = append(b, "0x"...)
		b = strconv.AppendUint(b, flags, 16)
	}
	return b
}

func appendMountFlags(b []byte, flags uint64) []byte {
	if flags&msMagicMask == msMagic {
		b = append(b, "MS_MGC_VAL"...)
		if flags &^= msMagicMask; flags == 0 {
			return b
		}
		b = append(b, " | "...)
	}
	return appendFlags(b, flags, mountFlags, "0x0")
}

func appendAttrFlags(b []byte, flags uint64) []byte {
	start := len(b)
	b = appendFlags(b, flags&^unix.MOUNT_ATTR__ATIME, mountAttrFlags, "")
	var atime string
	switch flags & unix.MOUNT_ATTR__ATIME {
	case 0:
		return b
	case unix.MOUNT_ATTR_NOATIME:
		atime = "MOUNT_ATTR_NOATIME"
	case unix.MOUNT_ATTR_STRICTATIME:
		atime = "MOUNT_ATTR_STRICTATIME"
	default:
		atime = "0x" + strconv.FormatUint(flags&unix.MOUNT_ATTR__ATIME, 16)
	}
	if len(b) > start {
		b = append(b, " | "...)
	}
	return append(b, atime...)
}

func fsconfigCmd(cmd uint32) string {
	if int(cmd) < len(fsconfigCmds) {
		return fsconfigCmds[cmd]
	}
	return "UNKNOWN"
}

// appendResult appends a return value as libbpf-tools does: 0, an errno's name (-ENOENT), or
// the number (a file descriptor, an errno without a name).
func appendResult(b []byte, ret int32) []byte {
	if ret < 0 {
		if name := unix.ErrnoName(unix.Errno(-ret)); name != "" {
			return append(append(b, '-'), name...)
		}
	}
	return strconv.AppendInt(b, int64(ret), 10)
}

// appendFD appends a directory fd, naming AT_FDCWD.
func appendFD(b []byte, fd int32) []byte {
	if fd == unix.AT_FDCWD {
		return append(b, "AT_FDCWD"...)
	}
	return strconv.AppendInt(b, int64(fd), 10)
}
