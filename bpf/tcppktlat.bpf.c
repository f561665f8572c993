/*
 * tcppktlat: how long a TCP segment carrying data waits on its socket until a task reads it.
 * A data segment's arrival at an established socket (tcp_rcv_established, or the tcp:tcp_probe
 * tracepoint it fires first thing) starts the clock; the reader's tcp_rcv_space_adjust (its
 * function or tracepoint, both at the start of it), called as recvmsg copies data out, stops
 * it and reports the reader. Every arrival restarts the clock, as in libbpf-tools.
 */
#include "bpfutils.bpf.h"
#include "events.bpf.h"
#include "inet.bpf.h"
#include "tcppktlat.h"

const volatile __u32 targ_pid = 0;
const volatile __u32 targ_tid = 0;
const volatile __u64 targ_min_us = 0;

struct tcppktlat_event *const volatile tcppktlat_event_layout = 0;

/* Arrival time of the last data segment not read yet, by socket. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);
	__type(value, __u64);
} start SEC(".maps");

/* Data segments whose arrival a full start map could not hold, per CPU; user space reports them. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} untimed SEC(".maps");

static __always_inline int arrival(const struct sock *sk, const struct sk_buff *skb)
{
	const struct tcphdr *th = (const struct tcphdr *)BPF_CORE_READ(skb, data);
	__u64 key = (__u64)sk, ts;
	__u16 family;
	__u32 doff;

	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (inet_rejected(family, BPF_CORE_READ(sk, __sk_common.skc_num),
			  bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport))))
		return 0;
	/* A segment no longer than its header (an ACK) has nothing to read. */
	doff = BPF_CORE_READ_BITFIELD_PROBED(th, doff);
	if (BPF_CORE_READ(skb, len) <= doff * 4)
		return 0;
	ts = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&start, &key, &ts, BPF_ANY)) {
		__u32 zero = 0;
		__u64 *n = bpf_map_lookup_elem(&untimed, &zero);

		if (n)
			*n += 1;
	}
	return 0;
}

static __always_inline int consumed(void *ctx, const struct sock *sk)
{
	__u64 key = (__u64)sk, id = bpf_get_current_pid_tgid(), *tsp, delta_us;
	struct tcppktlat_event *ev;
	__u32 pid = id >> 32, tid = id;

	tsp = bpf_map_lookup_elem(&start, &key);
	if (!tsp)
		return 0;
	if ((targ_pid && targ_pid != pid) || (targ_tid && targ_tid != tid))
		goto cleanup;
	delta_us = (bpf_ktime_get_ns() - *tsp) / 1000;
	if ((__s64)delta_us < 0 || delta_us < targ_min_us)
		goto cleanup;
	ev = event_reserve(sizeof(*ev));
	if (!ev)
		goto cleanup;
	ev->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	__builtin_memset(ev->saddr, 0, sizeof(ev->saddr));
	__builtin_memset(ev->daddr, 0, sizeof(ev->daddr));
	inet_sock_addrs(sk, ev->family, ev->saddr, ev->daddr);
	ev->delta_us = delta_us;
	ev->pid = pid;
	ev->tid = tid;
	ev->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	ev->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	ev->pad = 0;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	event_submit(ctx, ev, sizeof(*ev));
cleanup:
	bpf_map_delete_elem(&start, &key);
	return 0;
}

SEC("fentry/tcp_rcv_established")
int BPF_PROG(rcv_fentry, struct sock *sk, struct sk_buff *skb)
{
	return arrival(sk, skb);
}

SEC("kprobe/tcp_rcv_established")
int BPF_KPROBE(rcv_kprobe, struct sock *sk, struct sk_buff *skb)
{
	return arrival(sk, skb);
}

BTF_TRACEPOINT(rcv_probe, tcp_probe, struct sock *sk, struct sk_buff *skb)
{
	return arrival(sk, skb);
}

SEC("fentry/tcp_rcv_space_adjust")
int BPF_PROG(adjust_fentry, struct sock *sk)
{
	return consumed(ctx, sk);
}

SEC("kprobe/tcp_rcv_space_adjust")
int BPF_KPROBE(adjust_kprobe, struct sock *sk)
{
	return consumed(ctx, sk);
}

BTF_TRACEPOINT(adjust_tp, tcp_rcv_space_adjust, struct sock *sk)
{
	return consumed(ctx, sk);
}

/* A socket that goes away unread leaves nothing behind, for its address's next socket. */
BTF_TRACEPOINT(destroy_tp, tcp_destroy_sock, struct sock *sk)
{
	__u64 key = (__u64)sk;

	bpf_map_delete_elem(&start, &key);
	return 0;
}
