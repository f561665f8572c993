/*
 * biosnoop: one event per completed block request, attributed to the task that started it.
 * A request is remembered from the moment it is accounted (block_io_start or its function
 * fallbacks) or allocated, timed at insert (-Q) and issue, and reported at completion.
 */
#include "bpfutils.bpf.h"
#include "events.bpf.h"
#include "cgroup.bpf.h"
#include "block.bpf.h"
#include "inflight.bpf.h"
#include "biosnoop.h"

const volatile bool targ_queued = false;
const volatile bool filter_dev = false;
const volatile __u32 targ_dev = 0;
const volatile __u64 min_ns = 0;
const volatile bool targ_pattern = false;

/*
 * Set by the tracer when the hook chosen for the start of requests does not see every request:
 * request allocation misses those a plug hands out of its cache, and the block_rq_insert
 * fallback (6.1: blk_account_io_start inlined, no block_io_start yet) sees none of those issued
 * without an I/O scheduler. A request with no origin then takes the task that inserts or issues
 * it, which on those paths is mostly still the submitter. Not const, so that the verifier checks
 * this path whichever hook a load uses; in .data, where libbpfgo can set it (not in .bss).
 */
bool origin_late SEC(".data") = false;

/* Events only pass through the ring buffer; this puts their type into BTF for the layout check. */
struct biosnoop_event *const volatile biosnoop_event_type = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct request *);
	__type(value, struct biosnoop_rq);
} requests SEC(".maps");

/* Where the last reported request of each disk ended, for -P. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} last_sector SEC(".maps");

/* Fills in the current task as the origin of rq; false when -c or -d excludes the request. */
static __always_inline bool take_origin(struct request *rq, struct biosnoop_rq *info)
{
	if (cgroup_rejected())
		return false;
	info->dev = request_dev(rq);
	if (filter_dev && info->dev != targ_dev)
		return false;
	info->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(&info->comm, sizeof(info->comm));
	return true;
}

/*
 * The task that starts a request owns it. A bio merged into a pending request hands the request
 * to the merging task, as in libbpf-tools, but keeps the times already stamped.
 */
static __always_inline int record_origin(struct request *rq, bool merge)
{
	struct biosnoop_rq *cur, info = {};

	cur = bpf_map_lookup_elem(&requests, &rq);
	if (merge) {
		if (cur)
			take_origin(rq, cur);
		return 0;
	}
	/*
	 * A request starts once; an entry already here belongs to an earlier request at this
	 * address, which ended without its completion being seen. It was an I/O of its own if it
	 * was issued (one merged into another and freed never is).
	 */
	if (cur && cur->issue)
		count_unseen_completion();
	if (!take_origin(rq, &info)) {
		if (cur)
			bpf_map_delete_elem(&requests, &rq);
		return 0;
	}
	info.start = bpf_ktime_get_ns();
	bpf_map_update_elem(&requests, &rq, &info, BPF_ANY);
	return 0;
}

SEC("tp_btf/block_io_start")
int BPF_PROG(io_start_btf, struct request *rq)
{
	return record_origin(rq, false);
}

SEC("raw_tp/block_io_start")
int io_start_raw(struct bpf_raw_tracepoint_args *ctx)
{
	return record_origin((struct request *)ctx->args[0], false);
}

SEC("fentry/blk_account_io_start")
int BPF_PROG(io_start_fentry, struct request *rq)
{
	return record_origin(rq, false);
}

SEC("kprobe/blk_account_io_start")
int BPF_KPROBE(io_start_kprobe, struct request *rq)
{
	return record_origin(rq, false);
}

/* Allocation runs in the submitting task too, where blk_account_io_start cannot be traced. */
SEC("fexit/__blk_mq_alloc_requests")
int BPF_PROG(io_alloc_fexit, void *data, struct request *rq)
{
	return rq ? record_origin(rq, false) : 0;
}

SEC("kretprobe/__blk_mq_alloc_requests")
int BPF_KRETPROBE(io_alloc_kretprobe, struct request *rq)
{
	return rq ? record_origin(rq, false) : 0;
}

SEC("kprobe/blk_account_io_merge_bio")
int BPF_KPROBE(io_merge_kprobe, struct request *rq)
{
	return record_origin(rq, true);
}

/*
 * Stamp insert or issue time. A request whose start was missed is timed from here, with comm
 * "?", or with the current task when the start hook is known to miss some (origin_late).
 */
static __always_inline int stamp(struct request *rq, bool insert)
{
	__u64 ts = bpf_ktime_get_ns();
	struct biosnoop_rq *info, fresh = {};

	info = bpf_map_lookup_elem(&requests, &rq);
	if (!info) {
		if (origin_late) {
			if (!take_origin(rq, &fresh))
				return 0;
		} else {
			/* Under -c only requests a task of the cgroup started count. */
			if (filter_cg)
				return 0;
			fresh.dev = request_dev(rq);
			if (filter_dev && fresh.dev != targ_dev)
				return 0;
			fresh.comm[0] = '?';
		}
		info = &fresh;
	}
	if (insert)
		info->insert = ts;
	else
		info->issue = ts;
	if (info == &fresh)
		bpf_map_update_elem(&requests, &rq, &fresh, BPF_NOEXIST);
	return 0;
}

SEC("tp_btf/block_rq_insert")
int BPF_PROG(rq_insert_btf)
{
	return stamp(block_rq_tp_request(ctx), true);
}

SEC("raw_tp/block_rq_insert")
int rq_insert_raw(struct bpf_raw_tracepoint_args *ctx)
{
	return stamp(block_rq_tp_request(ctx->args), true);
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(rq_issue_btf)
{
	return stamp(block_rq_tp_request(ctx), false);
}

SEC("raw_tp/block_rq_issue")
int rq_issue_raw(struct bpf_raw_tracepoint_args *ctx)
{
	return stamp(block_rq_tp_request(ctx->args), false);
}

/* Every completion on the disk moves its last sector, printed or not. */
static __always_inline __u32 pattern_of(__u32 dev, __u64 sector, __u32 len)
{
	__u64 *last, end = sector + len / 512;
	enum biosnoop_pattern p = BIOSNOOP_PATTERN_UNKNOWN;

	last = bpf_map_lookup_elem(&last_sector, &dev);
	if (last) {
		p = *last == sector ? BIOSNOOP_PATTERN_SEQ : BIOSNOOP_PATTERN_RAND;
		*last = end;
	} else {
		bpf_map_update_elem(&last_sector, &dev, &end, BPF_ANY);
	}
	return p;
}

static __always_inline int complete(void *ctx, struct request *rq)
{
	__u64 ts = bpf_ktime_get_ns();
	struct biosnoop_event *ev;
	__u32 pattern = 0, len;
	struct biosnoop_rq *info;
	__u64 sector;
	__s64 delta;

	info = bpf_map_lookup_elem(&requests, &rq);
	if (!info)
		return 0;
	sector = BPF_CORE_READ(rq, __sector);
	len = BPF_CORE_READ(rq, __data_len);
	if (targ_pattern)
		pattern = pattern_of(info->dev, sector, len);
	delta = (__s64)(ts - info->issue);
	if (!info->issue || delta < 0 || (__u64)delta < min_ns)
		goto cleanup;
	ev = event_reserve(sizeof(*ev));
	if (!ev)
		goto cleanup;
	ev->ts = ts;
	ev->delta = delta;
	ev->qdelta = 0;
	/* Without an I/O scheduler requests are never queued in the OS: QUE stays 0. */
	if (targ_queued && BPF_CORE_READ(rq, q, elevator))
		ev->qdelta = info->insert ? (__s64)(info->issue - info->insert) : -1;
	ev->sector = sector;
	ev->len = len;
	ev->cmd_flags = BPF_CORE_READ(rq, cmd_flags);
	ev->dev = info->dev;
	ev->pid = info->pid;
	__builtin_memcpy(ev->comm, info->comm, sizeof(ev->comm));
	ev->pattern = pattern;
	ev->pad = 0;
	event_submit(ctx, ev, sizeof(*ev));
cleanup:
	bpf_map_delete_elem(&requests, &rq);
	return 0;
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(rq_complete_btf, struct request *rq)
{
	return complete(ctx, rq);
}

SEC("raw_tp/block_rq_complete")
int rq_complete_raw(struct bpf_raw_tracepoint_args *ctx)
{
	return complete(ctx, (struct request *)ctx->args[0]);
}
