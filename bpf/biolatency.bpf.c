/* biolatency: block request latency, issue (or queue insertion) to completion, as log2 histograms. */
#include "bpfutils.bpf.h"
#include "block.bpf.h"
#include "cgroup.bpf.h"
#include "inflight.bpf.h"
#include "biolatency.h"

#define MAX_INFLIGHT 10240

const volatile bool per_disk = false;
const volatile bool per_flag = false;
const volatile bool queued = false;
const volatile bool in_msecs = false;
const volatile bool filter_dev = false;
const volatile __u32 targ_dev = 0;
const volatile bool extension = false;

/* The requests in flight, keyed by their address. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_INFLIGHT);
	__type(key, __u64);
	__type(value, struct biolatency_rq);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_INFLIGHT);
	__type(key, struct biolatency_key);
	__type(value, struct biolatency_hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct biolatency_ext);
} ext SEC(".maps");

static const struct biolatency_hist empty_hist;

static __always_inline int rq_start(struct request *rq, bool issue)
{
	__u64 key = (__u64)rq, ts = bpf_ktime_get_ns();
	struct biolatency_rq val = {}, *cur;

	/*
	 * With -Q, requests that went through an I/O scheduler were stamped at insertion; their
	 * issue is only noted, so that an entry left behind tells an issued request from one merged
	 * into another at the scheduler.
	 */
	if (issue && queued && BPF_CORE_READ(rq, q, elevator)) {
		cur = bpf_map_lookup_elem(&start, &key);
		if (cur)
			cur->issue = ts;
		return 0;
	}
	/*
	 * The cgroup is the submitter's: only here is the current task the one that asked for
	 * the I/O (completions run in whatever context the interrupt found).
	 */
	if (cgroup_rejected())
		return 0;
	if (filter_dev && request_dev(rq) != targ_dev)
		return 0;
	val.start = ts;
	if (issue)
		val.issue = ts;
	bpf_map_update_elem(&start, &key, &val, BPF_ANY);
	return 0;
}

/*
 * A request starts once (block_io_start, 6.5 on); an entry already here belongs to an earlier
 * request at this address, which ended without its completion being seen: counted if it was
 * issued, and removed.
 */
static __always_inline int rq_new(struct request *rq)
{
	__u64 key = (__u64)rq;
	struct biolatency_rq *cur;

	cur = bpf_map_lookup_elem(&start, &key);
	if (!cur)
		return 0;
	if (cur->issue)
		count_unseen_completion();
	bpf_map_delete_elem(&start, &key);
	return 0;
}

static __always_inline int rq_done(struct request *rq)
{
	__u64 key = (__u64)rq, slot;
	struct biolatency_key hkey = {};
	struct biolatency_hist *h;
	struct biolatency_rq *rqv;
	__s64 delta;

	rqv = bpf_map_lookup_elem(&start, &key);
	if (!rqv)
		return 0;
	delta = (__s64)(bpf_ktime_get_ns() - rqv->start);
	bpf_map_delete_elem(&start, &key);
	if (delta < 0)
		return 0;

	if (per_disk)
		hkey.dev = request_dev(rq);
	if (per_flag)
		hkey.cmd_flags = BPF_CORE_READ(rq, cmd_flags);
	h = lookup_or_init(&hists, &hkey, &empty_hist);
	if (!h)
		return 0;

	delta /= in_msecs ? 1000000 : 1000;
	slot = log2_u64(delta);
	if (slot >= BIOLATENCY_SLOTS)
		slot = BIOLATENCY_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[slot], 1);
	if (extension) {
		__u32 zero = 0;
		struct biolatency_ext *e = bpf_map_lookup_elem(&ext, &zero);

		if (e) {
			__sync_fetch_and_add(&e->total, delta);
			__sync_fetch_and_add(&e->count, 1);
		}
	}
	return 0;
}

BTF_TRACEPOINT(biolat_io_start, block_io_start, struct request *rq)
{
	return rq_new(rq);
}

BTF_TRACEPOINT(biolat_insert, block_rq_insert)
{
	return rq_start(block_rq_tp_request(ctx), false);
}

BTF_TRACEPOINT(biolat_issue, block_rq_issue)
{
	return rq_start(block_rq_tp_request(ctx), true);
}

BTF_TRACEPOINT(biolat_done, block_rq_complete, struct request *rq)
{
	return rq_done(rq);
}
