#ifndef SOFTIRQS_H
#define SOFTIRQS_H

#define SOFTIRQS_SLOTS 20
#define SOFTIRQ_VECTORS 10 /* NR_SOFTIRQS: hi, timer, ..., rcu */

/* Per CPU and vector; counters only grow, user space prints the change of their sum. */
struct softirq_stat {
	__u64 count;
	__u64 time; /* usecs or nsecs */
	__u32 slots[SOFTIRQS_SLOTS];
};

#endif
