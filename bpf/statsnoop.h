#ifndef STATSNOOP_H
#define STATSNOOP_H

/* Longest name a stat call can pass (the kernel's PATH_MAX). */
#define STATSNOOP_NAME_MAX 4096
/* Room for the directory or file a name is relative to: 32 names of the longest kind. */
#define STATSNOOP_DIR_MAX 8192

/* The calls, numbered as libbpf-tools numbers them. */
enum statsnoop_call {
	STATSNOOP_STATFS = 1,
	STATSNOOP_NEWSTAT,
	STATSNOOP_STATX,
	STATSNOOP_NEWFSTAT,
	STATSNOOP_NEWFSTATAT,
	STATSNOOP_NEWLSTAT,
};

/* What dir[] holds, in front of the name. */
enum statsnoop_base {
	STATSNOOP_BASE_NONE = 0, /* the name is absolute (or there is nothing to prefix) */
	STATSNOOP_BASE_DIR = 1,  /* the directory a relative name is resolved from */
	STATSNOOP_BASE_FILE = 2, /* the file fstat() was given */
};

struct statsnoop_event {
	__u64 ts_ns;
	__u32 pid;
	__u32 tid;
	__s32 ret;
	enum statsnoop_call call;
	__u16 name_len;   /* bytes of path[] holding the name as passed, with its NUL */
	__u16 dir_len;    /* bytes after it: the base's names, see path.bpf.h */
	enum statsnoop_base base;
	__u32 dir_state;  /* enum path_state, path.bpf.h */
	char comm[16];
	/* only the bytes in use are sent: name_len + dir_len */
	char path[STATSNOOP_NAME_MAX + STATSNOOP_DIR_MAX];
};

#endif
