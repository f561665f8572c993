#ifndef BIOTOP_H
#define BIOTOP_H

#define BIOTOP_MAX_ENTRIES 10240

/* A row of the table: who, which disk, which direction (rwflag: 1 write, 0 anything else). */
struct biotop_key {
	__u32 pid;
	__s32 rwflag;
	__s32 major;
	__s32 minor;
	char comm[16];
};

/* The row's totals over the interval. */
struct biotop_value {
	__u64 bytes;
	__u64 ns; /* issue -> completion, summed */
	__u32 io;
	__u32 pad;
};

/*
 * A request in flight, in the requests map under its address. Times are bpf_ktime_get_ns(),
 * 0 when not seen; user space sweeps out the requests with no news for long
 * (pkg/blockdev.Inflight).
 */
struct biotop_rq {
	char comm[16]; /* the task that started the request; empty when its start was not seen */
	__u32 pid;
	__u32 data_len; /* at issue */
	__u64 start;
	__u64 issue;
};

#endif
