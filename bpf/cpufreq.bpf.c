/* cpufreq: each CPU's current frequency, sampled by a timer, per process name and system-wide. */
#include "bpfutils.bpf.h"
#include "cgroup.bpf.h"
#include "cpufreq.h"

/* Current MHz per CPU: seeded from sysfs by user space, then kept by cpu_frequency. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 128); /* resized to the possible CPUs */
	__type(key, __u32);
	__type(value, __u32);
} cpu_mhz SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct cpufreq_key);
	__type(value, struct cpufreq_hist);
} comm_hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpufreq_hist);
} syswide SEC(".maps");

static const struct cpufreq_hist no_hist;

static __always_inline int frequency_changed(unsigned int khz, unsigned int cpu)
{
	__u32 key = cpu, *mhz;

	/* Every CPU's change counts, whatever task happens to run when it is announced. */
	mhz = bpf_map_lookup_elem(&cpu_mhz, &key);
	if (mhz)
		*mhz = khz / 1000;
	return 0;
}

BTF_TRACEPOINT(cpu_frequency, cpu_frequency, unsigned int state, unsigned int cpu_id)
{
	return frequency_changed(state, cpu_id);
}

SEC("perf_event")
int freq_sample(struct bpf_perf_event_data *ctx)
{
	__u32 cpu = bpf_get_smp_processor_id(), zero = 0, tid, *mhz;
	struct cpufreq_key key = {};
	struct cpufreq_hist *h;
	__u64 slot;

	if (cgroup_rejected())
		return 0;
	mhz = bpf_map_lookup_elem(&cpu_mhz, &cpu);
	if (!mhz || !*mhz)
		return 0;
	slot = *mhz / CPUFREQ_STEP_MHZ;
	if (slot >= CPUFREQ_SLOTS)
		slot = CPUFREQ_SLOTS - 1;
	h = bpf_map_lookup_elem(&syswide, &zero);
	if (h)
		__sync_fetch_and_add(&h->slots[slot], 1);
	tid = (__u32)bpf_get_current_pid_tgid();
	if (!tid)
		return 0; /* idle: system-wide only */
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	h = lookup_or_init(&comm_hists, &key, &no_hist);
	if (h)
		__sync_fetch_and_add(&h->slots[slot], 1);
	return 0;
}
