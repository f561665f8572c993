/* numamove: how many NUMA-misplaced pages (folios) were migrated, and the time spent on it. */
#include "bpfutils.bpf.h"
#include "numamove.h"

/* No option reaches the object; the layout check still expects a .rodata to hold to. */
struct numamove_totals *const volatile numamove_totals_layout = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct numamove_totals);
} totals SEC(".maps");

static __always_inline int migration_begins(void)
{
	__u32 tid = bpf_get_current_pid_tgid();
	__u64 ts = bpf_ktime_get_ns();

	bpf_map_update_elem(&start, &tid, &ts, BPF_ANY);
	return 0;
}

static __always_inline int migration_ends(void)
{
	__u32 tid = bpf_get_current_pid_tgid();
	struct numamove_totals *sum;
	__u32 zero = 0;
	__u64 *ts;
	__s64 delta;

	ts = bpf_map_lookup_elem(&start, &tid);
	if (!ts)
		return 0;
	delta = bpf_ktime_get_ns() - *ts;
	bpf_map_delete_elem(&start, &tid);
	sum = bpf_map_lookup_elem(&totals, &zero);
	if (delta < 0 || !sum)
		return 0;
	__sync_fetch_and_add(&sum->ms, (__u64)delta / 1000000);
	__sync_fetch_and_add(&sum->ns, (__u64)delta);
	__sync_fetch_and_add(&sum->count, 1);
	return 0;
}

SEC("fentry/migrate_misplaced_folio")
int BPF_PROG(misplaced_fentry)
{
	return migration_begins();
}

SEC("fexit/migrate_misplaced_folio")
int BPF_PROG(misplaced_fexit)
{
	return migration_ends();
}

SEC("kprobe/migrate_misplaced_folio")
int BPF_KPROBE(misplaced_kprobe)
{
	return migration_begins();
}

SEC("kretprobe/migrate_misplaced_folio")
int BPF_KRETPROBE(misplaced_kretprobe)
{
	return migration_ends();
}

/*
 * Without those hooks: the migrate_pages() call that migrate_misplaced_folio makes, which the
 * migrate tracepoints bracket with the reason NUMA-misplaced. Isolating the folio before it is
 * not timed, and a folio that fails isolation is not counted.
 */
static __always_inline bool numa_misplaced(int reason)
{
	return reason == bpf_core_enum_value(enum migrate_reason, MR_NUMA_MISPLACED);
}

BTF_TRACEPOINT(misplaced_tp_start, mm_migrate_pages_start, enum migrate_mode mode, int reason)
{
	if (!numa_misplaced(reason))
		return 0;
	return migration_begins();
}

/* migrate_pages() calls do not nest: the end that follows a misplaced start on the same thread
 * is its own, whatever the reason (an argument whose position changed between kernels). */
BTF_TRACEPOINT(misplaced_tp_end, mm_migrate_pages)
{
	return migration_ends();
}
