#ifndef SOFTIRQSLOWER_H
#define SOFTIRQSLOWER_H

#define SOFTIRQ_VECTORS 10

enum softirqslower_stage {
	STAGE_RAISE_TO_ENTRY = 0, /* raised (usually by a hard irq) until its handler started */
	STAGE_RUNTIME = 1,        /* handler entry to exit */
};

struct softirqslower_event {
	__u64 delta_us;
	__u32 stage;
	__u32 vec;
	__u32 cpu;
	char comm[16];
};

#endif
