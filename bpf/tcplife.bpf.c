/* tcplife: each TCP session at its close, with the bytes it moved and how long it lived. */
#include "bpfutils.bpf.h"
#include "events.bpf.h"
#include "inet.bpf.h"
#include "tcplife.h"

#define IPPROTO_TCP 6

const volatile pid_t target_pid = 0;

/* Keeps the event in the object's BTF, where the layout test compares the Go twin with it. */
struct tcplife_event *const volatile tcplife_event_layout = 0;

/* When each session began, by socket. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);
	__type(value, __u64);
} birth SEC(".maps");

/* Who owns each session: the close often runs in softirq, in whatever task was current. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);
	__type(value, struct tcplife_ident);
} idents SEC(".maps");

SEC("tracepoint/sock/inet_sock_set_state")
int set_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	__u64 sk = (__u64)ctx->skaddr;
	int newstate = ctx->newstate;
	__u16 family = ctx->family;
	struct tcplife_ident ident = {}, *owner;
	struct tcplife_event *ev;
	__u64 now, *start;
	__u32 pid;

	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	if (inet_rejected(family, ctx->sport, ctx->dport))
		return 0;

	if (newstate < TCP_FIN_WAIT1) {
		now = bpf_ktime_get_ns();
		bpf_map_update_elem(&birth, &sk, &now, BPF_ANY);
	}
	/* The connecting task (SYN_SENT) or the one closing a passive session (LAST_ACK). */
	if (newstate == TCP_SYN_SENT || newstate == TCP_LAST_ACK) {
		pid = bpf_get_current_pid_tgid() >> 32;
		if (target_pid && pid != target_pid)
			return 0;
		ident.pid = pid;
		bpf_get_current_comm(ident.comm, sizeof(ident.comm));
		bpf_map_update_elem(&idents, &sk, &ident, BPF_ANY);
	}
	if (newstate != TCP_CLOSE)
		return 0;

	start = bpf_map_lookup_elem(&birth, &sk);
	if (!start) {
		bpf_map_delete_elem(&idents, &sk);
		return 0;
	}
	now = bpf_ktime_get_ns();
	owner = bpf_map_lookup_elem(&idents, &sk);
	pid = owner ? owner->pid : bpf_get_current_pid_tgid() >> 32;
	if (target_pid && pid != target_pid)
		goto cleanup;

	ev = event_reserve(sizeof(*ev));
	if (!ev)
		goto cleanup;
	ev->span_us = (now - *start) / 1000;
	ev->ts_us = now / 1000;
	ev->rx_b = BPF_CORE_READ((struct tcp_sock *)sk, bytes_received);
	ev->tx_b = BPF_CORE_READ((struct tcp_sock *)sk, bytes_acked);
	ev->pid = pid;
	ev->sport = ctx->sport;
	ev->dport = ctx->dport;
	ev->family = family;
	ev->pad = 0;
	ev->pad2 = 0;
	if (owner)
		__builtin_memcpy(ev->comm, owner->comm, sizeof(ev->comm));
	else
		bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	__builtin_memset(ev->saddr, 0, sizeof(ev->saddr));
	__builtin_memset(ev->daddr, 0, sizeof(ev->daddr));
	inet_sock_addrs((const struct sock *)sk, family, ev->saddr, ev->daddr);
	event_submit(ctx, ev, sizeof(*ev));

cleanup:
	bpf_map_delete_elem(&birth, &sk);
	bpf_map_delete_elem(&idents, &sk);
	return 0;
}
