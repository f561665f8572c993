#ifndef BIOSTACKS_H
#define BIOSTACKS_H

#define BIOSTACKS_MAX_SLOTS 20
#define BIOSTACKS_MAX_STACK 20

/* A histogram's key: the task that started the requests, its kernel stack there, the disk. */
struct biostacks_key {
	__u32 pid; /* thread id, as libbpf-tools records it */
	__s32 stack_size; /* bytes of stack filled in, or bpf_get_stack's error */
	__u64 stack[BIOSTACKS_MAX_STACK];
	char comm[16];
	__u32 dev;
	__u32 pad;
};

struct biostacks_hist {
	__u32 slots[BIOSTACKS_MAX_SLOTS];
};

/*
 * A request in flight, in the requests map under its address. Times are bpf_ktime_get_ns();
 * user space sweeps out the requests with no news for long (pkg/blockdev.Inflight).
 */
struct biostacks_rq {
	__u64 start;
	__u64 issue; /* 0 until issued: one merged into another and freed never is */
	struct biostacks_key key;
};

#endif
