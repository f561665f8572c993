#ifndef MOUNTSNOOP_H
#define MOUNTSNOOP_H

/* Room for the strings a call passes: paths (the kernel's PATH_MAX) and option text (512 as in
 * libbpf-tools, which also gives a file system type name only 8 bytes; here it has 512). */
#define MOUNTSNOOP_PATH_MAX 4096
#define MOUNTSNOOP_TEXT_MAX 512

/* The calls, numbered as libbpf-tools numbers them. */
enum mountsnoop_op {
	MOUNTSNOOP_MOUNT = 1,
	MOUNTSNOOP_UMOUNT,
	MOUNTSNOOP_FSOPEN,
	MOUNTSNOOP_FSCONFIG,
	MOUNTSNOOP_FSMOUNT,
	MOUNTSNOOP_MOVE_MOUNT,
};

/*
 * One call with its arguments; which fields mean something depends on op:
 *   mount       path0 source, path1 target, text0 data, text1 fs type, flags
 *   umount      path1 target, flags
 *   fsopen      text1 fs type, flags
 *   fsconfig    fd, cmd, text0 key, text1 value, aux
 *   fsmount     fd (fs_fd), flags, attr_flags
 *   move_mount  fd (from_dfd), path0 from_pathname, to_fd, path1 to_pathname, flags
 */
struct mountsnoop_event {
	__u64 delta_ns; /* from entry to exit */
	__u64 flags;
	__u32 pid;
	__u32 tid;
	__u32 mnt_ns;
	__s32 ret;
	enum mountsnoop_op op;
	__s32 fd;
	__s32 to_fd;
	__u32 cmd;
	__u32 attr_flags;
	__s32 aux;
	char comm[16];
	char path0[MOUNTSNOOP_PATH_MAX];
	char path1[MOUNTSNOOP_PATH_MAX];
	char text0[MOUNTSNOOP_TEXT_MAX];
	char text1[MOUNTSNOOP_TEXT_MAX];
};

#endif
