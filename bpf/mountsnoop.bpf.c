/*
 * mountsnoop: mount(), umount2(), fsopen(), fsconfig(), fsmount() and move_mount() calls.
 *
 * The entry only notes the time (for -d's latency); the exit reads the arguments from the
 * saved user registers, where they still are, as opensnoop does.
 */
#include "bpfutils.bpf.h"
#include "events.bpf.h"
#include "mountsnoop.h"

const volatile __u32 targ_tgid = 0;

/* The event type is named by no map: this puts it in the object's BTF for tools/layout_test.go. */
struct mountsnoop_event *const volatile mountsnoop_event_layout = 0;

_Static_assert(sizeof(struct mountsnoop_event) <= MAX_EVENT_SIZE, "event outgrew the scratch slot");

/* Entry times by thread; a thread is in one call at a time. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} starts SEC(".maps");

static __always_inline int trace_enter(void)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 ts = bpf_ktime_get_ns();
	__u32 tid = id;

	if (targ_tgid && targ_tgid != id >> 32)
		return 0;
	bpf_map_update_elem(&starts, &tid, &ts, BPF_ANY);
	return 0;
}

static __always_inline void read_str(char *dst, __u32 size, unsigned long src)
{
	if (!src || bpf_probe_read_user_str(dst, size, (const void *)src) < 0)
		dst[0] = 0;
}

static __always_inline int trace_exit(struct trace_event_raw_sys_exit *ctx, enum mountsnoop_op op)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct task_struct *task;
	struct mountsnoop_event *ev;
	struct pt_regs *regs;
	__u32 tid = id;
	__u64 *start;

	start = bpf_map_lookup_elem(&starts, &tid);
	if (!start)
		return 0;
	ev = event_reserve(sizeof(*ev));
	if (!ev)
		goto out;
	task = bpf_get_current_task_btf();
	regs = (struct pt_regs *)bpf_task_pt_regs(task);

	ev->delta_ns = bpf_ktime_get_ns() - *start;
	ev->pid = id >> 32;
	ev->tid = id;
	ev->mnt_ns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	ev->ret = ctx->ret;
	ev->op = op;
	ev->flags = 0;
	ev->fd = 0;
	ev->to_fd = 0;
	ev->cmd = 0;
	ev->attr_flags = 0;
	ev->aux = 0;
	ev->path0[0] = 0;
	ev->path1[0] = 0;
	ev->text0[0] = 0;
	ev->text1[0] = 0;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));

	switch (op) {
	case MOUNTSNOOP_MOUNT:
		read_str(ev->path0, sizeof(ev->path0), PT_REGS_PARM1_CORE_SYSCALL(regs));
		read_str(ev->path1, sizeof(ev->path1), PT_REGS_PARM2_CORE_SYSCALL(regs));
		read_str(ev->text1, sizeof(ev->text1), PT_REGS_PARM3_CORE_SYSCALL(regs));
		ev->flags = PT_REGS_PARM4_CORE_SYSCALL(regs);
		read_str(ev->text0, sizeof(ev->text0), PT_REGS_PARM5_CORE_SYSCALL(regs));
		break;
	case MOUNTSNOOP_UMOUNT:
		read_str(ev->path1, sizeof(ev->path1), PT_REGS_PARM1_CORE_SYSCALL(regs));
		ev->flags = PT_REGS_PARM2_CORE_SYSCALL(regs);
		break;
	case MOUNTSNOOP_FSOPEN:
		read_str(ev->text1, sizeof(ev->text1), PT_REGS_PARM1_CORE_SYSCALL(regs));
		ev->flags = (__u32)PT_REGS_PARM2_CORE_SYSCALL(regs);
		break;
	case MOUNTSNOOP_FSCONFIG:
		ev->fd = PT_REGS_PARM1_CORE_SYSCALL(regs);
		ev->cmd = PT_REGS_PARM2_CORE_SYSCALL(regs);
		read_str(ev->text0, sizeof(ev->text0), PT_REGS_PARM3_CORE_SYSCALL(regs));
		read_str(ev->text1, sizeof(ev->text1), PT_REGS_PARM4_CORE_SYSCALL(regs));
		ev->aux = PT_REGS_PARM5_CORE_SYSCALL(regs);
		break;
	case MOUNTSNOOP_FSMOUNT:
		ev->fd = PT_REGS_PARM1_CORE_SYSCALL(regs);
		ev->flags = (__u32)PT_REGS_PARM2_CORE_SYSCALL(regs);
		ev->attr_flags = PT_REGS_PARM3_CORE_SYSCALL(regs);
		break;
	case MOUNTSNOOP_MOVE_MOUNT:
		ev->fd = PT_REGS_PARM1_CORE_SYSCALL(regs);
		read_str(ev->path0, sizeof(ev->path0), PT_REGS_PARM2_CORE_SYSCALL(regs));
		ev->to_fd = PT_REGS_PARM3_CORE_SYSCALL(regs);
		read_str(ev->path1, sizeof(ev->path1), PT_REGS_PARM4_CORE_SYSCALL(regs));
		ev->flags = (__u32)PT_REGS_PARM5_CORE_SYSCALL(regs);
		break;
	}
	event_submit(ctx, ev, sizeof(*ev));
out:
	bpf_map_delete_elem(&starts, &tid);
	return 0;
}

#define MOUNT_CALL(name, op)						\
SEC("tracepoint/syscalls/sys_enter_" #name)				\
int name##_entry(void *ctx)						\
{									\
	return trace_enter();						\
}									\
SEC("tracepoint/syscalls/sys_exit_" #name)				\
int name##_exit(struct trace_event_raw_sys_exit *ctx)			\
{									\
	return trace_exit(ctx, op);					\
}

MOUNT_CALL(mount, MOUNTSNOOP_MOUNT)
MOUNT_CALL(umount, MOUNTSNOOP_UMOUNT)
MOUNT_CALL(fsopen, MOUNTSNOOP_FSOPEN)
MOUNT_CALL(fsconfig, MOUNTSNOOP_FSCONFIG)
MOUNT_CALL(fsmount, MOUNTSNOOP_FSMOUNT)
MOUNT_CALL(move_mount, MOUNTSNOOP_MOVE_MOUNT)
