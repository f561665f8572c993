#ifndef OFFCPUTIME_H
#define OFFCPUTIME_H

/* The most -p or -t ids one run takes, as libbpf-tools. */
#define OFFCPU_MAX_IDS 30

/* Blocked time is summed per thread and the stacks it left the CPU with. */
struct offcpu_key {
	__u32 pid; /* thread id (the idle tasks: their CPU) */
	__u32 tgid;
	__s32 user_stack_id;
	__s32 kern_stack_id;
};

struct offcpu_val {
	__u64 delta; /* microseconds */
	char comm[16];
};

#endif
