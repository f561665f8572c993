/* bitesize: sizes of issued block requests, one log2 histogram per command name. */
#include "bpfutils.bpf.h"
#include "block.bpf.h"
#include "bitesize.h"

const volatile char targ_comm[TASK_COMM_LEN] = {};
const volatile bool filter_dev = false;
const volatile __u32 targ_dev = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct bitesize_key);
	__type(value, struct bitesize_hist);
} hists SEC(".maps");

static const struct bitesize_hist empty_hist;

/* An empty filter matches every name; otherwise names must match up to the filter's end. */
static __always_inline bool comm_matches(const char *comm)
{
	for (int i = 0; i < TASK_COMM_LEN; i++) {
		if (targ_comm[i] == '\0')
			return true;
		if (comm[i] != targ_comm[i])
			return false;
	}
	return true;
}

static __always_inline int rq_issue(struct request *rq)
{
	struct bitesize_key key = {};
	struct bitesize_hist *h;
	__u64 slot;

	if (filter_dev && request_dev(rq) != targ_dev)
		return 0;
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	if (!comm_matches(key.comm))
		return 0;
	h = lookup_or_init(&hists, &key, &empty_hist);
	if (!h)
		return 0;
	slot = log2_u64(BPF_CORE_READ(rq, __data_len) / 1024);
	if (slot >= BITESIZE_SLOTS)
		slot = BITESIZE_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[slot], 1);
	return 0;
}

BTF_TRACEPOINT(bitesize_issue, block_rq_issue)
{
	return rq_issue(block_rq_tp_request(ctx));
}
