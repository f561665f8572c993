/*
 * biotop: block I/O per process and disk, per interval. A request is attributed to the task
 * that started it (block_io_start or its function fallbacks), timed from its issue, and added to
 * its row of the counts map at completion.
 */
#include "bpfutils.bpf.h"
#include "block.bpf.h"
#include "inflight.bpf.h"
#include "biotop.h"

const volatile __u32 target_pid = 0;

/*
 * Set by the tracer when the hook chosen for the start of requests does not see every request
 * (request allocation: not those a plug hands out of its cache; insertion: none of those issued
 * without an I/O scheduler). A request with no origin then takes the task that issues it, which
 * on those paths is mostly still the submitter. In .data, where libbpfgo can set it.
 */
bool origin_late SEC(".data") = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BIOTOP_MAX_ENTRIES);
	__type(key, struct request *);
	__type(value, struct biotop_rq);
} requests SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BIOTOP_MAX_ENTRIES);
	__type(key, struct biotop_key);
	__type(value, struct biotop_value);
} counts SEC(".maps");

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

/* Fills in the current task as the origin; false when -p excludes it. */
static __always_inline bool take_origin(struct biotop_rq *info)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	if (target_pid && pid != target_pid)
		return false;
	info->pid = pid;
	bpf_get_current_comm(&info->comm, sizeof(info->comm));
	return true;
}

static __always_inline int record_origin(void *ctx, struct request *rq)
{
	struct biotop_rq *cur, info = {};

	/* An entry already here is an earlier request at this address whose end was not seen. */
	cur = bpf_map_lookup_elem(&requests, &rq);
	if (cur && cur->issue)
		count_unseen_completion();
	if (!take_origin(&info)) {
		if (cur)
			bpf_map_delete_elem(&requests, &rq);
		return 0;
	}
	info.start = bpf_ktime_get_ns();
	bpf_map_update_elem(&requests, &rq, &info, BPF_ANY);
	return 0;
}

BLOCK_ORIGIN_PROGRAMS(record_origin)

/*
 * Issue: the request's size and the start of its time on the device. A request whose start was
 * missed counts for pid 0 with no comm, as in libbpf-tools (under -p: not at all), or for the
 * issuing task when the start hook is known to miss some (origin_late).
 */
static __always_inline int issue(struct request *rq)
{
	struct biotop_rq *info, fresh = {};
	__u64 now = bpf_ktime_get_ns();
	__u32 len = BPF_CORE_READ(rq, __data_len);

	info = bpf_map_lookup_elem(&requests, &rq);
	if (info) {
		info->issue = now;
		info->data_len = len;
		return 0;
	}
	if (origin_late) {
		if (!take_origin(&fresh))
			return 0;
	} else if (target_pid) {
		return 0;
	}
	fresh.issue = now;
	fresh.data_len = len;
	if (bpf_map_update_elem(&requests, &rq, &fresh, BPF_NOEXIST))
		count_uncounted();
	return 0;
}

SEC("fentry/blk_mq_start_request")
int BPF_PROG(rq_start_fentry, struct request *rq)
{
	return issue(rq);
}

SEC("kprobe/blk_mq_start_request")
int BPF_KPROBE(rq_start_kprobe, struct request *rq)
{
	return issue(rq);
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(rq_issue_btf)
{
	return issue(block_rq_tp_request(ctx));
}

SEC("raw_tp/block_rq_issue")
int rq_issue_raw(struct bpf_raw_tracepoint_args *ctx)
{
	return issue(block_rq_tp_request(ctx->args));
}

static __always_inline int done(struct request *rq)
{
	static const struct biotop_value zero = {};
	struct biotop_value *val;
	struct biotop_key key = {};
	struct biotop_rq *info;
	struct gendisk *disk;
	__u64 now = bpf_ktime_get_ns();

	info = bpf_map_lookup_elem(&requests, &rq);
	if (!info)
		return 0;
	if (!info->issue || now < info->issue)
		goto cleanup;
	key.pid = info->pid;
	__builtin_memcpy(key.comm, info->comm, sizeof(key.comm));
	key.rwflag = (BPF_CORE_READ(rq, cmd_flags) & 0xff) == 1 /* REQ_OP_WRITE */;
	disk = request_disk(rq);
	if (disk) {
		key.major = BPF_CORE_READ(disk, major);
		key.minor = BPF_CORE_READ(disk, first_minor);
	}
	val = lookup_or_init(&counts, &key, &zero);
	if (!val) {
		count_uncounted();
		goto cleanup;
	}
	__sync_fetch_and_add(&val->bytes, info->data_len);
	__sync_fetch_and_add(&val->ns, now - info->issue);
	__sync_fetch_and_add(&val->io, 1);
cleanup:
	bpf_map_delete_elem(&requests, &rq);
	return 0;
}

BLOCK_DONE_PROGRAMS(done)
