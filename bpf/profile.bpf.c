/* profile: on a timer on every CPU, count the stacks of whatever is running. */
#include "bpfutils.bpf.h"
#include "cgroup.bpf.h"
#include "stacks.bpf.h"
#include "profile.h"

const volatile bool user_stacks_only = false;
const volatile bool kernel_stacks_only = false;
const volatile bool include_idle = false;
const volatile bool filter_by_pid = false;
const volatile bool filter_by_tid = false;
/* The tool's own pid namespace: -p and -L name tasks as the user sees them. */
const volatile bool use_pidns = false;
const volatile __u64 pidns_dev = 0;
const volatile __u64 pidns_ino = 0;

ID_SET(pids, PROFILE_MAX_IDS);
ID_SET(tids, PROFILE_MAX_IDS);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct profile_key);
	__type(value, __u64);
} counts SEC(".maps");

static const __u64 zero;

SEC("perf_event")
int sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32, tid = (__u32)id;
	struct profile_key key = {};
	struct bpf_pidns_info ns = {};
	__u64 *count;

	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_ns_current_pid_tgid) &&
	    use_pidns && !bpf_get_ns_current_pid_tgid(pidns_dev, pidns_ino, &ns, sizeof(ns))) {
		pid = ns.tgid;
		tid = ns.pid;
	}
	if (!include_idle && tid == 0)
		return 0;
	if (filter_by_pid && !in_set(&pids, pid))
		return 0;
	if (filter_by_tid && !in_set(&tids, tid))
		return 0;
	if (cgroup_rejected())
		return 0;

	key.pid = pid;
	bpf_get_current_comm(&key.comm, sizeof(key.comm));
	key.kern_stack_id = user_stacks_only ? NO_STACK : bpf_get_stackid(ctx, &stackmap, 0);
	key.user_stack_id = kernel_stacks_only ? NO_STACK : bpf_get_stackid(ctx, &stackmap, BPF_F_USER_STACK);

	count = lookup_or_init(&counts, &key, &zero);
	if (count)
		__sync_fetch_and_add(count, 1);
	return 0;
}
