/* runqlat: how long runnable tasks wait for a CPU, as log2 histograms by key. */
#include "bpfutils.bpf.h"
#include "cgroup.bpf.h"
#include "runq.bpf.h"
#include "runqlat.h"

/* Grouping of the histograms. */
#define BY_NONE 0
#define BY_PROCESS 1
#define BY_THREAD 2
#define BY_PIDNS 3

const volatile int group_by = BY_NONE;
const volatile bool in_ms = false;
const volatile __u32 target_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct runqlat_hist);
} hists SEC(".maps");

static const struct runqlat_hist empty_hist = {};

static __always_inline bool runq_follow(struct task_struct *task)
{
	return !target_tgid || BPF_CORE_READ(task, tgid) == target_tgid;
}

static __always_inline __u32 hist_key(struct task_struct *task)
{
	switch (group_by) {
	case BY_PROCESS:
		return BPF_CORE_READ(task, tgid);
	case BY_THREAD:
		return BPF_CORE_READ(task, pid);
	case BY_PIDNS:
		return task_pidns_inum(task);
	}
	return (__u32)-1;
}

static __always_inline int woken(struct task_struct *task)
{
	if (!cgroup_rejected())
		runq_join(task);
	return 0;
}

static __always_inline int switched(struct task_struct *prev, struct task_struct *next)
{
	struct runqlat_hist *h;
	__s64 wait;
	__u64 slot;
	__u32 key;

	if (cgroup_rejected())
		return 0;
	wait = runq_switch(prev, next);
	if (wait < 0)
		return 0;
	key = hist_key(next);
	h = lookup_or_init(&hists, &key, &empty_hist);
	if (!h)
		return 0;
	if (!h->comm[0])
		BPF_CORE_READ_STR_INTO(&h->comm, next, comm);
	slot = log2_u64(wait / (in_ms ? 1000000 : 1000));
	if (slot >= RUNQLAT_SLOTS)
		slot = RUNQLAT_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[slot], 1);
	return 0;
}

BTF_TRACEPOINT(wakeup, sched_wakeup, struct task_struct *p)
{
	return woken(p);
}

BTF_TRACEPOINT(wakeup_new, sched_wakeup_new, struct task_struct *p)
{
	return woken(p);
}

BTF_TRACEPOINT(switch, sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return switched(prev, next);
}
