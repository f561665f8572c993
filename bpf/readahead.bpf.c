/*
 * readahead: how many pages read-ahead brings in that are never used, and how long the others
 * wait for their first access.
 *
 * With fentry or kprobes, as libbpf-tools: folios the page cache allocates while the thread is
 * in the read-ahead function are born; folio_mark_accessed() ends their wait.
 *
 * With tracepoints: readahead:page_cache_ra_order and page_cache_ra_unbounded give the thread's
 * read-ahead window (file, first index, pages); the pages filemap:mm_filemap_add_to_page_cache
 * adds inside it are born, each by file and index; a read (filemap:mm_filemap_get_pages, its
 * range of indexes) or a fault (filemap:mm_filemap_fault) on them ends their wait. Every page
 * of a large folio counts, and every page a read covers is used, where folio_mark_accessed()
 * sees a batch of folios once.
 */
#include "bpfutils.bpf.h"
#include "readahead.h"

/* Set when pages are born by file and index (filemap:mm_filemap_add_to_page_cache): an access
 * through fentry or a kprobe then looks its folio up the same way. */
const volatile bool births_by_index = false;

/* Most pages one event can add or read: a 2 MiB folio, a 2 MiB read. */
#define MAX_RANGE 512

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, READAHEAD_MAX_PAGES);
	__type(key, __u32);
	__type(value, __u8);
} in_readahead SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, READAHEAD_MAX_PAGES);
	__type(key, struct readahead_page);
	__type(value, __u64);
} birth SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct readahead_hist);
} hist SEC(".maps");

static __always_inline struct readahead_hist *the_hist(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&hist, &zero);
}

static __always_inline void born(struct readahead_page *key, __u64 now)
{
	struct readahead_hist *h = the_hist();

	if (!h || bpf_map_update_elem(&birth, key, &now, BPF_ANY))
		return;
	__sync_fetch_and_add(&h->unused, 1);
	__sync_fetch_and_add(&h->total, 1);
}

static __always_inline void accessed(struct readahead_page *key, __u64 now)
{
	struct readahead_hist *h = the_hist();
	__u64 *ts = bpf_map_lookup_elem(&birth, key);
	__u64 slot;

	if (!h || !ts)
		return;
	if (now >= *ts) {
		slot = log2_u64((now - *ts) / 1000000);
		if (slot >= READAHEAD_MAX_SLOTS)
			slot = READAHEAD_MAX_SLOTS - 1;
		__sync_fetch_and_add(&h->slots[slot], 1);
	}
	__sync_fetch_and_add(&h->unused, -1);
	bpf_map_delete_elem(&birth, key);
}

/* The read-ahead function: its entry and exit bound the thread's allocations. */
static __always_inline int ra_enter(void)
{
	__u32 tid = bpf_get_current_pid_tgid();
	__u8 one = 1;

	bpf_map_update_elem(&in_readahead, &tid, &one, BPF_ANY);
	return 0;
}

static __always_inline int ra_exit(void)
{
	__u32 tid = bpf_get_current_pid_tgid();

	bpf_map_delete_elem(&in_readahead, &tid);
	return 0;
}

SEC("fentry/page_cache_ra_order")
int BPF_PROG(ra_fentry)
{
	return ra_enter();
}

SEC("fexit/page_cache_ra_order")
int BPF_PROG(ra_fexit)
{
	return ra_exit();
}

SEC("kprobe/page_cache_ra_order")
int BPF_KPROBE(ra_kprobe)
{
	return ra_enter();
}

SEC("kretprobe/page_cache_ra_order")
int BPF_KRETPROBE(ra_kretprobe)
{
	return ra_exit();
}

static __always_inline int allocated(void *page)
{
	__u32 tid = bpf_get_current_pid_tgid();
	struct readahead_page key = { .ino = (__u64)page };

	if (!page || !bpf_map_lookup_elem(&in_readahead, &tid))
		return 0;
	born(&key, bpf_ktime_get_ns());
	return 0;
}

SEC("fexit/filemap_alloc_folio")
int BPF_PROG(alloc_folio_fexit, gfp_t gfp, unsigned int order, struct folio *ret)
{
	return allocated(ret);
}

/* Before folios: __page_cache_alloc(gfp). */
SEC("fexit/__page_cache_alloc")
int BPF_PROG(alloc_page_fexit, gfp_t gfp, struct page *ret)
{
	return allocated(ret);
}

SEC("kretprobe/filemap_alloc_folio")
int BPF_KRETPROBE(alloc_kretprobe, void *ret)
{
	return allocated(ret);
}

/* A folio's (or page's) first access. */
static __always_inline int marked(struct folio *folio)
{
	struct readahead_page key = { .ino = (__u64)folio };
	struct address_space *mapping;
	struct inode *host;

	if (births_by_index) {
		mapping = BPF_CORE_READ(folio, mapping);
		host = BPF_CORE_READ(mapping, host);
		key.ino = BPF_CORE_READ(host, i_ino);
		key.dev = BPF_CORE_READ(host, i_sb, s_dev);
		key.index = BPF_CORE_READ(folio, index);
	}
	accessed(&key, bpf_ktime_get_ns());
	return 0;
}

SEC("fentry/folio_mark_accessed")
int BPF_PROG(access_fentry, struct folio *folio)
{
	return marked(folio);
}

SEC("kprobe/folio_mark_accessed")
int BPF_KPROBE(access_kprobe, struct folio *folio)
{
	return marked(folio);
}

/* Tracepoints: the thread's current read-ahead window. */
struct window {
	__u64 ino;
	__u64 start;
	__u64 end; /* exclusive */
	__u32 dev;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, READAHEAD_MAX_PAGES);
	__type(key, __u32);
	__type(value, struct window);
} windows SEC(".maps");

static __always_inline int window_opened(__u64 ino, __u32 dev, __u64 start, __u64 pages)
{
	__u32 tid = bpf_get_current_pid_tgid();
	struct window w = { .ino = ino, .dev = dev, .start = start, .end = start + pages };

	bpf_map_update_elem(&windows, &tid, &w, BPF_ANY);
	return 0;
}

SEC("tracepoint/readahead/page_cache_ra_order")
int ra_order_tp(struct trace_event_raw_page_cache_ra_order *ctx)
{
	return window_opened(ctx->i_ino, ctx->s_dev, ctx->index, ctx->size);
}

SEC("tracepoint/readahead/page_cache_ra_unbounded")
int ra_unbounded_tp(struct trace_event_raw_page_cache_ra_unbounded *ctx)
{
	return window_opened(ctx->i_ino, ctx->s_dev, ctx->index, ctx->nr_to_read);
}

struct trace_event_raw_mm_filemap_op_page_cache___order {
	unsigned char order;
} __attribute__((preserve_access_index));

SEC("tracepoint/filemap/mm_filemap_add_to_page_cache")
int add_tp(struct trace_event_raw_mm_filemap_op_page_cache *ctx)
{
	struct trace_event_raw_mm_filemap_op_page_cache___order *o = (void *)ctx;
	__u32 tid = bpf_get_current_pid_tgid();
	struct readahead_page key = { .ino = ctx->i_ino, .dev = ctx->s_dev };
	struct window *w = bpf_map_lookup_elem(&windows, &tid);
	__u64 index = ctx->index, pages = 1, now, i;

	/* In the window, or in the read-ahead function where a probe on it marks the thread (a
	 * kernel with this tracepoint but not the read-ahead ones). */
	if (!(w && w->ino == key.ino && w->dev == key.dev && index >= w->start && index < w->end) &&
	    !bpf_map_lookup_elem(&in_readahead, &tid))
		return 0;
	if (bpf_core_field_exists(o->order))
		pages = 1ULL << (o->order & 15);
	now = bpf_ktime_get_ns();
	for (i = 0; i < MAX_RANGE && i < pages; i++) {
		key.index = index + i;
		born(&key, now);
	}
	return 0;
}

static __always_inline void range_accessed(__u64 ino, __u32 dev, __u64 index, __u64 last)
{
	struct readahead_page key = { .ino = ino, .dev = dev };
	__u64 now = bpf_ktime_get_ns(), i;

	for (i = 0; i < MAX_RANGE && index + i <= last; i++) {
		key.index = index + i;
		accessed(&key, now);
	}
}

SEC("tracepoint/filemap/mm_filemap_get_pages")
int read_tp(struct trace_event_raw_mm_filemap_op_page_cache_range *ctx)
{
	__u32 tid = bpf_get_current_pid_tgid();

	/* The read's read-ahead is over. */
	bpf_map_delete_elem(&windows, &tid);
	range_accessed(ctx->i_ino, ctx->s_dev, ctx->index, ctx->last_index);
	return 0;
}

SEC("tracepoint/filemap/mm_filemap_fault")
int fault_tp(struct trace_event_raw_mm_filemap_fault *ctx)
{
	range_accessed(ctx->i_ino, ctx->s_dev, ctx->index, ctx->index);
	return 0;
}
