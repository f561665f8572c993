/* runqslower: every run-queue wait longer than a threshold, as an event. */
#include "bpfutils.bpf.h"
#include "events.bpf.h"
#include "runq.bpf.h"
#include "runqslower.h"

/* Only here to put the event type into the object's BTF, where the layout test finds it. */
struct runqslower_event *const volatile event_type;

const volatile __u64 min_us = 0;
const volatile __u32 target_tgid = 0;
const volatile __u32 target_tid = 0;
/* Comm prefix filter; empty: every task. */
const volatile char target_comm[TASK_COMM_LEN] = {};

static __always_inline bool comm_matches(struct task_struct *task)
{
	char comm[TASK_COMM_LEN] = {};
	int i;

	if (!target_comm[0])
		return true;
	BPF_CORE_READ_STR_INTO(&comm, task, comm);
	for (i = 0; i < TASK_COMM_LEN && target_comm[i]; i++)
		if (comm[i] != target_comm[i])
			return false;
	return true;
}

static __always_inline bool runq_follow(struct task_struct *task)
{
	if (target_tgid && BPF_CORE_READ(task, tgid) != target_tgid)
		return false;
	if (target_tid && BPF_CORE_READ(task, pid) != target_tid)
		return false;
	return comm_matches(task);
}

static __always_inline int switched(void *ctx, struct task_struct *prev, struct task_struct *next)
{
	struct runqslower_event *ev;
	__s64 wait = runq_switch(prev, next);
	__u64 us;

	if (wait < 0)
		return 0;
	us = (__u64)wait / 1000;
	if (min_us && us <= min_us)
		return 0;
	ev = event_reserve(sizeof(*ev));
	if (!ev)
		return 0;
	ev->pid = BPF_CORE_READ(next, pid);
	ev->prev_pid = BPF_CORE_READ(prev, pid);
	ev->delta_us = us;
	BPF_CORE_READ_STR_INTO(&ev->task, next, comm);
	BPF_CORE_READ_STR_INTO(&ev->prev_task, prev, comm);
	event_submit(ctx, ev, sizeof(*ev));
	return 0;
}

BTF_TRACEPOINT(wakeup, sched_wakeup, struct task_struct *p)
{
	runq_join(p);
	return 0;
}

BTF_TRACEPOINT(wakeup_new, sched_wakeup_new, struct task_struct *p)
{
	runq_join(p);
	return 0;
}

BTF_TRACEPOINT(switch, sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return switched(ctx, prev, next);
}
