/*
 * sigsnoop: signals as they are generated (signal:signal_generate), or with -k the kill(),
 * tkill() and tgkill() calls with their results.
 */
#include "bpfutils.bpf.h"
#include "events.bpf.h"
#include "sigsnoop.h"

const volatile pid_t filtered_pid = 0;
/* -s: bit n-1 set for each signal n wanted; 0 for all. */
const volatile __u32 target_signals = 0;
const volatile bool failed_only = false;

/* Events only pass through the ring buffer; this puts their type into BTF for the layout check. */
struct sigsnoop_event *const volatile sigsnoop_event_layout = 0;

/* -k: calls in flight, by thread. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SIGSNOOP_PENDING);
	__type(key, __u32);
	__type(value, struct sigsnoop_event);
} pending SEC(".maps");

static __always_inline bool signal_wanted(int sig)
{
	if (!target_signals)
		return true;
	if (sig < 1 || sig > 32)
		return false;
	return target_signals & (1U << (sig - 1));
}

static __always_inline bool sender_wanted(__u32 pid)
{
	return !filtered_pid || (__u32)filtered_pid == pid;
}

static __always_inline int kill_entered(pid_t tpid, int sig)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct sigsnoop_event ev = {};
	__u32 tid = (__u32)id;

	if (!signal_wanted(sig) || !sender_wanted(id >> 32))
		return 0;
	ev.pid = id >> 32;
	ev.tpid = tpid;
	ev.sig = sig;
	bpf_get_current_comm(ev.comm, sizeof(ev.comm));
	/* A full map loses the call: counted with the events lost. */
	if (bpf_map_update_elem(&pending, &tid, &ev, BPF_ANY))
		event_count_lost();
	return 0;
}

static __always_inline int kill_exited(void *ctx, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct sigsnoop_event *ev;

	ev = bpf_map_lookup_elem(&pending, &tid);
	if (!ev)
		return 0;
	if (!failed_only || ret < 0) {
		ev->ret = ret;
		event_output(ctx, ev, sizeof(*ev));
	}
	bpf_map_delete_elem(&pending, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_kill")
int kill_entry(struct trace_event_raw_sys_enter *ctx)
{
	return kill_entered((pid_t)ctx->args[0], (int)ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_exit_kill")
int kill_exit(struct trace_event_raw_sys_exit *ctx)
{
	return kill_exited(ctx, ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_tkill")
int tkill_entry(struct trace_event_raw_sys_enter *ctx)
{
	return kill_entered((pid_t)ctx->args[0], (int)ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_exit_tkill")
int tkill_exit(struct trace_event_raw_sys_exit *ctx)
{
	return kill_exited(ctx, ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_tgkill")
int tgkill_entry(struct trace_event_raw_sys_enter *ctx)
{
	return kill_entered((pid_t)ctx->args[1], (int)ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_exit_tgkill")
int tgkill_exit(struct trace_event_raw_sys_exit *ctx)
{
	return kill_exited(ctx, ctx->ret);
}

/*
 * -k: the target's name. A kill of one task generates its signal inside the call, on the
 * sender's thread, and the tracepoint names the task: no kfunc (bpf_task_from_pid, 6.2+) needed.
 * Kills of groups (pid <= 0) generate many; their target stays unnamed, as in libbpf-tools.
 */
SEC("tracepoint/signal/signal_generate")
int kill_target(struct trace_event_raw_signal_generate *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct sigsnoop_event *ev;

	ev = bpf_map_lookup_elem(&pending, &tid);
	if (!ev || ev->tpid <= 0 || ev->tcomm[0])
		return 0;
	bpf_probe_read_kernel(ev->tcomm, sizeof(ev->tcomm), ctx->comm);
	return 0;
}

SEC("tracepoint/signal/signal_generate")
int signal_generated(struct trace_event_raw_signal_generate *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct sigsnoop_event *ev;
	int ret = ctx->errno;

	if (failed_only && ret == 0)
		return 0;
	if (!signal_wanted(ctx->sig) || !sender_wanted(id >> 32))
		return 0;
	ev = event_reserve(sizeof(*ev));
	if (!ev)
		return 0;
	ev->pid = id >> 32;
	ev->tpid = ctx->pid;
	ev->sig = ctx->sig;
	ev->ret = ret;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	bpf_probe_read_kernel(ev->tcomm, sizeof(ev->tcomm), ctx->comm);
	event_submit(ctx, ev, sizeof(*ev));
	return 0;
}
