/*
 * cachestat: page-cache accesses, misses (pages added to the cache) and buffer dirtyings.
 *
 * As libbpf-tools reckons: a write that dirties a page it added is not a miss, and a buffer
 * it dirties is not an access. Through fentry or kprobes each call of the kernel's functions
 * counts one; through tracepoints a miss counts the pages of the folio added, and an access
 * counts the pages a read asked for (filemap:mm_filemap_get_pages) or one page per fault.
 */
#include "bpfutils.bpf.h"
#include "cachestat.h"

/* Set when accesses come from the read and fault tracepoints, which a write never fires: a
 * dirtied buffer then has no access of its own to take back. */
const volatile bool accesses_from_reads = false;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cachestat_counts);
} counts SEC(".maps");

static __always_inline struct cachestat_counts *this_cpu(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&counts, &zero);
}

static __always_inline int add(__s64 accesses, __s64 misses, __u64 dirties)
{
	struct cachestat_counts *c = this_cpu();

	if (!c)
		return 0;
	c->accesses += accesses;
	c->misses += misses;
	c->dirties += dirties;
	return 0;
}

SEC("fentry/filemap_add_folio")
int BPF_PROG(miss_fentry)
{
	return add(0, 1, 0);
}

SEC("kprobe/filemap_add_folio")
int BPF_KPROBE(miss_kprobe)
{
	return add(0, 1, 0);
}

/* Before 6.1 the event has no order: one page. */
struct trace_event_raw_mm_filemap_op_page_cache___order {
	unsigned char order;
} __attribute__((preserve_access_index));

SEC("tracepoint/filemap/mm_filemap_add_to_page_cache")
int miss_tp(struct trace_event_raw_mm_filemap_op_page_cache *ctx)
{
	struct trace_event_raw_mm_filemap_op_page_cache___order *o = (void *)ctx;
	__u32 order = 0;

	if (bpf_core_field_exists(o->order))
		order = o->order & 31;
	return add(0, 1LL << order, 0);
}

SEC("fentry/folio_mark_accessed")
int BPF_PROG(access_fentry)
{
	return add(1, 0, 0);
}

SEC("kprobe/folio_mark_accessed")
int BPF_KPROBE(access_kprobe)
{
	return add(1, 0, 0);
}

/*
 * A read bigger than one batch of folios calls filemap_get_pages() again for the rest, and
 * every call reports the whole remaining range [index, last]: a call that continues its
 * thread's last read of the same file (same end, later start) adds nothing new.
 */
struct read_range {
	__u64 ino;
	__u64 last;
	__u64 index;
	__u32 dev;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct read_range);
} last_read SEC(".maps");

SEC("tracepoint/filemap/mm_filemap_get_pages")
int access_tp(struct trace_event_raw_mm_filemap_op_page_cache_range *ctx)
{
	__u32 tid = bpf_get_current_pid_tgid();
	struct read_range cur = {
		.ino = ctx->i_ino, .dev = ctx->s_dev, .index = ctx->index, .last = ctx->last_index,
	};
	struct read_range *prev = bpf_map_lookup_elem(&last_read, &tid);
	bool more = prev && prev->ino == cur.ino && prev->dev == cur.dev && prev->last == cur.last &&
		    cur.index > prev->index;

	bpf_map_update_elem(&last_read, &tid, &cur, BPF_ANY);
	if (more || cur.last < cur.index)
		return 0;
	return add(cur.last - cur.index + 1, 0, 0);
}

SEC("tracepoint/filemap/mm_filemap_fault")
int fault_tp(void *ctx)
{
	return add(1, 0, 0);
}

SEC("fentry/folio_account_dirtied")
int BPF_PROG(dirtied_fentry)
{
	return add(0, -1, 0);
}

SEC("kprobe/folio_account_dirtied")
int BPF_KPROBE(dirtied_kprobe)
{
	return add(0, -1, 0);
}

/* writeback:writeback_dirty_folio, or writeback_dirty_page before folios. */
SEC("tracepoint/writeback/writeback_dirty_folio")
int dirtied_tp(void *ctx)
{
	return add(0, -1, 0);
}

SEC("fentry/mark_buffer_dirty")
int BPF_PROG(buffer_dirty_fentry)
{
	return add(-1, 0, 1);
}

SEC("kprobe/mark_buffer_dirty")
int BPF_KPROBE(buffer_dirty_kprobe)
{
	return add(-1, 0, 1);
}

SEC("tracepoint/block/block_dirty_buffer")
int buffer_dirty_tp(void *ctx)
{
	return add(accesses_from_reads ? 0 : -1, 0, 1);
}
