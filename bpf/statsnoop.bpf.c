/*
 * statsnoop: stat(), lstat(), fstat(), fstatat(), statx() and statfs() calls with their results.
 *
 * As opensnoop, only the exits are traced: the arguments are still in the saved user registers
 * there, so one program per call does without an entry program and a map of calls in flight.
 * A relative name is completed in the kernel from the directory it was resolved against (the
 * working directory or dirfd), not afterwards from /proc, which a short-lived process has
 * already left by the time user space reads it.
 */
#include "bpfutils.bpf.h"
#include "events.bpf.h"
#include "path.bpf.h"
#include "statsnoop.h"


const volatile __u32 targ_tgid = 0;
const volatile bool targ_failed = false;

/* Events are built in the scratch slot: this puts their type in the object's BTF for
 * tools/layout_test.go. */
struct statsnoop_event *const volatile statsnoop_event_layout = 0;

#define PATH_ROOM sizeof(((struct statsnoop_event *)0)->path)
_Static_assert(sizeof(struct statsnoop_event) <= MAX_EVENT_SIZE, "event outgrew the scratch slot");

static __always_inline unsigned long syscall_arg(struct pt_regs *regs, int n)
{
	switch (n) {
	case 1:
		return PT_REGS_PARM1_CORE_SYSCALL(regs);
	case 2:
		return PT_REGS_PARM2_CORE_SYSCALL(regs);
	}
	return 0;
}

/*
 * Where the call keeps its arguments, 1-based (0: none): fd_arg the fd of fstat(), dfd_arg the
 * dirfd of fstatat() and statx(), name_arg the name. Not inlined: one copy of the path walks
 * for the six calls, not six.
 */
static __noinline int trace_exit(struct trace_event_raw_sys_exit *ctx, enum statsnoop_call call,
				 int fd_arg, int dfd_arg, int name_arg)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct statsnoop_event *ev;
	struct pt_regs *regs;
	const char *name = 0;
	long ret = ctx->ret, n = 0;
	int fd = AT_FDCWD;
	__u32 len;

	if (targ_tgid && targ_tgid != id >> 32)
		return 0;
	if (targ_failed && ret >= 0)
		return 0;
	ev = event_scratch_get();
	if (!ev)
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

	ev->ts_ns = bpf_ktime_get_ns();
	ev->pid = id >> 32;
	ev->tid = id;
	ev->ret = ret;
	ev->call = call;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));

	if (name_arg) {
		name = (const char *)syscall_arg(regs, name_arg);
		n = bpf_probe_read_user_str(ev->path, STATSNOOP_NAME_MAX, name);
	}
	if (n <= 0) {
		ev->path[0] = 0;
		n = 1;
	}
	len = n;
	ev->name_len = n;
	ev->base = STATSNOOP_BASE_NONE;
	ev->dir_state = PATH_NONE;
	if (fd_arg) {
		ev->base = STATSNOOP_BASE_FILE;
		ev->dir_state = path_walk_fd(ev->path, &len, PATH_ROOM, (int)syscall_arg(regs, fd_arg));
	} else if (ev->path[0] != '/') {
		if (dfd_arg)
			fd = (int)syscall_arg(regs, dfd_arg);
		ev->base = STATSNOOP_BASE_DIR;
		ev->dir_state = path_walk_at(ev->path, &len, PATH_ROOM, fd);
	}
	ev->dir_len = len - n;
	event_output(ctx, ev, __builtin_offsetof(struct statsnoop_event, path) + len);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_statfs")
int statfs_exit(struct trace_event_raw_sys_exit *ctx)
{
	return trace_exit(ctx, STATSNOOP_STATFS, 0, 0, 1);
}

SEC("tracepoint/syscalls/sys_exit_newstat")
int newstat_exit(struct trace_event_raw_sys_exit *ctx)
{
	return trace_exit(ctx, STATSNOOP_NEWSTAT, 0, 0, 1);
}

SEC("tracepoint/syscalls/sys_exit_statx")
int statx_exit(struct trace_event_raw_sys_exit *ctx)
{
	return trace_exit(ctx, STATSNOOP_STATX, 0, 1, 2);
}

SEC("tracepoint/syscalls/sys_exit_newfstat")
int newfstat_exit(struct trace_event_raw_sys_exit *ctx)
{
	return trace_exit(ctx, STATSNOOP_NEWFSTAT, 1, 0, 0);
}

SEC("tracepoint/syscalls/sys_exit_newfstatat")
int newfstatat_exit(struct trace_event_raw_sys_exit *ctx)
{
	return trace_exit(ctx, STATSNOOP_NEWFSTATAT, 0, 1, 2);
}

SEC("tracepoint/syscalls/sys_exit_newlstat")
int newlstat_exit(struct trace_event_raw_sys_exit *ctx)
{
	return trace_exit(ctx, STATSNOOP_NEWLSTAT, 0, 0, 1);
}
