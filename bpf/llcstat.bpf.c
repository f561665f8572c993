/* llcstat: sampled last-level cache references and misses per process (or thread) and CPU. */
#include "bpfutils.bpf.h"
#include "llcstat.h"

const volatile bool per_thread = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct llcstat_key);
	__type(value, struct llcstat_value);
} llc SEC(".maps");

static const struct llcstat_value no_value;

static __always_inline int sampled(struct bpf_perf_event_data *ctx, bool miss)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct llcstat_key key = {};
	struct llcstat_value *v;

	key.cpu = bpf_get_smp_processor_id();
	key.pid = id >> 32;
	key.tid = per_thread ? (__u32)id : key.pid;
	v = lookup_or_init(&llc, &key, &no_value);
	if (!v)
		return 0;
	/* Each sample stands for sample_period events. */
	if (miss)
		__sync_fetch_and_add(&v->miss, ctx->sample_period);
	else
		__sync_fetch_and_add(&v->ref, ctx->sample_period);
	bpf_get_current_comm(v->comm, sizeof(v->comm));
	return 0;
}

SEC("perf_event")
int llc_miss(struct bpf_perf_event_data *ctx)
{
	return sampled(ctx, true);
}

SEC("perf_event")
int llc_ref(struct bpf_perf_event_data *ctx)
{
	return sampled(ctx, false);
}
