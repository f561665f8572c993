#ifndef BPFUTILS_VFSSTAT_H
#define BPFUTILS_VFSSTAT_H

enum vfsstat_stat {
	S_READ = 0,
	S_WRITE = 1,
	S_FSYNC = 2,
	S_OPEN = 3,
	S_CREATE = 4,
	S_UNLINK = 5,
	S_MKDIR = 6,
	S_RMDIR = 7,
	S_MAXSTAT = 8,
};

/* The counts since the start, per CPU (user space takes differences). */
struct vfsstat_counts {
	__u64 n[S_MAXSTAT];
};

#endif
