/*
 * wakeuptime: a thread leaving a CPU notes the time; whoever wakes it up later gets the time it
 * slept, under the waker's name and kernel stack.
 *
 * sched_waking fires in try_to_wake_up, in the waker's context. sched_wakeup (libbpf-tools'
 * choice, the fallback here) fires where the wakee is activated, which is often an interrupt on
 * the wakee's idle CPU: the "waker" is then swapper.
 */
#include "bpfutils.bpf.h"
#include "stacks.bpf.h"
#include "wakeuptime.h"

const volatile __u32 target_tgid = 0;
const volatile bool user_threads_only = false;
const volatile __u64 min_block_ns = 1000;
const volatile __u64 max_block_ns = (__u64)-1;

/* When each thread left its CPU, by thread id. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} asleep SEC(".maps");

/* Nanoseconds blocked. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct wakeup_key);
	__type(value, __u64);
} counts SEC(".maps");

static const __u64 zero;

static __always_inline bool traced(struct task_struct *task)
{
	if (target_tgid && BPF_CORE_READ(task, tgid) != target_tgid)
		return false;
	return !(user_threads_only && is_kthread(task));
}

static __always_inline int switched(struct task_struct *prev, struct task_struct *next)
{
	__u32 tid = BPF_CORE_READ(next, pid);
	__u64 now;

	/* Back on a CPU: a wakeup now (of a thread that had not left yet) blocked nothing. */
	bpf_map_delete_elem(&asleep, &tid);
	tid = BPF_CORE_READ(prev, pid);
	if (!tid || !traced(prev))
		return 0;
	now = bpf_ktime_get_ns();
	bpf_map_update_elem(&asleep, &tid, &now, BPF_ANY);
	return 0;
}

/* Runs in the waker's context: its name and kernel stack are the current task's. */
static __always_inline int woken(void *ctx, struct task_struct *task)
{
	__u32 tid = BPF_CORE_READ(task, pid);
	struct wakeup_key key = {};
	__u64 *since, delta, *sum;

	if (!traced(task))
		return 0;
	since = bpf_map_lookup_elem(&asleep, &tid);
	if (!since)
		return 0;
	delta = bpf_ktime_get_ns() - *since;
	bpf_map_delete_elem(&asleep, &tid);
	if (delta < min_block_ns || delta > max_block_ns)
		return 0;
	key.w_k_stack_id = bpf_get_stackid(ctx, &stackmap, 0);
	BPF_CORE_READ_STR_INTO(&key.target, task, comm);
	bpf_get_current_comm(&key.waker, sizeof(key.waker));
	sum = lookup_or_init(&counts, &key, &zero);
	if (sum)
		__sync_fetch_and_add(sum, delta);
	return 0;
}

BTF_TRACEPOINT(switch, sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return switched(prev, next);
}

BTF_TRACEPOINT(waking, sched_waking, struct task_struct *task)
{
	return woken(ctx, task);
}

BTF_TRACEPOINT(wakeup, sched_wakeup, struct task_struct *task)
{
	return woken(ctx, task);
}
