/*
 * fsdist: latency histograms of a filesystem's reads, writes, opens, fsyncs and getattrs
 * (the hooks are in fsops.bpf.h).
 */
#define FSOPS_GETATTR
#include "bpfutils.bpf.h"
#include "fsops.bpf.h"
#include "fsdist.h"

const volatile bool in_ms = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FS_OPS);
	__type(key, __u32);
	__type(value, struct fsdist_hist);
} hists SEC(".maps");

static __always_inline void fs_op_done(void *ctx, const struct fs_start *s, __u32 op, __s64 ret,
				       __u64 now)
{
	static const struct fsdist_hist zero;
	struct fsdist_hist *h;
	__u64 delta = now - s->ts, slot;

	if ((__s64)delta < 0)
		return;
	delta /= in_ms ? 1000000 : 1000;
	h = lookup_or_init(&hists, &op, &zero);
	if (!h)
		return;
	slot = log2_u64(delta);
	if (slot >= FSDIST_SLOTS)
		slot = FSDIST_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[slot], 1);
}
