#ifndef LLCSTAT_H
#define LLCSTAT_H

struct llcstat_key {
	__u32 cpu;
	__u32 pid;
	__u32 tid; /* the pid unless counting per thread */
};

struct llcstat_value {
	__u64 ref;  /* cache references, in events (samples times the period) */
	__u64 miss; /* cache misses, likewise */
	char comm[16];
};

#endif
