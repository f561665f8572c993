/* syscount: syscalls counted (and timed, -L) per syscall number or, with -P, per process. */
#include "bpfutils.bpf.h"
#include "cgroup.bpf.h"
#include "syscount.h"

const volatile bool count_by_process = false;
const volatile bool measure_latency = false;
const volatile bool filter_failed = false;
const volatile int filter_errno = 0;
const volatile pid_t filter_pid = 0;

/*
 * -L: when each thread entered its syscall. LRU: a thread's exit() never returns, and what it
 * leaves behind must not fill the map over a long run.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SYSCOUNT_THREADS);
	__type(key, __u32);
	__type(value, __u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SYSCOUNT_KEYS);
	__type(key, __u32);
	__type(value, struct syscount_value);
} data SEC(".maps");

/* Syscalls that could not be counted (a full map), per CPU; user space reports them. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} uncounted SEC(".maps");

static const struct syscount_value zero_value;

static __always_inline void count_uncounted(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&uncounted, &zero);

	if (n)
		*n += 1;
}

static __always_inline bool traced(__u64 id)
{
	if (filter_pid && (__u32)filter_pid != id >> 32)
		return false;
	return !cgroup_rejected();
}

SEC("tracepoint/raw_syscalls/sys_enter")
int sys_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	__u64 ts;

	if (!traced(id))
		return 0;
	ts = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&start, &tid, &ts, BPF_ANY))
		count_uncounted();
	return 0;
}

SEC("tracepoint/raw_syscalls/sys_exit")
int sys_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct syscount_value *val;
	__u32 tid = (__u32)id, key;
	long ret = ctx->ret;
	__u64 *ts, lat = 0;

	/* A syscall that an interrupt or a ptracer cancelled: none to count. */
	if (ctx->id == -1)
		return 0;
	if (!traced(id))
		return 0;
	if (measure_latency) {
		ts = bpf_map_lookup_elem(&start, &tid);
		/* Entered before tracing began: its time is unknown, as libbpf-tools leaves it out. */
		if (!ts)
			return 0;
		lat = bpf_ktime_get_ns() - *ts;
		bpf_map_delete_elem(&start, &tid);
	}
	if (filter_failed && ret >= 0)
		return 0;
	if (filter_errno && ret != -filter_errno)
		return 0;

	key = count_by_process ? id >> 32 : (__u32)ctx->id;
	val = lookup_or_init(&data, &key, &zero_value);
	if (!val) {
		count_uncounted();
		return 0;
	}
	__sync_fetch_and_add(&val->count, 1);
	if (measure_latency)
		__sync_fetch_and_add(&val->total_ns, lat);
	/* Every time: exec renames a process. */
	if (count_by_process) {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();

		BPF_CORE_READ_STR_INTO(&val->comm, task, group_leader, comm);
	}
	return 0;
}
