/*
 * tcpconnlat: the time from an active connect to the SYN-ACK that answers it. fentry or kprobes
 * on tcp_v4/v6_connect start the clock and on tcp_rcv_state_process (in SYN_SENT) stop it;
 * without them, the socket's changes CLOSE -> SYN_SENT (inside tcp_v4/v6_connect, in the
 * connecting task) and SYN_SENT -> ESTABLISHED (while the SYN-ACK is processed), or -> CLOSE
 * when a RST refused the connect, stand in.
 */
#include "bpfutils.bpf.h"
#include "events.bpf.h"
#include "inet.bpf.h"
#include "tcpconnlat.h"

#define IPPROTO_TCP 6
#define ECONNREFUSED 111

const volatile __u64 targ_min_us = 0;
const volatile pid_t targ_tgid = 0;

struct tcpconnlat_event *const volatile tcpconnlat_event_layout = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct tcpconnlat_start);
} start SEC(".maps");

static __always_inline int connect_start(__u64 sk)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct tcpconnlat_start s = {};

	if (targ_tgid && targ_tgid != tgid)
		return 0;
	bpf_get_current_comm(s.comm, sizeof(s.comm));
	s.ts = bpf_ktime_get_ns();
	s.tgid = tgid;
	bpf_map_update_elem(&start, &sk, &s, BPF_ANY);
	return 0;
}

static __always_inline int connect_end(void *ctx, __u64 skp)
{
	const struct sock *sk = (const struct sock *)skp;
	struct tcpconnlat_event *ev;
	struct tcpconnlat_start *s;
	__u64 now, delta_us;
	__u16 family;

	s = bpf_map_lookup_elem(&start, &skp);
	if (!s)
		return 0;
	now = bpf_ktime_get_ns();
	if ((__s64)(now - s->ts) < 0)
		goto cleanup;
	delta_us = (now - s->ts) / 1000;
	if (targ_min_us && delta_us < targ_min_us)
		goto cleanup;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (inet_rejected(family, 0, 0))
		goto cleanup;
	ev = event_reserve(sizeof(*ev));
	if (!ev)
		goto cleanup;
	ev->family = family;
	__builtin_memset(ev->saddr, 0, sizeof(ev->saddr));
	__builtin_memset(ev->daddr, 0, sizeof(ev->daddr));
	inet_sock_addrs(sk, ev->family, ev->saddr, ev->daddr);
	__builtin_memcpy(ev->comm, s->comm, sizeof(ev->comm));
	ev->delta_us = delta_us;
	ev->ts_us = now / 1000;
	ev->tgid = s->tgid;
	ev->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	ev->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	ev->pad = 0;
	event_submit(ctx, ev, sizeof(*ev));
cleanup:
	bpf_map_delete_elem(&start, &skp);
	return 0;
}

/* tcp_rcv_state_process sees every segment; only a socket in SYN_SENT is awaiting its SYN-ACK. */
static __always_inline int segment(void *ctx, struct sock *sk)
{
	if (BPF_CORE_READ(sk, __sk_common.skc_state) != TCP_SYN_SENT)
		return 0;
	return connect_end(ctx, (__u64)sk);
}

SEC("fentry/tcp_v4_connect")
int BPF_PROG(connect_v4_fentry, struct sock *sk)
{
	return connect_start((__u64)sk);
}

SEC("fentry/tcp_v6_connect")
int BPF_PROG(connect_v6_fentry, struct sock *sk)
{
	return connect_start((__u64)sk);
}

SEC("fentry/tcp_rcv_state_process")
int BPF_PROG(rcv_state_fentry, struct sock *sk)
{
	return segment(ctx, sk);
}

SEC("kprobe/tcp_v4_connect")
int BPF_KPROBE(connect_v4_kprobe, struct sock *sk)
{
	return connect_start((__u64)sk);
}

SEC("kprobe/tcp_v6_connect")
int BPF_KPROBE(connect_v6_kprobe, struct sock *sk)
{
	return connect_start((__u64)sk);
}

SEC("kprobe/tcp_rcv_state_process")
int BPF_KPROBE(rcv_state_kprobe, struct sock *sk)
{
	return segment(ctx, sk);
}

SEC("tracepoint/sock/inet_sock_set_state")
int state_tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	__u64 sk = (__u64)ctx->skaddr;
	int oldstate = ctx->oldstate, newstate = ctx->newstate;

	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	if (oldstate == TCP_CLOSE && newstate == TCP_SYN_SENT)
		return connect_start(sk);
	if (oldstate != TCP_SYN_SENT)
		return 0;
	/*
	 * A RST answering the SYN also ends the wait (tcp_rcv_state_process sees it in SYN_SENT):
	 * tcp_reset sets ECONNREFUSED before closing. Timeouts and local failures are no answer.
	 */
	if (newstate == TCP_ESTABLISHED ||
	    (newstate == TCP_CLOSE && BPF_CORE_READ((const struct sock *)sk, sk_err) == ECONNREFUSED))
		return connect_end(ctx, sk);
	bpf_map_delete_elem(&start, &sk);
	return 0;
}

/* A socket that dies before its SYN-ACK leaves no connect behind. */
SEC("tracepoint/tcp/tcp_destroy_sock")
int destroy_tp(struct trace_event_raw_tcp_event_sk *ctx)
{
	__u64 sk = (__u64)ctx->skaddr;

	bpf_map_delete_elem(&start, &sk);
	return 0;
}
