/* execsnoop: argv is collected at execve() entry and reported, with the result, at exit. */
#include "bpfutils.bpf.h"
#include "events.bpf.h"
#include "cgroup.bpf.h"
#include "execsnoop.h"

const volatile bool ignore_failed = true;
const volatile uid_t target_uid = (uid_t)-1;
const volatile int max_args = 20;
/* -P: only children of this process (BCC's Python execsnoop --ppid); 0 for all. */
const volatile pid_t target_ppid = 0;

/* Not preallocated: 10240 slots of 7.7 KB took the kernel 11 ms to clear at every start. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, pid_t);
	__type(value, struct execsnoop_event);
} execs SEC(".maps");

static const struct execsnoop_event empty_event = {};

SEC("tracepoint/syscalls/sys_enter_execve")
int execve_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	pid_t tid = (pid_t)id;
	uid_t uid = (__u32)bpf_get_current_uid_gid();
	const char **argv = (const char **)ctx->args[1];
	struct execsnoop_event *ev;
	struct task_struct *task;
	const char *arg;
	pid_t ppid;
	int i, n;

	if (cgroup_rejected())
		return 0;
	if (target_uid != (uid_t)-1 && target_uid != uid)
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	ppid = BPF_CORE_READ(task, real_parent, tgid);
	if (target_ppid && target_ppid != ppid)
		return 0;
	if (bpf_map_update_elem(&execs, &tid, &empty_event, BPF_NOEXIST))
		return 0;
	ev = bpf_map_lookup_elem(&execs, &tid);
	if (!ev)
		return 0;

	ev->pid = id >> 32;
	ev->ppid = ppid;
	ev->uid = uid;

	n = bpf_probe_read_user_str(ev->args, EXECSNOOP_ARGSIZE, (const char *)ctx->args[0]);
	if (n < 0)
		return 0;
	ev->args_size = n;
	ev->args_count = 1;

	for (i = 1; i < EXECSNOOP_MAX_ARGS && i < max_args; i++) {
		if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i]) || !arg)
			return 0;
		if (ev->args_size > EXECSNOOP_ARGS_BUF - EXECSNOOP_ARGSIZE)
			return 0;
		n = bpf_probe_read_user_str(&ev->args[ev->args_size], EXECSNOOP_ARGSIZE, arg);
		if (n < 0)
			return 0;
		ev->args_count++;
		ev->args_size += n;
	}
	/* One more pointer tells whether argv went on past max_args. */
	if (bpf_probe_read_user(&arg, sizeof(arg), &argv[max_args]) == 0 && arg)
		ev->args_count++;
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_execve")
int execve_exit(struct trace_event_raw_sys_exit *ctx)
{
	pid_t tid = (pid_t)bpf_get_current_pid_tgid();
	struct execsnoop_event *ev;
	int ret = ctx->ret;
	__u32 size;

	ev = bpf_map_lookup_elem(&execs, &tid);
	if (!ev)
		return 0;
	if (ignore_failed && ret < 0)
		goto cleanup;
	ev->retval = ret;
	bpf_get_current_comm(&ev->comm, sizeof(ev->comm));
	size = __builtin_offsetof(struct execsnoop_event, args) + ev->args_size;
	if (size <= sizeof(*ev))
		event_output(ctx, ev, size);
cleanup:
	bpf_map_delete_elem(&execs, &tid);
	return 0;
}
