/* drsnoop: every direct reclaim a task stalled in, with its latency and the pages it freed. */
#include "bpfutils.bpf.h"
#include "events.bpf.h"
#include "drsnoop.h"

/* Events only pass through the ring buffer; this puts their types into BTF for the layout check. */
struct drsnoop_event *const volatile drsnoop_event_layout = 0;
enum drsnoop_kind *const volatile drsnoop_kind_layout = 0;

const volatile __u32 targ_tgid = 0;
const volatile __u32 targ_pid = 0;
/* Address of vm_zone_stat (-e); 0: free pages not read. */
const volatile __u64 vm_zone_stat_kaddr = 0;

struct reclaim_start {
	__u64 ts;
	__u64 nr_free_pages;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct reclaim_start);
} start SEC(".maps");

static __always_inline bool traced(__u64 id)
{
	if (targ_tgid && (__u32)(id >> 32) != targ_tgid)
		return false;
	if (targ_pid && (__u32)id != targ_pid)
		return false;
	return true;
}

static __always_inline int reclaim_begin(void)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct reclaim_start s = {};
	__u32 tid = id;

	if (!traced(id))
		return 0;
	s.ts = bpf_ktime_get_ns();
	if (vm_zone_stat_kaddr) {
		long *stat = (long *)vm_zone_stat_kaddr;

		bpf_probe_read_kernel(&s.nr_free_pages, sizeof(s.nr_free_pages),
				      &stat[bpf_core_enum_value(enum zone_stat_item, NR_FREE_PAGES)]);
	}
	bpf_map_update_elem(&start, &tid, &s, BPF_ANY);
	return 0;
}

static __always_inline int reclaim_end(void *ctx, unsigned long nr_reclaimed, __u32 kind)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct drsnoop_event *ev;
	struct reclaim_start *s;
	__u32 tid = id;
	__s64 delta;

	if (!traced(id))
		return 0;
	s = bpf_map_lookup_elem(&start, &tid);
	if (!s)
		return 0;
	delta = bpf_ktime_get_ns() - s->ts;
	if (delta >= 0) {
		ev = event_reserve(sizeof(*ev));
		if (ev) {
			ev->pid = tid;
			ev->kind = kind;
			ev->delta_ns = delta;
			ev->nr_reclaimed = nr_reclaimed;
			ev->nr_free_pages = s->nr_free_pages;
			bpf_get_current_comm(ev->task, sizeof(ev->task));
			event_submit(ctx, ev, sizeof(*ev));
		}
	}
	bpf_map_delete_elem(&start, &tid);
	return 0;
}

BTF_TRACEPOINT(direct_begin, mm_vmscan_direct_reclaim_begin)
{
	return reclaim_begin();
}

BTF_TRACEPOINT(direct_end, mm_vmscan_direct_reclaim_end, unsigned long nr_reclaimed)
{
	return reclaim_end(ctx, nr_reclaimed, DRSNOOP_DIRECT);
}

BTF_TRACEPOINT(memcg_begin, mm_vmscan_memcg_reclaim_begin)
{
	return reclaim_begin();
}

BTF_TRACEPOINT(memcg_end, mm_vmscan_memcg_reclaim_end, unsigned long nr_reclaimed)
{
	return reclaim_end(ctx, nr_reclaimed, DRSNOOP_MEMCG);
}
