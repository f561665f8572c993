#ifndef PROFILE_H
#define PROFILE_H

/* The most -p or -L ids one run takes, as libbpf-tools. */
#define PROFILE_MAX_IDS 30

/* What a sample is counted under: the process, its name and its two stacks. */
struct profile_key {
	__u32 pid;
	__s32 user_stack_id;
	__s32 kern_stack_id;
	char comm[16];
};

#endif
