#ifndef BPFUTILS_FILELIFE_H
#define BPFUTILS_FILELIFE_H

/* Longest name an unlink or mknod call can pass (the kernel's PATH_MAX). */
#define FILELIFE_NAME_MAX 4096
/* Room for a directory walk: 32 names of the longest kind (path.bpf.h). */
#define FILELIFE_DIR_MAX 8192

enum filelife_kind {
	/* a file created while tracing was deleted (fentry/kprobe: matched in the kernel) */
	FILELIFE_DELETED = 0,
	/* the system-call path: a file was created, or unlinked; user space matches them by path */
	FILELIFE_CREATED = 1,
	FILELIFE_UNLINKED = 2,
};

struct filelife_event {
	__u64 delta_ns;  /* DELETED: the file's age */
	__u64 ts;        /* bpf_ktime_get_ns() of the creation or unlink */
	__u32 tgid;
	__u32 kind;      /* enum filelife_kind */
	__u16 name_len;  /* bytes of path[] holding a name (with its NUL): the dentry's, or as passed */
	__u16 dir_len;   /* bytes after it: a walk (path.bpf.h) from the name's directory, or from the file itself when name_len is 0 */
	__u32 dir_state; /* enum path_state */
	char task[16];
	/* only the bytes in use are sent: name_len + dir_len */
	char path[FILELIFE_NAME_MAX + FILELIFE_DIR_MAX];
};

#endif
