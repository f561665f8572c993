#ifndef HARDIRQS_H
#define HARDIRQS_H

#define HARDIRQS_SLOTS 20
#define HARDIRQ_NAME_LEN 32

struct hardirq_key {
	char name[HARDIRQ_NAME_LEN]; /* irqaction name, as /proc/interrupts shows it */
	__u32 cpu;                   /* 0 unless rows are split per CPU */
};

struct hardirq_info {
	__u64 count;
	__u64 total; /* usecs or nsecs */
	__u64 max;
	__u32 slots[HARDIRQS_SLOTS]; /* log2 buckets of handler time, with -d */
};

#endif
