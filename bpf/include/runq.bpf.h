/*
 * Run-queue wait bookkeeping shared by runqlat and runqslower. A task joins the run queue when it
 * is woken, when it is new, or when it is preempted; it leaves when it is switched in. The time
 * it joined is kept by thread id until then.
 *
 * The includer defines runq_follow(task), which says whether a task is of interest.
 */
#ifndef BPFUTILS_RUNQ_BPF_H
#define BPFUTILS_RUNQ_BPF_H

#include "sched.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} runq_joined SEC(".maps");

static __always_inline bool runq_follow(struct task_struct *task);

static __always_inline void runq_join(struct task_struct *task)
{
	__u32 tid = BPF_CORE_READ(task, pid);
	__u64 now;

	/* Idle tasks all have tid 0 and never wait for a CPU. */
	if (!tid || !runq_follow(task))
		return;
	now = bpf_ktime_get_ns();
	bpf_map_update_elem(&runq_joined, &tid, &now, BPF_ANY);
}

/*
 * At a context switch: the preempted prev rejoins the queue, and next leaves it. Returns how long
 * next waited, in ns, or -1 when its joining was not seen.
 */
static __always_inline __s64 runq_switch(struct task_struct *prev, struct task_struct *next)
{
	__u32 tid = BPF_CORE_READ(next, pid);
	__u64 *joined;
	__s64 wait;

	if (task_preempted(prev))
		runq_join(prev);
	joined = bpf_map_lookup_elem(&runq_joined, &tid);
	if (!joined)
		return -1;
	wait = bpf_ktime_get_ns() - *joined;
	bpf_map_delete_elem(&runq_joined, &tid);
	return wait;
}

#endif
