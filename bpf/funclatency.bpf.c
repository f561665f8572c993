/* funclatency: how long calls of one kernel or user function take, as a log2 histogram. */
#include "bpfutils.bpf.h"
#include "cgroup.bpf.h"
#include "funclatency.h"

const volatile __u32 targ_tgid = 0;
const volatile int units = FUNCLATENCY_NSEC;

/*
 * Keyed by thread with a stack of start times, not one start per thread as in libbpf-tools: a
 * recursive call there overwrites its caller's start, and the caller's return finds none.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FUNCLATENCY_THREADS);
	__type(key, __u32);
	__type(value, struct funclatency_calls);
} calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct funclatency_hist);
} hist SEC(".maps");

static const struct funclatency_calls no_calls;

static __always_inline void count_untimed(void)
{
	__u32 zero = 0;
	struct funclatency_hist *h = bpf_map_lookup_elem(&hist, &zero);

	if (h)
		__sync_fetch_and_add(&h->untimed, 1);
}

static __always_inline int enter(void)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct funclatency_calls *c;
	__u32 depth;

	if (targ_tgid && targ_tgid != id >> 32)
		return 0;
	if (cgroup_rejected())
		return 0;
	c = lookup_or_init(&calls, &tid, &no_calls);
	if (!c) {
		count_untimed();
		return 0;
	}
	depth = c->depth;
	if (depth < FUNCLATENCY_DEPTH)
		c->start[depth] = bpf_ktime_get_ns();
	else
		count_untimed();
	c->depth = depth + 1;
	return 0;
}

static __always_inline int leave(void)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct funclatency_calls *c;
	struct funclatency_hist *h;
	__u32 depth, zero = 0;
	__u64 delta, slot;

	/* Only calls whose entry passed the filters are in the table. */
	c = bpf_map_lookup_elem(&calls, &tid);
	if (!c)
		return 0;
	depth = c->depth;
	if (depth == 0) {
		bpf_map_delete_elem(&calls, &tid);
		return 0;
	}
	depth--;
	if (depth < FUNCLATENCY_DEPTH) {
		delta = now - c->start[depth];
		if (units == FUNCLATENCY_USEC)
			delta /= 1000;
		else if (units == FUNCLATENCY_MSEC)
			delta /= 1000000;
		slot = log2_u64(delta);
		if (slot >= FUNCLATENCY_SLOTS)
			slot = FUNCLATENCY_SLOTS - 1;
		h = bpf_map_lookup_elem(&hist, &zero);
		if (h)
			__sync_fetch_and_add(&h->slots[slot], 1);
	}
	if (depth == 0)
		bpf_map_delete_elem(&calls, &tid);
	else
		c->depth = depth;
	return 0;
}

/* The targets are set at run time: the section names only give --verify one to load. */
SEC("fentry/vfs_read")
int BPF_PROG(entry_fentry)
{
	return enter();
}

SEC("fexit/vfs_read")
int BPF_PROG(return_fexit)
{
	return leave();
}

SEC("kprobe/vfs_read")
int BPF_KPROBE(entry_kprobe)
{
	return enter();
}

SEC("kretprobe/vfs_read")
int BPF_KRETPROBE(return_kretprobe)
{
	return leave();
}

SEC("uprobe")
int BPF_UPROBE(entry_uprobe)
{
	return enter();
}

SEC("uretprobe")
int BPF_URETPROBE(return_uprobe)
{
	return leave();
}
