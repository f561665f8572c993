#ifndef BPFUTILS_BIOLATENCY_H
#define BPFUTILS_BIOLATENCY_H

#define BIOLATENCY_SLOTS 27

/* One histogram per key: dev is set with -D, cmd_flags with -F, both stay 0 otherwise. */
struct biolatency_key {
	__u32 cmd_flags;
	__u32 dev;
};

struct biolatency_hist {
	__u32 slots[BIOLATENCY_SLOTS];
};

/* -e (from BCC's Python tool): the sum and number of latencies, in the histogram's unit. */
struct biolatency_ext {
	__u64 total;
	__u64 count;
};

/*
 * A request in flight, in the start map under its address: when its latency counts from (issue,
 * or insertion with -Q) and when it was issued (0 until then), as bpf_ktime_get_ns(). User space
 * sweeps out the requests with no news for long (pkg/blockdev.Inflight).
 */
struct biolatency_rq {
	__u64 start;
	__u64 issue;
};

#endif
