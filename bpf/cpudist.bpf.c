/* cpudist: how long tasks stay on a CPU (or, with offcpu, away from one), as log2 histograms. */
#include "bpfutils.bpf.h"
#include "cgroup.bpf.h"
#include "sched.bpf.h"
#include "cpudist.h"

#define BY_NONE 0
#define BY_PROCESS 1
#define BY_THREAD 2

const volatile int group_by = BY_NONE;
const volatile bool offcpu = false;
const volatile bool in_ms = false;
const volatile __u32 target_tgid = 0;
const volatile bool sum_up = false;

/* Idle tasks all have tid 0, one per CPU: they are told apart by this bit and the CPU number. */
#define IDLE_KEY 0x80000000u

/* When each task last went on (or off) a CPU; user space sizes it to pid_max. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, __u64);
} since SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpudist_hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpudist_total);
} totals SEC(".maps");

static const struct cpudist_hist empty_hist = {};

static __always_inline __u32 since_key(__u32 tid)
{
	return tid ? tid : IDLE_KEY | bpf_get_smp_processor_id();
}

static __always_inline void mark(struct task_struct *task, __u64 now)
{
	__u32 key = since_key(BPF_CORE_READ(task, pid));

	if (target_tgid && BPF_CORE_READ(task, tgid) != target_tgid)
		return;
	bpf_map_update_elem(&since, &key, &now, BPF_ANY);
}

static __always_inline void count(struct task_struct *task, __u64 now)
{
	__u32 tid = BPF_CORE_READ(task, pid), tgid = BPF_CORE_READ(task, tgid);
	__u32 key = since_key(tid);
	struct cpudist_hist *h;
	struct cpudist_total *sum;
	__u64 *then, slot, delta;
	__u32 zero = 0;

	if (target_tgid && tgid != target_tgid)
		return;
	then = bpf_map_lookup_elem(&since, &key);
	if (!then || now < *then)
		return;
	delta = (now - *then) / (in_ms ? 1000000 : 1000);
	if (sum_up && (sum = bpf_map_lookup_elem(&totals, &zero))) {
		__sync_fetch_and_add(&sum->total, delta);
		__sync_fetch_and_add(&sum->count, 1);
	}
	slot = log2_u64(delta);
	if (slot >= CPUDIST_SLOTS)
		slot = CPUDIST_SLOTS - 1;
	key = group_by == BY_PROCESS ? tgid : group_by == BY_THREAD ? tid : (__u32)-1;
	h = lookup_or_init(&hists, &key, &empty_hist);
	if (!h)
		return;
	if (!h->comm[0])
		BPF_CORE_READ_STR_INTO(&h->comm, task, comm);
	__sync_fetch_and_add(&h->slots[slot], 1);
}

static __always_inline int switched(struct task_struct *prev, struct task_struct *next)
{
	__u64 now = bpf_ktime_get_ns();

	if (cgroup_rejected())
		return 0;
	if (offcpu) {
		mark(prev, now);
		count(next, now);
		return 0;
	}
	/* Like libbpf-tools, on-CPU slices are counted when they end in preemption. */
	if (task_preempted(prev))
		count(prev, now);
	mark(next, now);
	return 0;
}

BTF_TRACEPOINT(switch, sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return switched(prev, next);
}
