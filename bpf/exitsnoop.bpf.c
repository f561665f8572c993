/* exitsnoop: every process (or, with -T, thread) exit, with its status. */
#include "bpfutils.bpf.h"
#include "events.bpf.h"
#include "cgroup.bpf.h"
#include "exitsnoop.h"

const volatile pid_t target_pid = 0;
const volatile bool failed_only = false;
/* Without -T only the thread whose tid is the pid counts: the process ends with it. */
const volatile bool per_thread = false;

/* Events only pass through the ring buffer; this puts their type into BTF for the layout check. */
struct exitsnoop_event *const volatile exitsnoop_event_layout = 0;

SEC("tracepoint/sched/sched_process_exit")
int process_exit(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32, tid = (__u32)id;
	struct exitsnoop_event *ev;
	struct task_struct *task;
	int status;

	if (target_pid && target_pid != pid)
		return 0;
	if (!per_thread && pid != tid)
		return 0;
	if (cgroup_rejected())
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	/* do_exit() stored the wait status before this tracepoint fires. */
	status = BPF_CORE_READ(task, exit_code);
	if (failed_only && status == 0)
		return 0;

	ev = event_reserve(sizeof(*ev));
	if (!ev)
		return 0;
	ev->start_ns = BPF_CORE_READ(task, start_time);
	ev->exit_ns = bpf_ktime_get_ns();
	ev->pid = pid;
	ev->tid = tid;
	ev->ppid = BPF_CORE_READ(task, real_parent, tgid);
	ev->sig = status & 0xff;
	ev->exit_code = status >> 8;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	event_submit(ctx, ev, sizeof(*ev));
	return 0;
}
