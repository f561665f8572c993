/* slabratetop: allocations and bytes per kmem cache, per interval. */
#include "bpfutils.bpf.h"
#include "slabratetop.h"

const volatile __u32 target_pid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SLABRATETOP_MAX_ENTRIES);
	__type(key, __u64);
	__type(value, struct slabratetop_info);
} slab_entries SEC(".maps");

/* Since 6.1 the tracepoint passes the cache, and has an event of its own with the node in its
 * format; before, it shared kmem_alloc's event and passed sizes only. (The cache's name joined
 * the format only later: it cannot be the test.) */
struct trace_event_raw_kmem_cache_alloc___cache {
	int node;
} __attribute__((preserve_access_index));

static __always_inline int allocated(struct kmem_cache *cache)
{
	static const struct slabratetop_info zero = {};
	struct slabratetop_info *info;
	__u64 key = (__u64)cache;

	if (target_pid && (bpf_get_current_pid_tgid() >> 32) != target_pid)
		return 0;
	info = bpf_map_lookup_elem(&slab_entries, &key);
	if (!info) {
		bpf_map_update_elem(&slab_entries, &key, &zero, BPF_NOEXIST);
		info = bpf_map_lookup_elem(&slab_entries, &key);
		if (!info)
			return 0;
		bpf_probe_read_kernel_str(info->name, sizeof(info->name), BPF_CORE_READ(cache, name));
	}
	__sync_fetch_and_add(&info->count, 1);
	__sync_fetch_and_add(&info->size, BPF_CORE_READ(cache, size));
	return 0;
}

SEC("fentry/kmem_cache_alloc")
int BPF_PROG(alloc_fentry, struct kmem_cache *cache)
{
	return allocated(cache);
}

SEC("kprobe/kmem_cache_alloc")
int BPF_KPROBE(alloc_kprobe, struct kmem_cache *cache)
{
	return allocated(cache);
}

BTF_TRACEPOINT(alloc_tp, kmem_cache_alloc, unsigned long call_site, const void *ptr, struct kmem_cache *cache)
{
	if (!bpf_core_field_exists(struct trace_event_raw_kmem_cache_alloc___cache, node))
		return 0;
	return allocated(cache);
}
