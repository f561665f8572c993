/* Stack maps and task filters shared by the stack tools (profile, offcputime, wakeuptime). */
#ifndef BPFUTILS_STACKS_BPF_H
#define BPFUTILS_STACKS_BPF_H

#include "bpfutils.bpf.h"

/* Stored as a stack id when a stack was deliberately not taken (-U, -K, kernel threads). */
#define NO_STACK -1

#define PF_KTHREAD 0x00200000

/*
 * Stack traces by id. User space sets the number of stacks (--stack-storage-size) and the
 * value size, the frames kept per stack (--perf-max-stack-depth) times 8.
 */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 127 * sizeof(__u64));
	__uint(max_entries, 1024);
} stackmap SEC(".maps");

/* A set of process or thread ids (-p, -t lists) filled by user space before attaching. */
#define ID_SET(name, size)                          \
	struct {                                    \
		__uint(type, BPF_MAP_TYPE_HASH);    \
		__uint(max_entries, size);          \
		__type(key, __u32);                 \
		__type(value, __u8);                \
	} name SEC(".maps")

static __always_inline bool in_set(void *set, __u32 id)
{
	return bpf_map_lookup_elem(set, &id) != 0;
}

static __always_inline bool is_kthread(struct task_struct *task)
{
	return BPF_CORE_READ(task, flags) & PF_KTHREAD;
}

#endif
