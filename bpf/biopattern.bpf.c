/* biopattern: per disk, how many completed requests started where the previous one ended. */
#include "bpfutils.bpf.h"
#include "block.bpf.h"
#include "biopattern.h"

const volatile bool filter_dev = false;
const volatile __u32 targ_dev = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct biopattern_counter);
} counters SEC(".maps");

static const struct biopattern_counter zero_counter;

SEC("tracepoint/block/block_rq_complete")
int biopattern_done(void *ctx)
{
	struct biopattern_counter *c;
	struct rq_completion rq;

	rq_completion_read(ctx, &rq);
	if (filter_dev && rq.dev != targ_dev)
		return 0;
	c = lookup_or_init(&counters, &rq.dev, &zero_counter);
	if (!c)
		return 0;
	/* The first request seen on a disk only tells where the next one would continue. */
	if (c->last_sector) {
		if (c->last_sector == rq.sector)
			__sync_fetch_and_add(&c->sequential, 1);
		else
			__sync_fetch_and_add(&c->random, 1);
		__sync_fetch_and_add(&c->bytes, (__u64)rq.nr_sector * 512);
	}
	c->last_sector = rq.sector + rq.nr_sector;
	return 0;
}
