/* javagc: JVM garbage-collection pauses, from HotSpot's USDT probes in libjvm.so. */
#include "bpfutils.bpf.h"
#include <bpf/usdt.bpf.h>
#include "events.bpf.h"
#include "javagc.h"

/* Events are reserved as bytes: this puts their struct in the object's BTF, where
 * tools/layout_test.go holds the Go twin to it. */
struct javagc_event *const volatile javagc_event_layout = 0;

/* -t: only pauses longer than this are reported. */
const volatile __u64 min_gc_ns = 1000000;

/* When the GC in progress of each JVM began. The memory-pool probes fire inside a GC's
 * begin/end pair and restart the clock, as libbpf-tools' javagc has it: what is reported is
 * the pause since the last begin of either kind. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} gc_starts SEC(".maps");

SEC("usdt")
int gc_begin(struct pt_regs *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u64 now = bpf_ktime_get_ns();

	bpf_map_update_elem(&gc_starts, &pid, &now, BPF_ANY);
	return 0;
}

SEC("usdt")
int gc_end(struct pt_regs *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct javagc_event *ev;
	__u64 *start, duration;

	start = bpf_map_lookup_elem(&gc_starts, &pid);
	if (!start)
		return 0;
	duration = bpf_ktime_get_ns() - *start;
	bpf_map_delete_elem(&gc_starts, &pid);
	if (duration <= min_gc_ns)
		return 0;
	ev = event_reserve(sizeof(*ev));
	if (!ev)
		return 0;
	ev->cpu = bpf_get_smp_processor_id();
	ev->pid = pid;
	ev->duration_ns = duration;
	event_submit(ctx, ev, sizeof(*ev));
	return 0;
}
