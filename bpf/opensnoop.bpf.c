/*
 * opensnoop: open(), openat() and openat2() calls with their results.
 *
 * Only the syscall exits are traced. The arguments are still in the registers user space made
 * the call with (saved at kernel entry, and the return value goes to a register no argument
 * uses, or next to the saved first one on arm64), so the exit reads them there: one program
 * per open instead of an entry program, a hash map insert, lookup and delete.
 */
#include "bpfutils.bpf.h"
#include "events.bpf.h"
#include "path.bpf.h"
#include "opensnoop.h"

#define O_ACCMODE 00000003
#define O_CREAT   00000100
#define O_TMPFILE 020200000

const volatile __u32 targ_tgid = 0;
const volatile __u32 targ_pid = 0;
const volatile __u32 targ_uid = (__u32)-1;
const volatile bool targ_failed = false;
const volatile bool full_path = false;
const volatile bool callers = false;
/* -f: when flag_filter is set, only opens with one of flags_any, or read-only ones when
 * flags_rdonly (O_RDONLY is 0: no bit to test). */
const volatile bool flag_filter = false;
const volatile __u32 flags_any = 0;
const volatile bool flags_rdonly = false;

/* Events are built in the scratch slot, so no map names their type: this puts it in the
 * object's BTF, where tools/layout_test.go holds the Go twin to it. */
struct opensnoop_event *const volatile opensnoop_event_layout = 0;

#define PATH_ROOM sizeof(((struct opensnoop_event *)0)->path)
_Static_assert(sizeof(struct opensnoop_event) <= MAX_EVENT_SIZE, "event outgrew the scratch slot");

enum open_call { CALL_OPEN, CALL_OPENAT, CALL_OPENAT2 };

struct open_args {
	const char *name;
	__s32 flags;
	__u32 mode;
	__s32 dfd;
};

static __always_inline bool traced(__u64 id)
{
	if (targ_tgid && targ_tgid != id >> 32)
		return false;
	if (targ_pid && targ_pid != (__u32)id)
		return false;
	if (targ_uid != (__u32)-1 && targ_uid != (__u32)bpf_get_current_uid_gid())
		return false;
	return true;
}

static __always_inline bool flags_wanted(__s32 flags)
{
	if (!flag_filter)
		return true;
	if (flags & flags_any)
		return true;
	return flags_rdonly && (flags & O_ACCMODE) == 0;
}

static __always_inline void read_args(enum open_call call, struct open_args *a)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	struct open_how how = {};

	switch (call) {
	case CALL_OPEN:
		a->dfd = AT_FDCWD;
		a->name = (const char *)PT_REGS_PARM1_CORE_SYSCALL(regs);
		a->flags = PT_REGS_PARM2_CORE_SYSCALL(regs);
		a->mode = PT_REGS_PARM3_CORE_SYSCALL(regs);
		break;
	case CALL_OPENAT:
		a->dfd = PT_REGS_PARM1_CORE_SYSCALL(regs);
		a->name = (const char *)PT_REGS_PARM2_CORE_SYSCALL(regs);
		a->flags = PT_REGS_PARM3_CORE_SYSCALL(regs);
		a->mode = PT_REGS_PARM4_CORE_SYSCALL(regs);
		break;
	case CALL_OPENAT2:
		a->dfd = PT_REGS_PARM1_CORE_SYSCALL(regs);
		a->name = (const char *)PT_REGS_PARM2_CORE_SYSCALL(regs);
		bpf_probe_read_user(&how, sizeof(how), (void *)PT_REGS_PARM3_CORE_SYSCALL(regs));
		a->flags = how.flags;
		a->mode = how.mode;
		break;
	}
}

static __always_inline int trace_exit(struct trace_event_raw_sys_exit *ctx, enum open_call call)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct opensnoop_event *ev;
	struct open_args a;
	long ret = ctx->ret, n;
	__u32 len;

	if (!traced(id))
		return 0;
	if (targ_failed && ret >= 0)
		return 0;
	read_args(call, &a);
	if (!flags_wanted(a.flags))
		return 0;
	ev = event_scratch_get();
	if (!ev)
		return 0;

	ev->pid = id >> 32;
	ev->tid = id;
	ev->uid = bpf_get_current_uid_gid();
	ev->ret = ret;
	ev->flags = a.flags;
	/* mode means something only when the call may create the file */
	ev->mode = (a.flags & O_CREAT) || (a.flags & O_TMPFILE) == O_TMPFILE ? a.mode : 0;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	if (callers) {
		/* As libbpf-tools: the innermost frame is the libc wrapper of the call, and the
		 * two after it are what the user wants to see. */
		__u64 stack[3] = {};

		bpf_get_stack(ctx, stack, sizeof(stack), BPF_F_USER_STACK);
		ev->callers[0] = stack[1];
		ev->callers[1] = stack[2];
	}

	n = bpf_probe_read_user_str(ev->path, OPENSNOOP_NAME_MAX, a.name);
	if (n <= 0) {
		ev->path[0] = 0;
		n = 1;
	}
	len = n;
	ev->name_len = n;
	ev->dir_state = PATH_NONE;
	if (full_path && ev->path[0] != '/')
		ev->dir_state = path_walk_at(ev->path, &len, PATH_ROOM, a.dfd);
	ev->dir_len = len - n;
	event_output(ctx, ev, __builtin_offsetof(struct opensnoop_event, path) + len);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_open")
int open_exit(struct trace_event_raw_sys_exit *ctx)
{
	return trace_exit(ctx, CALL_OPEN);
}

SEC("tracepoint/syscalls/sys_exit_openat")
int openat_exit(struct trace_event_raw_sys_exit *ctx)
{
	return trace_exit(ctx, CALL_OPENAT);
}

SEC("tracepoint/syscalls/sys_exit_openat2")
int openat2_exit(struct trace_event_raw_sys_exit *ctx)
{
	return trace_exit(ctx, CALL_OPENAT2);
}
