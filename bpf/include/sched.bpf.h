/* Scheduler CO-RE helpers shared by the scheduler tools. */
#ifndef BPFUTILS_SCHED_BPF_H
#define BPFUTILS_SCHED_BPF_H

#include "bpfutils.bpf.h"

#define TASK_RUNNING 0

/* Linux 5.14 renamed task_struct::state (a long) to __state (an unsigned int). */
struct task_struct___with_state {
	volatile long state;
} __attribute__((preserve_access_index));

static __always_inline long task_state(struct task_struct *task)
{
	if (bpf_core_field_exists(task->__state))
		return BPF_CORE_READ(task, __state);
	return BPF_CORE_READ((struct task_struct___with_state *)task, state);
}

/*
 * A task switched out while still TASK_RUNNING was preempted: it goes straight back to the run
 * queue. One that sleeps leaves with another state.
 */
static __always_inline bool task_preempted(struct task_struct *task)
{
	return task_state(task) == TASK_RUNNING;
}

/* Inode number of the PID namespace the task's pid lives in (its innermost one). */
static __always_inline unsigned int task_pidns_inum(struct task_struct *task)
{
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	struct upid upid = {};

	bpf_core_read(&upid, sizeof(upid), &pid->numbers[level]);
	return BPF_CORE_READ(upid.ns, ns.inum);
}

/* Linux 6.14 renamed cfs_rq::nr_running to nr_queued. */
struct cfs_rq___with_nr_running {
	unsigned int nr_running;
} __attribute__((preserve_access_index));

static __always_inline unsigned int cfs_rq_queued(struct cfs_rq *cfs_rq)
{
	if (bpf_core_field_exists(((struct cfs_rq___with_nr_running *)cfs_rq)->nr_running))
		return BPF_CORE_READ((struct cfs_rq___with_nr_running *)cfs_rq, nr_running);
	return BPF_CORE_READ(cfs_rq, nr_queued);
}

#endif
