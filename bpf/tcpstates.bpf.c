/* tcpstates: every TCP state change, with the time spent in the state it leaves. */
#include "bpfutils.bpf.h"
#include "events.bpf.h"
#include "inet.bpf.h"
#include "tcpstates.h"

#define IPPROTO_TCP 6

/* Keeps the event in the object's BTF, where the layout test compares the Go twin with it. */
struct tcpstates_event *const volatile tcpstates_event_layout = 0;

/* When each socket entered its current state; a socket leaves at CLOSE. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);
	__type(value, __u64);
} entered SEC(".maps");

SEC("tracepoint/sock/inet_sock_set_state")
int set_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	__u64 sk = (__u64)ctx->skaddr;
	__u64 now, *since;
	struct tcpstates_event *ev;
	__u16 family = ctx->family;

	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	if (inet_rejected(family, ctx->sport, ctx->dport))
		return 0;

	now = bpf_ktime_get_ns();
	since = bpf_map_lookup_elem(&entered, &sk);
	ev = event_reserve(sizeof(*ev));
	if (ev) {
		ev->skaddr = sk;
		ev->delta_us = since ? (now - *since) / 1000 : 0;
		ev->pid = bpf_get_current_pid_tgid() >> 32;
		ev->oldstate = ctx->oldstate;
		ev->newstate = ctx->newstate;
		ev->family = family;
		ev->sport = ctx->sport;
		ev->dport = ctx->dport;
		ev->pad = 0;
		ev->pad2 = 0;
		__builtin_memset(ev->saddr, 0, sizeof(ev->saddr));
		__builtin_memset(ev->daddr, 0, sizeof(ev->daddr));
		inet_sock_addrs((const struct sock *)sk, family, ev->saddr, ev->daddr);
		bpf_get_current_comm(ev->comm, sizeof(ev->comm));
		event_submit(ctx, ev, sizeof(*ev));
	}

	if (ctx->newstate == TCP_CLOSE)
		bpf_map_delete_elem(&entered, &sk);
	else
		bpf_map_update_elem(&entered, &sk, &now, BPF_ANY);
	return 0;
}
