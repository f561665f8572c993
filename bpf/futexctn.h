#ifndef FUTEXCTN_H
#define FUTEXCTN_H

#define FUTEXCTN_MAX_SLOTS 36

/* Contention is summed per waiting thread (with -s, per process), lock and user stack. */
struct futexctn_key {
	__u32 id;    /* thread id; with -s the process id */
	__u32 tgid;
	__u64 uaddr; /* the futex word's user address */
	__s32 user_stack_id; /* 0 with -s */
	__u32 pad;
};

struct futexctn_hist {
	__u32 slots[FUTEXCTN_MAX_SLOTS];
	char comm[16];
	__u64 contended;
	__u64 total; /* usecs, or msecs with -m */
	__u64 min;
	__u64 max;
};

#endif
