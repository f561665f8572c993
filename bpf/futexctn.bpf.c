/*
 * futexctn: the time threads wait in FUTEX_WAIT, from the syscall's entry to its successful
 * return, summed as log2 histograms per thread, futex word and user stack.
 */
#include "bpfutils.bpf.h"
#include "stacks.bpf.h"
#include "futexctn.h"

#define FUTEX_WAIT 0
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256

const volatile bool targ_summary = false;
const volatile bool targ_ms = false;
const volatile __u64 targ_lock = 0;
const volatile pid_t targ_pid = 0;
const volatile pid_t targ_tid = 0;

struct wait_start {
	__u64 ts;
	__u64 uaddr;
};

/*
 * Threads now in FUTEX_WAIT, by thread id. LRU: a thread killed while waiting never returns
 * from the syscall, and its entry must not hold a slot for good.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct wait_start);
} waiting SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct futexctn_key);
	__type(value, struct futexctn_hist);
} hists SEC(".maps");

static const struct futexctn_hist empty_hist = {};

SEC("tracepoint/syscalls/sys_enter_futex")
int futex_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct wait_start w;
	int op = (int)ctx->args[1];

	if ((op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)) != FUTEX_WAIT)
		return 0;
	if (targ_pid && targ_pid != id >> 32)
		return 0;
	if (targ_tid && targ_tid != tid)
		return 0;
	w.uaddr = ctx->args[0];
	if (targ_lock && targ_lock != w.uaddr)
		return 0;
	w.ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&waiting, &tid, &w, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_futex")
int futex_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 now = bpf_ktime_get_ns();
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct futexctn_key key = {};
	struct futexctn_hist *h;
	struct wait_start *w;
	__u64 delta, slot, old;

	w = bpf_map_lookup_elem(&waiting, &tid);
	if (!w)
		return 0;
	/* Not woken: the word had changed already (EAGAIN), a timeout, a signal. */
	if (ctx->ret < 0 || now < w->ts)
		goto done;
	delta = (now - w->ts) / (targ_ms ? 1000000 : 1000);
	key.tgid = id >> 32;
	key.uaddr = w->uaddr;
	if (targ_summary) {
		key.id = key.tgid;
	} else {
		key.id = tid;
		key.user_stack_id = bpf_get_stackid(ctx, &stackmap, BPF_F_USER_STACK);
	}
	h = lookup_or_init(&hists, &key, &empty_hist);
	if (!h)
		goto done;
	slot = log2_u64(delta);
	if (slot >= FUTEXCTN_MAX_SLOTS)
		slot = FUTEXCTN_MAX_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[slot], 1);
	__sync_fetch_and_add(&h->contended, 1);
	__sync_fetch_and_add(&h->total, delta);
	/* Racing updates may lose a minimum or maximum to each other; the counts stay exact. */
	old = h->min;
	if (!old || delta < old)
		__sync_val_compare_and_swap(&h->min, old, delta);
	old = h->max;
	if (delta > old)
		__sync_val_compare_and_swap(&h->max, old, delta);
	bpf_get_current_comm(&h->comm, sizeof(h->comm));
done:
	bpf_map_delete_elem(&waiting, &tid);
	return 0;
}
