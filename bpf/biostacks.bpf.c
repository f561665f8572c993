/*
 * biostacks: block request latency, from the request's start to its completion, in log2
 * histograms keyed by the task that started it, that task's kernel stack and the disk.
 */
#include "bpfutils.bpf.h"
#include "block.bpf.h"
#include "inflight.bpf.h"
#include "biostacks.h"

const volatile bool targ_ms = false;
const volatile bool filter_dev = false;
const volatile __u32 targ_dev = 0;

/*
 * Set by the tracer when the hook chosen for the start of requests does not see every request
 * (allocation: not those a plug hands out of its cache; insertion: none of those issued without
 * an I/O scheduler). A request with no start is then timed, and its stack taken, at its issue,
 * which on those paths mostly runs in the submitter. In .data, where libbpfgo can set it.
 */
bool origin_late SEC(".data") = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct request *);
	__type(value, struct biostacks_rq);
} requests SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct biostacks_key);
	__type(value, struct biostacks_hist);
} hists SEC(".maps");

/* Completed I/Os that found a map full and could not be counted, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} uncounted SEC(".maps");

static __always_inline void count_uncounted(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&uncounted, &zero);

	if (n)
		*n += 1;
}

/* Too large for the BPF stack next to the rest: a per-CPU scratch value. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct biostacks_rq);
} scratch SEC(".maps");

/*
 * The current task starts rq (or, merge, joins a bio to it: the request then belongs to the
 * merging task, as in libbpf-tools, but keeps its start time).
 */
static __always_inline int record_origin(void *ctx, struct request *rq, bool merge)
{
	struct biostacks_rq *cur, *info;
	__u32 zero = 0, dev;

	dev = request_dev(rq);
	if (filter_dev && dev != targ_dev)
		return 0;
	cur = bpf_map_lookup_elem(&requests, &rq);
	if (merge) {
		if (!cur)
			return 0;
		info = cur;
	} else {
		/* An entry already here is an earlier request at this address whose end was not seen. */
		if (cur && cur->issue)
			count_unseen_completion();
		info = bpf_map_lookup_elem(&scratch, &zero);
		if (!info)
			return 0;
		info->start = bpf_ktime_get_ns();
		info->issue = 0;
		info->key.pad = 0;
	}
	info->key.pid = (__u32)bpf_get_current_pid_tgid();
	info->key.stack_size = bpf_get_stack(ctx, info->key.stack, sizeof(info->key.stack), 0);
	if (info->key.stack_size < 0)
		__builtin_memset(info->key.stack, 0, sizeof(info->key.stack));
	bpf_get_current_comm(&info->key.comm, sizeof(info->key.comm));
	info->key.dev = dev;
	if (!merge && bpf_map_update_elem(&requests, &rq, info, BPF_ANY))
		count_uncounted();
	return 0;
}

static __always_inline int record_start(void *ctx, struct request *rq)
{
	return record_origin(ctx, rq, false);
}

BLOCK_ORIGIN_PROGRAMS(record_start)

SEC("fentry/blk_account_io_merge_bio")
int BPF_PROG(io_merge_fentry, struct request *rq)
{
	return record_origin(ctx, rq, true);
}

SEC("kprobe/blk_account_io_merge_bio")
int BPF_KPROBE(io_merge_kprobe, struct request *rq)
{
	return record_origin(ctx, rq, true);
}

/*
 * Marks the request issued (one never issued was merged into another and freed), or starts it
 * here when its start was missed by a late start hook (origin_late).
 */
static __always_inline int issued(void *ctx, struct request *rq)
{
	struct biostacks_rq *info = bpf_map_lookup_elem(&requests, &rq);

	if (!info && origin_late) {
		record_origin(ctx, rq, false);
		info = bpf_map_lookup_elem(&requests, &rq);
	}
	if (info)
		info->issue = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(rq_issue_btf)
{
	return issued(ctx, block_rq_tp_request(ctx));
}

SEC("raw_tp/block_rq_issue")
int rq_issue_raw(struct bpf_raw_tracepoint_args *ctx)
{
	return issued(ctx, block_rq_tp_request(ctx->args));
}

static __always_inline int done(struct request *rq)
{
	static const struct biostacks_hist zero = {};
	struct biostacks_hist *hist;
	struct biostacks_rq *info;
	__u64 slot, now = bpf_ktime_get_ns();
	__s64 delta;

	info = bpf_map_lookup_elem(&requests, &rq);
	if (!info)
		return 0;
	delta = (__s64)(now - info->start);
	if (delta < 0)
		goto cleanup;
	hist = lookup_or_init(&hists, &info->key, &zero);
	if (!hist) {
		count_uncounted();
		goto cleanup;
	}
	delta /= targ_ms ? 1000000 : 1000;
	slot = log2_u64(delta);
	if (slot >= BIOSTACKS_MAX_SLOTS)
		slot = BIOSTACKS_MAX_SLOTS - 1;
	__sync_fetch_and_add(&hist->slots[slot], 1);
cleanup:
	bpf_map_delete_elem(&requests, &rq);
	return 0;
}

BLOCK_DONE_PROGRAMS(done)
