#ifndef BPFUTILS_EVENTS_BPF_H
#define BPFUTILS_EVENTS_BPF_H

#include "bpfutils.bpf.h"

/*
 * Event transport. Programs reserve space with event_reserve() and hand it over with
 * event_submit(). User space sizes the ring buffer and, on kernels without BPF ring buffers,
 * retypes "events" into a perf event array and sets use_perfbuf; the per-CPU scratch slot then
 * holds the event while it is built.
 */
#define MAX_EVENT_SIZE 16384

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, MAX_EVENT_SIZE);
} event_scratch SEC(".maps");

/* Events that found the buffer full, per CPU; user space reports them. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} events_lost SEC(".maps");

const volatile bool use_perfbuf = false;

static __always_inline void event_count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&events_lost, &zero);

	if (n)
		*n += 1;
}

/*
 * Between batches the reader lets records gather for a few milliseconds (pkg/tracer), and the
 * kernel only wakes it for a record written into an empty ring; so once the ring is a quarter
 * full, every record wakes it, and a storm is drained long before the ring can fill.
 */
static __always_inline __u64 event_wakeup(void)
{
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= bpf_ringbuf_query(&events, BPF_RB_RING_SIZE) / 4)
		return BPF_RB_FORCE_WAKEUP;
	return 0;
}

/* Fixed-size events: reserve in place (ring buffer) or in the scratch slot (perf buffer). */
static __always_inline void *event_reserve(__u64 size)
{
	__u32 zero = 0;
	void *ev;

	if (use_perfbuf)
		return bpf_map_lookup_elem(&event_scratch, &zero);
	ev = bpf_ringbuf_reserve(&events, size, 0);
	if (!ev)
		event_count_lost();
	return ev;
}

static __always_inline void event_submit(void *ctx, void *ev, __u64 size)
{
	if (!use_perfbuf) {
		bpf_ringbuf_submit(ev, event_wakeup());
		return;
	}
	if (bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, ev, size))
		event_count_lost();
}

static __always_inline void event_discard(void *ev)
{
	if (!use_perfbuf)
		bpf_ringbuf_discard(ev, 0);
}

/* Variable-size events: build in the scratch slot, then send only the bytes used. */
static __always_inline void *event_scratch_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&event_scratch, &zero);
}

static __always_inline void event_output(void *ctx, void *ev, __u64 size)
{
	long err;

	size &= (MAX_EVENT_SIZE * 2 - 1);
	if (size > MAX_EVENT_SIZE)
		size = MAX_EVENT_SIZE;
	if (use_perfbuf)
		err = bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, ev, size);
	else
		err = bpf_ringbuf_output(&events, ev, size, event_wakeup());
	if (err)
		event_count_lost();
}

#endif
