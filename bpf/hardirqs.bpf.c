/* hardirqs: time from irq_handler_entry to irq_handler_exit, per handler name (and CPU). */
#include "bpfutils.bpf.h"
#include "cgroup.bpf.h"
#include "hardirqs.h"

const volatile bool per_cpu = false;
const volatile bool as_hist = false;
const volatile bool in_ns = false;
const volatile int only_cpu = -1;

/* Handlers do not nest on one CPU, so one start time per CPU is enough. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} handler_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct hardirq_key);
	__type(value, struct hardirq_info);
} handlers SEC(".maps");

static const struct hardirq_info no_info;

static __always_inline bool cpu_wanted(void)
{
	return only_cpu < 0 || (__u32)only_cpu == bpf_get_smp_processor_id();
}

static __always_inline int handler_entered(void)
{
	__u32 zero = 0;
	__u64 *ts;

	if (!cpu_wanted() || cgroup_rejected())
		return 0;
	ts = bpf_map_lookup_elem(&handler_start, &zero);
	if (ts)
		*ts = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int handler_exited(struct irqaction *action)
{
	struct hardirq_key key = {};
	struct hardirq_info *info;
	__u32 zero = 0;
	__u64 *ts, delta, slot;

	ts = bpf_map_lookup_elem(&handler_start, &zero);
	/* No start: the entry was filtered out, or happened before we attached. */
	if (!ts || !*ts)
		return 0;
	delta = bpf_ktime_get_ns() - *ts;
	*ts = 0;
	if (!in_ns)
		delta /= 1000;

	bpf_probe_read_kernel_str(key.name, sizeof(key.name), BPF_CORE_READ(action, name));
	if (per_cpu)
		key.cpu = bpf_get_smp_processor_id();
	info = lookup_or_init(&handlers, &key, &no_info);
	if (!info)
		return 0;
	__sync_fetch_and_add(&info->count, 1);
	if (as_hist) {
		slot = log2_u64(delta);
		if (slot >= HARDIRQS_SLOTS)
			slot = HARDIRQS_SLOTS - 1;
		__sync_fetch_and_add(&info->slots[slot], 1);
		return 0;
	}
	__sync_fetch_and_add(&info->total, delta);
	/* Rows are per CPU or racing handlers of one name are rare: a lost max is tolerable. */
	if (delta > info->max)
		info->max = delta;
	return 0;
}

BTF_TRACEPOINT(irq_entry, irq_handler_entry, int irq, struct irqaction *action)
{
	return handler_entered();
}

BTF_TRACEPOINT(irq_exit, irq_handler_exit, int irq, struct irqaction *action)
{
	return handler_exited(action);
}
