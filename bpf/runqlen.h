#ifndef RUNQLEN_H
#define RUNQLEN_H

#define RUNQLEN_SLOTS 32

/* Samples by queue length (the running task not counted); one per CPU. */
struct runqlen_hist {
	__u32 slots[RUNQLEN_SLOTS];
};

#endif
