#ifndef MEMLEAK_H
#define MEMLEAK_H

/* Outstanding allocations tracked at once, as libbpf-tools (not preallocated: see allocs). */
#define MEMLEAK_MAX_ALLOCS 1000000
/* Stacks -C keeps totals for, as libbpf-tools. */
#define MEMLEAK_MAX_COMBINED 10240

/* One outstanding allocation, by address (a pfn for whole pages). */
struct memleak_alloc {
	__u64 size;
	__u64 timestamp_ns;
	__s32 stack_id;
	__u32 tgid;
};

/* -C: what is outstanding per stack, kept up to date in the kernel. */
struct memleak_combined {
	__u64 total_size;
	__u64 count;
};

/* Indexes of the drops array: what could not be tracked, for user space to report. */
enum memleak_drop {
	MEMLEAK_DROP_ALLOCS,   /* the allocs map was full */
	MEMLEAK_DROP_COMBINED, /* the combined map was full */
	MEMLEAK_DROP_ENTRIES,  /* the per-thread size or pointer of a call could not be kept */
	MEMLEAK_DROPS,
};

#endif
