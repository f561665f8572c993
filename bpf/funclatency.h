#ifndef FUNCLATENCY_H
#define FUNCLATENCY_H

/* log2 slots: BCC's Python keeps 64, libbpf-tools 25, which lumps every call of more than
 * 2^25 units (33 ms in nanoseconds) into its last row. */
#define FUNCLATENCY_SLOTS 64

/* Calls of one thread in progress at once (recursion) whose start is kept. */
#define FUNCLATENCY_DEPTH 8

/* Threads inside the function at once that can be timed. */
#define FUNCLATENCY_THREADS 10240

/* Units of the histogram. */
#define FUNCLATENCY_NSEC 0
#define FUNCLATENCY_USEC 1
#define FUNCLATENCY_MSEC 2

/* Cumulative since the start: user space reports the difference from its last report, so
 * that no call counted while it reads is lost to a reset. */
struct funclatency_hist {
	__u32 slots[FUNCLATENCY_SLOTS];
	__u64 untimed; /* calls whose start could not be kept: thread table full, or too deep */
};

/* The calls in progress of one thread, innermost last. */
struct funclatency_calls {
	__u64 start[FUNCLATENCY_DEPTH];
	__u32 depth; /* may exceed FUNCLATENCY_DEPTH: those calls are paired, not timed */
	__u32 pad;
};

#endif
