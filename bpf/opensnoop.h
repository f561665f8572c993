#ifndef OPENSNOOP_H
#define OPENSNOOP_H

/* Longest name an open call can pass (the kernel's PATH_MAX). */
#define OPENSNOOP_NAME_MAX 4096
/* Room for the directory a relative name starts from (-F): 32 names of the longest kind. */
#define OPENSNOOP_DIR_MAX 8192

struct opensnoop_event {
	__u32 pid;
	__u32 uid;
	__s32 ret;
	__s32 flags;
	__u32 mode;
	__u16 name_len; /* bytes of path[] holding the name as passed, with its NUL */
	__u16 dir_len;  /* bytes after it: the directory it is relative to, see path.bpf.h */
	__u32 dir_state; /* enum path_state, path.bpf.h */
	__u32 tid;       /* the thread that opened (pid is its process) */
	__u64 callers[2]; /* -c: return addresses in user space, innermost first */
	char comm[16];
	/* only the bytes in use are sent: name_len + dir_len */
	char path[OPENSNOOP_NAME_MAX + OPENSNOOP_DIR_MAX];
};

#endif
