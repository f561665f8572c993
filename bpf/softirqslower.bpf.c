/* softirqslower: softirqs that waited or ran longer than min_us. */
#include "bpfutils.bpf.h"
#include "events.bpf.h"
#include "softirqslower.h"

const volatile __u64 min_us = 10000;
const volatile int only_cpu = -1;

/* Per CPU and vector: when it was raised (0: not pending) and when its handler started. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SOFTIRQ_VECTORS);
	__type(key, __u32);
	__type(value, __u64);
} raised_at SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SOFTIRQ_VECTORS);
	__type(key, __u32);
	__type(value, __u64);
} entered_at SEC(".maps");

/* Names the event type in the object's BTF, where the layout test finds it. */
struct softirqslower_event event_layout_ __attribute__((unused));

static __always_inline bool wanted(__u32 cpu, __u32 vec)
{
	return vec < SOFTIRQ_VECTORS && (only_cpu < 0 || (__u32)only_cpu == cpu);
}

static __always_inline void report(void *ctx, __u32 stage, __u32 vec, __u32 cpu, __u64 delta_us)
{
	struct softirqslower_event *e;

	e = event_reserve(sizeof(*e));
	if (!e)
		return;
	e->delta_us = delta_us;
	e->stage = stage;
	e->vec = vec;
	e->cpu = cpu;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	event_submit(ctx, e, sizeof(*e));
}

static __always_inline int raised(unsigned int vec)
{
	__u32 cpu = bpf_get_smp_processor_id(), key = vec;
	__u64 *ts;

	if (!wanted(cpu, key))
		return 0;
	ts = bpf_map_lookup_elem(&raised_at, &key);
	/* Raising a pending vector again changes nothing: its wait began with the first raise. */
	if (ts && !*ts)
		*ts = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int entered(void *ctx, unsigned int vec)
{
	__u32 cpu = bpf_get_smp_processor_id(), key = vec;
	__u64 now, delta, *ts;

	if (!wanted(cpu, key))
		return 0;
	now = bpf_ktime_get_ns();
	ts = bpf_map_lookup_elem(&raised_at, &key);
	if (ts && *ts) {
		delta = (now - *ts) / 1000;
		*ts = 0;
		if (delta >= min_us)
			report(ctx, STAGE_RAISE_TO_ENTRY, key, cpu, delta);
	}
	ts = bpf_map_lookup_elem(&entered_at, &key);
	if (ts)
		*ts = now;
	return 0;
}

static __always_inline int exited(void *ctx, unsigned int vec)
{
	__u32 cpu = bpf_get_smp_processor_id(), key = vec;
	__u64 delta, *ts;

	if (!wanted(cpu, key))
		return 0;
	ts = bpf_map_lookup_elem(&entered_at, &key);
	if (!ts || !*ts)
		return 0;
	delta = (bpf_ktime_get_ns() - *ts) / 1000;
	*ts = 0;
	if (delta >= min_us)
		report(ctx, STAGE_RUNTIME, key, cpu, delta);
	return 0;
}

BTF_TRACEPOINT(sirq_raise, softirq_raise, unsigned int vec)
{
	return raised(vec);
}

BTF_TRACEPOINT(sirq_entry, softirq_entry, unsigned int vec)
{
	return entered(ctx, vec);
}

BTF_TRACEPOINT(sirq_exit, softirq_exit, unsigned int vec)
{
	return exited(ctx, vec);
}
