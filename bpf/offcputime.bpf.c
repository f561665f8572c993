/*
 * offcputime: when a thread leaves a CPU, note its stacks and the time; when it comes back, add
 * the time it was away to those stacks.
 */
#include "bpfutils.bpf.h"
#include "sched.bpf.h"
#include "stacks.bpf.h"
#include "offcputime.h"

const volatile bool filter_by_tgid = false;
const volatile bool filter_by_pid = false;
const volatile bool user_threads_only = false;
const volatile bool kernel_threads_only = false;
const volatile bool user_stacks = true;
const volatile bool kernel_stacks = true;
const volatile long state = -1; /* -1: any */
const volatile __u64 min_block_us = 1;
const volatile __u64 max_block_us = (__u64)-1;

ID_SET(tgids, OFFCPU_MAX_IDS);
ID_SET(pids, OFFCPU_MAX_IDS);

struct departure {
	__u64 ts;
	struct offcpu_key key;
};

/* Threads now off a CPU, by thread id. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct departure);
} away SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct offcpu_key);
	__type(value, struct offcpu_val);
} info SEC(".maps");

static __always_inline bool traced(struct task_struct *task)
{
	if (filter_by_tgid && !in_set(&tgids, BPF_CORE_READ(task, tgid)))
		return false;
	if (filter_by_pid && !in_set(&pids, BPF_CORE_READ(task, pid)))
		return false;
	if (user_threads_only && is_kthread(task))
		return false;
	if (kernel_threads_only && !is_kthread(task))
		return false;
	if (state != -1 && task_state(task) != state)
		return false;
	return true;
}

static __always_inline int switched(void *ctx, struct task_struct *prev, struct task_struct *next)
{
	struct departure d = {}, *dp;
	struct offcpu_val val = {}, *vp;
	__u64 now = bpf_ktime_get_ns();
	__u32 tid;
	__u64 us;

	/*
	 * prev is still the current task: its stacks are the ones it blocks in. The idle tasks
	 * (tid 0) never come back as a thread that blocked.
	 */
	tid = BPF_CORE_READ(prev, pid);
	if (tid && traced(prev)) {
		d.ts = now;
		d.key.pid = tid;
		d.key.tgid = BPF_CORE_READ(prev, tgid);
		d.key.kern_stack_id = kernel_stacks ? bpf_get_stackid(ctx, &stackmap, 0) : NO_STACK;
		if (!user_stacks || is_kthread(prev))
			d.key.user_stack_id = NO_STACK;
		else
			d.key.user_stack_id = bpf_get_stackid(ctx, &stackmap, BPF_F_USER_STACK);
		bpf_map_update_elem(&away, &tid, &d, BPF_ANY);
		BPF_CORE_READ_STR_INTO(&val.comm, prev, comm);
		bpf_map_update_elem(&info, &d.key, &val, BPF_NOEXIST);
	}

	tid = BPF_CORE_READ(next, pid);
	dp = bpf_map_lookup_elem(&away, &tid);
	if (!dp)
		return 0;
	/* A departure stamped on another CPU may look later than now: skip it. */
	if (now < dp->ts)
		goto done;
	us = (now - dp->ts) / 1000;
	if (us < min_block_us || us > max_block_us)
		goto done;
	vp = bpf_map_lookup_elem(&info, &dp->key);
	if (vp)
		__sync_fetch_and_add(&vp->delta, us);
done:
	bpf_map_delete_elem(&away, &tid);
	return 0;
}

BTF_TRACEPOINT(switch, sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return switched(ctx, prev, next);
}
