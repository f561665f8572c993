#ifndef BPFUTILS_CGROUP_BPF_H
#define BPFUTILS_CGROUP_BPF_H

#include "bpfutils.bpf.h"

/* Cgroup filter: user space stores the cgroup-v2 directory fd at index 0 and sets filter_cg. */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup_map SEC(".maps");

const volatile bool filter_cg = false;

static __always_inline bool cgroup_rejected(void)
{
	return filter_cg && !bpf_current_task_under_cgroup(&cgroup_map, 0);
}

#endif
