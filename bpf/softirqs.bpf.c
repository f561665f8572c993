/* softirqs: time from softirq_entry to softirq_exit, per vector. */
#include "bpfutils.bpf.h"
#include "softirqs.h"

const volatile bool as_hist = false;
const volatile bool in_ns = false;
const volatile int only_cpu = -1;

/* A CPU runs one softirq at a time. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} softirq_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SOFTIRQ_VECTORS);
	__type(key, __u32);
	__type(value, struct softirq_stat);
} softirq_stats SEC(".maps");

static __always_inline bool cpu_wanted(void)
{
	return only_cpu < 0 || (__u32)only_cpu == bpf_get_smp_processor_id();
}

static __always_inline int softirq_entered(void)
{
	__u32 zero = 0;
	__u64 *ts;

	if (!cpu_wanted())
		return 0;
	ts = bpf_map_lookup_elem(&softirq_start, &zero);
	if (ts)
		*ts = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int softirq_exited(unsigned int vec)
{
	struct softirq_stat *st;
	__u32 zero = 0, key = vec;
	__u64 *ts, delta, slot;

	if (vec >= SOFTIRQ_VECTORS)
		return 0;
	ts = bpf_map_lookup_elem(&softirq_start, &zero);
	if (!ts || !*ts)
		return 0;
	delta = bpf_ktime_get_ns() - *ts;
	*ts = 0;
	if (!in_ns)
		delta /= 1000;
	st = bpf_map_lookup_elem(&softirq_stats, &key);
	if (!st)
		return 0;
	st->count++;
	if (as_hist) {
		slot = log2_u64(delta);
		if (slot >= SOFTIRQS_SLOTS)
			slot = SOFTIRQS_SLOTS - 1;
		st->slots[slot]++;
	} else {
		st->time += delta;
	}
	return 0;
}

BTF_TRACEPOINT(softirq_entry, softirq_entry, unsigned int vec)
{
	return softirq_entered();
}

BTF_TRACEPOINT(softirq_exit, softirq_exit, unsigned int vec)
{
	return softirq_exited(vec);
}
