#ifndef FILETOP_H
#define FILETOP_H

#define FILETOP_MAX_ENTRIES 10240
/* The file's own name (its dentry's), as libbpf-tools shows: never more than NAME_MAX. */
#define FILETOP_NAME_SIZE 256

/* One thread's use of one file. */
struct filetop_key {
	__u64 inode;
	__u32 dev;
	__u32 rdev;
	__u32 pid;
	__u32 tid;
};

struct filetop_stat {
	__u64 reads;
	__u64 read_bytes;
	__u64 writes;
	__u64 write_bytes;
	__u32 pid;
	__u32 tid;
	char comm[16];
	char name[FILETOP_NAME_SIZE];
	char type; /* 'R' regular, 'S' socket, 'O' other */
	char pad[7];
};

#endif
