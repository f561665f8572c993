/*
 * Requests a block tool saw start but never saw complete. The kernel skips a tracing program
 * that would run nested in itself on a CPU (a completion interrupting a completion), so now and
 * then a request's completion is not seen and its entry stays in the tool's map of requests in
 * flight. When the request's address comes back for a new request (blk-mq reuses a request per
 * tag), the entry left behind is counted here; user space (pkg/blockdev.Inflight) reports the
 * count, and sweeps out the entries no new request came to replace.
 */
#ifndef BPFUTILS_INFLIGHT_BPF_H
#define BPFUTILS_INFLIGHT_BPF_H

#include "bpfutils.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} unseen_completions SEC(".maps");

static __always_inline void count_unseen_completion(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&unseen_completions, &zero);

	if (n)
		*n += 1;
}

#endif
