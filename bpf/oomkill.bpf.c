/* oomkill: every OOM kill, with the task that triggered it, the victim and its memory cgroup. */
#include "bpfutils.bpf.h"
#include "events.bpf.h"
#include "oomkill.h"

/* Events only pass through the ring buffer; this puts their type into BTF for the layout check. */
struct oomkill_event *const volatile oomkill_event_layout = 0;
enum oomkill_origin *const volatile oomkill_origin_layout = 0;

/* Before 6.8 the tracepoint was mark_victim(int pid); since, mark_victim(task, uid), and its
 * format gained the comm: the field tells which argument the raw tracepoint gets. */
struct trace_event_raw_mark_victim___comm {
	__u32 __data_loc_comm;
} __attribute__((preserve_access_index));

/*
 * The smallest memory limit above task (the OOM domain's size when the kill is a memcg one),
 * walking the memory controller's css parents (whichever hierarchy, v1 or v2, memory is bound
 * to); with names, the cgroup's path on the way, leaf first.
 */
static __always_inline __u64 task_memcg(struct oomkill_event *ev, struct task_struct *task, bool names)
{
	struct cgroup_subsys_state *css = 0;
	struct css_set *cset;
	__u64 least = ~0ULL;
	int id, i;

	if (!bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id))
		return least;
	id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	cset = BPF_CORE_READ(task, cgroups);
	if (!cset || id < 0 || id >= CGROUP_SUBSYS_COUNT)
		return least;
	bpf_core_read(&css, sizeof(css), &cset->subsys[id]);
	if (!css)
		return least;
	ev->cg_known = names;
	/* Unrolled: 6.1's verifier refuses a loop whose back-edge is a helper call's fallthrough. */
#pragma unroll
	for (i = 0; i < OOMKILL_CG_LEVELS + 1; i++) {
		struct cgroup_subsys_state *parent = BPF_CORE_READ(css, parent);
		struct mem_cgroup *memcg = (void *)css - bpf_core_field_offset(struct mem_cgroup, css);
		__u64 max = BPF_CORE_READ(memcg, memory.max);

		if (!parent)
			break;
		if (max < least)
			least = max;
		if (!names) {
			css = parent;
			continue;
		}
		if (i == OOMKILL_CG_LEVELS) {
			ev->cg_truncated = 1;
			break;
		}
		bpf_probe_read_kernel_str(ev->cgroup[i], OOMKILL_CG_NAME, BPF_CORE_READ(css, cgroup, kn, name));
		ev->cg_levels = i + 1;
		css = parent;
	}
	return least;
}

static __always_inline struct oomkill_event *new_event(void)
{
	struct oomkill_event *ev = event_reserve(sizeof(*ev));

	if (!ev)
		return 0;
	/* Reserved space is not zeroed: every field user space reads is set here or later. */
	ev->pages = ~0ULL;
	ev->tpid = 0;
	ev->tcomm[0] = 0;
	ev->cg_levels = 0;
	ev->cg_truncated = 0;
	ev->cg_known = 0;
	ev->fpid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(ev->fcomm, sizeof(ev->fcomm));
	return ev;
}

static __always_inline int killing(void *ctx, struct oom_control *oc)
{
	struct oomkill_event *ev = new_event();
	struct task_struct *victim;

	if (!ev)
		return 0;
	victim = BPF_CORE_READ(oc, chosen);
	ev->origin = OOMKILL_ORIGIN_OOM_CONTROL;
	ev->pages = BPF_CORE_READ(oc, totalpages);
	ev->tpid = BPF_CORE_READ(victim, tgid);
	BPF_CORE_READ_STR_INTO(&ev->tcomm, victim, comm);
	task_memcg(ev, victim, true);
	event_submit(ctx, ev, sizeof(*ev));
	return 0;
}

SEC("fentry/oom_kill_process")
int BPF_PROG(oom_kill_fentry, struct oom_control *oc)
{
	return killing(ctx, oc);
}

SEC("kprobe/oom_kill_process")
int BPF_KPROBE(oom_kill_kprobe, struct oom_control *oc)
{
	return killing(ctx, oc);
}

/* mark_victim runs in the killer's context too, but has no oom_control: no page total. */
BTF_TRACEPOINT(mark_victim, mark_victim, void *arg)
{
	struct oomkill_event *ev = new_event();
	struct task_struct *victim;

	if (!ev)
		return 0;
	if (!bpf_core_field_exists(struct trace_event_raw_mark_victim___comm, __data_loc_comm)) {
		/*
		 * The pid only. A memcg OOM is the charging task's: the limits above it size the
		 * domain; and a task that ran into its own limit is the usual victim, read here then.
		 */
		struct task_struct *current = (struct task_struct *)bpf_get_current_task();

		ev->origin = OOMKILL_ORIGIN_VICTIM_PID;
		ev->tpid = (__u32)(unsigned long)arg;
		bool self = BPF_CORE_READ(current, pid) == ev->tpid;

		if (self)
			BPF_CORE_READ_STR_INTO(&ev->tcomm, current, comm);
		ev->pages = task_memcg(ev, current, self);
		event_submit(ctx, ev, sizeof(*ev));
		return 0;
	}
	victim = arg;
	ev->origin = OOMKILL_ORIGIN_VICTIM_TASK;
	ev->tpid = BPF_CORE_READ(victim, tgid);
	BPF_CORE_READ_STR_INTO(&ev->tcomm, victim, comm);
	ev->pages = task_memcg(ev, victim, true);
	event_submit(ctx, ev, sizeof(*ev));
	return 0;
}
