/*
 * memleak: remember every allocation with its stack until it is freed; what user space finds
 * in allocs is outstanding. Kernel mode reads the kmem (and percpu) tracepoints, user mode
 * probes a process's allocator (uprobes on entry for the size, uretprobes for the address).
 */
#include "bpfutils.bpf.h"
#include "stacks.bpf.h"
#include "memleak.h"

const volatile __u64 min_size = 0;
const volatile __u64 max_size = (__u64)-1;
const volatile __u64 page_size = 4096;
const volatile __u64 sample_rate = 1;
const volatile bool trace_all = false;
const volatile bool user_stacks = false;
const volatile bool wa_missing_free = false;
const volatile bool combined_only = false;
/*
 * The BPF memory allocator's refill functions, alloc_bulk and its caller bpf_mem_refill (where
 * a kernel inlines alloc_bulk), whose kmallocs are not tracked.
 */
const volatile __u64 skip_start[2] = {};
const volatile __u64 skip_end[2] = {};

/*
 * Not preallocated: a million preallocated slots take 96 MB and 70 ms to set up at every load,
 * used or not. Inserting then takes an element from the BPF memory allocator (6.1+), which
 * refills itself with kmallocs from alloc_bulk: those are not tracked (skip_start), or every
 * insert would cause another (measured: the map full of refills within 3 s).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MEMLEAK_MAX_ALLOCS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct memleak_alloc);
} allocs SEC(".maps");

/* User space sizes it: one slot unless -C. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MEMLEAK_MAX_COMBINED);
	__type(key, __s64);
	__type(value, struct memleak_combined);
} combined SEC(".maps");

/* A user allocator call's size (and posix_memalign's result pointer), by thread, entry to return. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} sizes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} memptrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MEMLEAK_DROPS);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

static __always_inline void dropped(__u32 what)
{
	__u64 *n = bpf_map_lookup_elem(&drops, &what);

	if (n)
		__sync_fetch_and_add(n, 1);
}

static __always_inline bool wanted(__u64 size)
{
	if (size < min_size || size > max_size)
		return false;
	return sample_rate <= 1 || bpf_ktime_get_ns() % sample_rate == 0;
}

static __always_inline void combined_add(__s64 stack_id, __u64 size)
{
	static const struct memleak_combined zero;
	struct memleak_combined *c = lookup_or_init(&combined, &stack_id, &zero);

	if (!c) {
		dropped(MEMLEAK_DROP_COMBINED);
		return;
	}
	__sync_fetch_and_add(&c->total_size, size);
	__sync_fetch_and_add(&c->count, 1);
}

static __always_inline void combined_sub(__s64 stack_id, __u64 size)
{
	struct memleak_combined *c = bpf_map_lookup_elem(&combined, &stack_id);

	if (!c)
		return;
	__sync_fetch_and_sub(&c->total_size, size);
	__sync_fetch_and_sub(&c->count, 1);
}

/* An allocation of size bytes at address, made by the current task with ctx's stacks. */
static __always_inline void allocated(void *ctx, __u64 address, __u64 size)
{
	struct memleak_alloc info = {};

	if (address == 0 || address == (__u64)-1) /* NULL, MAP_FAILED, no page */
		goto out;
	info.size = size;
	info.timestamp_ns = bpf_ktime_get_ns();
	info.stack_id = bpf_get_stackid(ctx, &stackmap, user_stacks ? BPF_F_USER_STACK : 0);
	info.tgid = bpf_get_current_pid_tgid() >> 32;
	if (bpf_map_update_elem(&allocs, &address, &info, BPF_ANY)) {
		dropped(MEMLEAK_DROP_ALLOCS);
		goto out;
	}
	if (combined_only)
		combined_add(info.stack_id, size);
out:
	if (trace_all)
		bpf_printk("alloc exited, size = %lu, result = %lx\n", size, address);
}

static __always_inline void freed(__u64 address)
{
	struct memleak_alloc *info = bpf_map_lookup_elem(&allocs, &address);
	__u64 size;
	__s32 stack_id;

	if (!info)
		return;
	size = info->size;
	stack_id = info->stack_id;
	if (bpf_map_delete_elem(&allocs, &address))
		return; /* freed twice at once: the other one accounts for it */
	if (combined_only)
		combined_sub(stack_id, size);
	if (trace_all)
		bpf_printk("free entered, address = %lx, size = %lu\n", address, size);
}

/* User mode: the size at entry, kept until the call returns with the address. */
static __always_inline int alloc_entry(__u64 size)
{
	__u32 tid = bpf_get_current_pid_tgid();

	if (!wanted(size))
		return 0;
	if (bpf_map_update_elem(&sizes, &tid, &size, BPF_ANY))
		dropped(MEMLEAK_DROP_ENTRIES);
	if (trace_all)
		bpf_printk("alloc entered, size = %lu\n", size);
	return 0;
}

static __always_inline int alloc_return(void *ctx, __u64 address)
{
	__u32 tid = bpf_get_current_pid_tgid();
	__u64 *size = bpf_map_lookup_elem(&sizes, &tid);
	__u64 n;

	if (!size)
		return 0; /* not sampled, outside -z/-Z, or entered before we attached */
	n = *size;
	bpf_map_delete_elem(&sizes, &tid);
	allocated(ctx, address, n);
	return 0;
}

/* malloc, valloc, pvalloc */
SEC("uprobe")
int BPF_UPROBE(size1_enter, size_t size)
{
	return alloc_entry(size);
}

/* memalign, aligned_alloc */
SEC("uprobe")
int BPF_UPROBE(size2_enter, size_t alignment, size_t size)
{
	return alloc_entry(size);
}

SEC("uprobe")
int BPF_UPROBE(calloc_enter, size_t nmemb, size_t size)
{
	return alloc_entry((__u64)nmemb * size);
}

SEC("uprobe")
int BPF_UPROBE(realloc_enter, void *ptr, size_t size)
{
	freed((__u64)ptr);
	return alloc_entry(size);
}

SEC("uprobe")
int BPF_UPROBE(mmap_enter, void *address, size_t size)
{
	return alloc_entry(size);
}

SEC("uprobe")
int BPF_UPROBE(mremap_enter, void *old_address, size_t old_size, size_t new_size)
{
	freed((__u64)old_address);
	return alloc_entry(new_size);
}

/* free, munmap */
SEC("uprobe")
int BPF_UPROBE(free_enter, void *address)
{
	freed((__u64)address);
	return 0;
}

SEC("uprobe")
int BPF_UPROBE(pmemalign_enter, void **memptr, size_t alignment, size_t size)
{
	__u32 tid = bpf_get_current_pid_tgid();
	__u64 p = (__u64)memptr;

	if (!wanted(size))
		return 0;
	if (bpf_map_update_elem(&memptrs, &tid, &p, BPF_ANY)) {
		dropped(MEMLEAK_DROP_ENTRIES);
		return 0;
	}
	return alloc_entry(size);
}

/* Every allocator but posix_memalign returns the address. */
SEC("uretprobe")
int BPF_URETPROBE(alloc_exit, void *ret)
{
	return alloc_return(ctx, (__u64)ret);
}

/* posix_memalign stores the address through its first argument. */
SEC("uretprobe")
int BPF_URETPROBE(pmemalign_exit, int ret)
{
	__u32 tid = bpf_get_current_pid_tgid();
	__u64 *memptr = bpf_map_lookup_elem(&memptrs, &tid);
	__u64 address = 0;
	void *where;

	if (!memptr)
		return 0;
	where = (void *)*memptr;
	bpf_map_delete_elem(&memptrs, &tid);
	if (ret == 0)
		bpf_probe_read_user(&address, sizeof(address), where);
	return alloc_return(ctx, address);
}

/* Kernel mode: size and address come together. */
static __always_inline int kernel_alloc(void *ctx, __u64 address, __u64 size)
{
	if (wa_missing_free)
		freed(address);
	if (!wanted(size))
		return 0;
	if (trace_all)
		bpf_printk("alloc entered, size = %lu\n", size);
	allocated(ctx, address, size);
	return 0;
}

static __always_inline bool skipped(__u64 call_site)
{
	return (call_site >= skip_start[0] && call_site < skip_end[0]) ||
	       (call_site >= skip_start[1] && call_site < skip_end[1]);
}

/*
 * Before 6.1, kmalloc and kmem_cache_alloc shared the kmem_alloc event class (and the _node
 * variants kmem_alloc_node), kfree and kmem_cache_free kmem_free: the fields read are the same,
 * the struct names are not.
 */
struct trace_event_raw_kmem_alloc___old {
	unsigned long call_site;
	const void *ptr;
	size_t bytes_alloc;
} __attribute__((preserve_access_index));

struct trace_event_raw_kmem_alloc_node___old {
	unsigned long call_site;
	const void *ptr;
	size_t bytes_alloc;
} __attribute__((preserve_access_index));

struct trace_event_raw_kmem_free___old {
	const void *ptr;
} __attribute__((preserve_access_index));

static __always_inline int slab_alloc(void *args, __u64 call_site, const void *ptr, __u64 size)
{
	if (skipped(call_site))
		return 0;
	return kernel_alloc(args, (__u64)ptr, size);
}

SEC("tracepoint/kmem/kmalloc")
int memleak_kmalloc(struct trace_event_raw_kmalloc *args)
{
	struct trace_event_raw_kmem_alloc___old *old = (void *)args;

	if (bpf_core_type_exists(struct trace_event_raw_kmem_alloc___old))
		return slab_alloc(args, BPF_CORE_READ(old, call_site), BPF_CORE_READ(old, ptr), BPF_CORE_READ(old, bytes_alloc));
	return slab_alloc(args, BPF_CORE_READ(args, call_site), BPF_CORE_READ(args, ptr), BPF_CORE_READ(args, bytes_alloc));
}

SEC("tracepoint/kmem/kmem_cache_alloc")
int memleak_cache_alloc(struct trace_event_raw_kmem_cache_alloc *args)
{
	struct trace_event_raw_kmem_alloc___old *old = (void *)args;

	if (bpf_core_type_exists(struct trace_event_raw_kmem_alloc___old))
		return slab_alloc(args, BPF_CORE_READ(old, call_site), BPF_CORE_READ(old, ptr), BPF_CORE_READ(old, bytes_alloc));
	return slab_alloc(args, BPF_CORE_READ(args, call_site), BPF_CORE_READ(args, ptr), BPF_CORE_READ(args, bytes_alloc));
}

/* kmalloc_node and kmem_cache_alloc_node: before 6.1 only. */
SEC("tracepoint/kmem/kmalloc_node")
int memleak_kmalloc_node(struct trace_event_raw_kmem_alloc_node___old *args)
{
	return slab_alloc(args, BPF_CORE_READ(args, call_site), BPF_CORE_READ(args, ptr), BPF_CORE_READ(args, bytes_alloc));
}

SEC("tracepoint/kmem/kmem_cache_alloc_node")
int memleak_cache_node(struct trace_event_raw_kmem_alloc_node___old *args)
{
	return slab_alloc(args, BPF_CORE_READ(args, call_site), BPF_CORE_READ(args, ptr), BPF_CORE_READ(args, bytes_alloc));
}

SEC("tracepoint/kmem/kfree")
int memleak_kfree(struct trace_event_raw_kfree *args)
{
	struct trace_event_raw_kmem_free___old *old = (void *)args;

	if (bpf_core_type_exists(struct trace_event_raw_kmem_free___old))
		freed((__u64)BPF_CORE_READ(old, ptr));
	else
		freed((__u64)BPF_CORE_READ(args, ptr));
	return 0;
}

SEC("tracepoint/kmem/kmem_cache_free")
int memleak_cache_free(struct trace_event_raw_kmem_cache_free *args)
{
	struct trace_event_raw_kmem_free___old *old = (void *)args;

	if (bpf_core_type_exists(struct trace_event_raw_kmem_free___old))
		freed((__u64)BPF_CORE_READ(old, ptr));
	else
		freed((__u64)BPF_CORE_READ(args, ptr));
	return 0;
}

/* Whole pages are known by their frame number. */
SEC("tracepoint/kmem/mm_page_alloc")
int memleak_page_alloc(struct trace_event_raw_mm_page_alloc *args)
{
	return kernel_alloc(args, BPF_CORE_READ(args, pfn), page_size << BPF_CORE_READ(args, order));
}

SEC("tracepoint/kmem/mm_page_free")
int memleak_page_free(struct trace_event_raw_mm_page_free *args)
{
	freed(BPF_CORE_READ(args, pfn));
	return 0;
}

SEC("tracepoint/percpu/percpu_alloc_percpu")
int memleak_pcpu_alloc(struct trace_event_raw_percpu_alloc_percpu *args)
{
	__u64 size;

	/* bytes_alloc came in 6.2; before it, what was asked for. */
	if (bpf_core_field_exists(args->bytes_alloc))
		size = BPF_CORE_READ(args, bytes_alloc);
	else
		size = BPF_CORE_READ(args, size);
	return kernel_alloc(args, (__u64)BPF_CORE_READ(args, ptr), size);
}

SEC("tracepoint/percpu/percpu_free_percpu")
int memleak_pcpu_free(struct trace_event_raw_percpu_free_percpu *args)
{
	freed((__u64)BPF_CORE_READ(args, ptr));
	return 0;
}
