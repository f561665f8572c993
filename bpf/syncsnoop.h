#ifndef SYNCSNOOP_H
#define SYNCSNOOP_H

/* The calls, numbered as libbpf-tools numbers them. */
enum syncsnoop_call {
	SYNCSNOOP_SYNC = 1,
	SYNCSNOOP_FSYNC,
	SYNCSNOOP_FDATASYNC,
	SYNCSNOOP_MSYNC,
	SYNCSNOOP_SYNC_FILE_RANGE,
	SYNCSNOOP_SYNC_FILE_RANGE2,
	SYNCSNOOP_ARM_SYNC_FILE_RANGE,
	SYNCSNOOP_SYNCFS,
};

struct syncsnoop_event {
	__u64 ts_ns; /* bpf_ktime_get_ns() at the call */
	__u32 pid;
	__u32 tid;
	enum syncsnoop_call call;
	char comm[16];
};

#endif
