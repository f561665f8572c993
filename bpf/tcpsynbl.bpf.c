/*
 * tcpsynbl: how full a listener's accept queue is when a handshake completes, as log2
 * histograms per backlog limit (listen's backlog, capped by somaxconn). fentry or kprobes on
 * tcp_v4/v6_syn_recv_sock read the listener as the final ACK is about to make the child socket.
 * Without them, the sock:inet_sock_set_state change LISTEN -> SYN_RECV that inet_csk_clone_lock
 * makes on the child a moment later stands in: the child is a byte copy of the listener, its
 * accept-queue length and limit included, and nothing joined the queue in between. What it
 * cannot see is a final ACK that finds the queue full: no child is made, and the handshake is
 * dropped (the kernel's ListenOverflows).
 */
#include "bpfutils.bpf.h"
#include "inet.bpf.h"
#include "tcpsynbl.h"

#define IPPROTO_TCP 6

/* Which families the tracepoint counts: those whose function hooks were passed over for it. */
const volatile bool state_v4 = false;
const volatile bool state_v6 = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct tcpsynbl_hist);
} hists SEC(".maps");

static const struct tcpsynbl_hist empty_hist = {};

static __always_inline int count(const struct sock *sk)
{
	__u64 limit = BPF_CORE_READ(sk, sk_max_ack_backlog), slot;
	struct tcpsynbl_hist *h;

	h = lookup_or_init(&hists, &limit, &empty_hist);
	if (!h)
		return 0;
	slot = log2_u32(BPF_CORE_READ(sk, sk_ack_backlog));
	if (slot >= TCPSYNBL_SLOTS)
		slot = TCPSYNBL_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[slot], 1);
	return 0;
}

SEC("fentry/tcp_v4_syn_recv_sock")
int BPF_PROG(syn_recv_v4_fentry, const struct sock *sk)
{
	return count(sk);
}

SEC("fentry/tcp_v6_syn_recv_sock")
int BPF_PROG(syn_recv_v6_fentry, const struct sock *sk)
{
	return count(sk);
}

SEC("kprobe/tcp_v4_syn_recv_sock")
int BPF_KPROBE(syn_recv_v4_kprobe, const struct sock *sk)
{
	return count(sk);
}

SEC("kprobe/tcp_v6_syn_recv_sock")
int BPF_KPROBE(syn_recv_v6_kprobe, const struct sock *sk)
{
	return count(sk);
}

BTF_TRACEPOINT(state, inet_sock_set_state, const struct sock *sk, int oldstate, int newstate)
{
	__u16 family;

	if (oldstate != TCP_LISTEN || newstate != TCP_SYN_RECV)
		return 0;
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if ((family == AF_INET && state_v4) || (family == AF_INET6 && state_v6))
		return count(sk);
	return 0;
}
