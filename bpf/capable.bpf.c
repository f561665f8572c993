/*
 * capable: security capability checks (cap_capable()) and their verdicts.
 *
 * fexit sees the arguments and the result at once; kprobe needs its kretprobe twin and a map
 * between them; the capability:cap_capable tracepoint (6.15+) has the capability and the
 * result but not the options, so audit and insetid are unknown (-1) there.
 */
#include "bpfutils.bpf.h"
#include "events.bpf.h"
#include "cgroup.bpf.h"
#include "capable.h"

/* Bits of cap_capable()'s opts (include/linux/security.h, 5.1+). */
#define CAP_OPT_NOAUDIT 0x2
#define CAP_OPT_INSETID 0x4

const volatile __u32 my_pid = 0;
const volatile __u32 targ_pid = 0;
const volatile enum capable_unique unique_type = CAPABLE_UNIQUE_OFF;
const volatile bool kernel_stack = false;
const volatile bool user_stack = false;
/* --perf-max-stack-depth, in bytes */
const volatile __u32 stack_bytes = CAPABLE_MAX_FRAMES * 8;

/* The event type is named by no map: this puts it in the object's BTF for tools/layout_test.go. */
struct capable_event *const volatile capable_event_layout = 0;

_Static_assert(sizeof(struct capable_event) <= MAX_EVENT_SIZE, "event outgrew the scratch slot");

struct call_args {
	__s32 cap;
	__u32 opts;
};

/* kprobe to kretprobe: the arguments of the check in flight, by thread. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);
	__type(value, struct call_args);
} inflight SEC(".maps");

struct unique_key {
	__s32 cap;
	__u32 tgid;
	__u64 cgroup;
};

/* -u: what was reported already. An LRU, so that a long run keeps reporting new processes. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 10240);
	__type(key, struct unique_key);
	__type(value, __u8);
} seen SEC(".maps");

static __always_inline bool traced(__u64 id)
{
	__u32 pid = id >> 32;

	if (pid == my_pid)
		return false;
	if (targ_pid && targ_pid != pid)
		return false;
	return !cgroup_rejected();
}

static __always_inline int report(void *ctx, __u64 id, int cap, int audit, int insetid, int ret)
{
	struct capable_event *ev;

	if (unique_type != CAPABLE_UNIQUE_OFF) {
		struct unique_key key = {.cap = cap};
		__u8 one = 1;

		if (unique_type == CAPABLE_UNIQUE_CGROUP)
			key.cgroup = bpf_get_current_cgroup_id();
		else
			key.tgid = id >> 32;
		if (bpf_map_update_elem(&seen, &key, &one, BPF_NOEXIST))
			return 0;
	}
	ev = event_scratch_get();
	if (!ev)
		return 0;
	ev->pid = id >> 32;
	ev->tid = id;
	ev->uid = bpf_get_current_uid_gid();
	ev->cap = cap;
	ev->audit = audit;
	ev->insetid = insetid;
	ev->ret = ret;
	ev->kstack_size = 0;
	ev->ustack_size = 0;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	if (kernel_stack)
		ev->kstack_size = bpf_get_stack(ctx, ev->kstack, stack_bytes < sizeof(ev->kstack) ? stack_bytes : sizeof(ev->kstack), 0);
	if (user_stack)
		ev->ustack_size = bpf_get_stack(ctx, ev->ustack, stack_bytes < sizeof(ev->ustack) ? stack_bytes : sizeof(ev->ustack), BPF_F_USER_STACK);
	if (kernel_stack || user_stack)
		event_output(ctx, ev, sizeof(*ev));
	else
		event_output(ctx, ev, __builtin_offsetof(struct capable_event, kstack));
	return 0;
}

static __always_inline int report_opts(void *ctx, __u64 id, int cap, __u32 opts, int ret)
{
	return report(ctx, id, cap, !(opts & CAP_OPT_NOAUDIT), !!(opts & CAP_OPT_INSETID), ret);
}

SEC("fexit/cap_capable")
int BPF_PROG(cap_fexit, const struct cred *cred, struct user_namespace *ns, int cap, unsigned int opts, int ret)
{
	__u64 id = bpf_get_current_pid_tgid();

	if (!traced(id))
		return 0;
	return report_opts(ctx, id, cap, opts, ret);
}

SEC("kprobe/cap_capable")
int BPF_KPROBE(cap_kprobe, const struct cred *cred, struct user_namespace *ns, int cap, unsigned int opts)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct call_args args = {.cap = cap, .opts = opts};

	if (!traced(id))
		return 0;
	bpf_map_update_elem(&inflight, &id, &args, BPF_ANY);
	return 0;
}

SEC("kretprobe/cap_capable")
int BPF_KRETPROBE(cap_kretprobe, int ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct call_args *args = bpf_map_lookup_elem(&inflight, &id);
	struct call_args a;

	if (!args)
		return 0;
	a = *args;
	bpf_map_delete_elem(&inflight, &id);
	return report_opts(ctx, id, a.cap, a.opts, ret);
}

/* The tracepoint's record as its format file lays it out (no CO-RE: kernels before 6.15 have
 * no such type, and --verify loads this program there too). */
struct cap_capable_record {
	__u64 common;
	const void *cred;
	const void *target_ns;
	const void *capable_ns;
	int cap;
	int ret;
};

SEC("tracepoint/capability/cap_capable")
int cap_tp(struct cap_capable_record *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();

	if (!traced(id))
		return 0;
	return report(ctx, id, ctx->cap, -1, -1, ctx->ret);
}
