/*
 * tcpconnect: each successful connect() of a TCP socket, or counts per flow (-c).
 * fexit on tcp_v4/v6_connect sees the socket and the result at once; kprobes see the socket
 * at entry and the result at return. Without either, the socket's change from CLOSE to
 * SYN_SENT (sock:inet_sock_set_state, inside tcp_v4/v6_connect, in the caller's context)
 * stands in; the source port is chosen only after it, so with -s that path reports the connect
 * at the socket's next change (ESTABLISHED, or CLOSE when refused).
 */
#include "bpfutils.bpf.h"
#include "events.bpf.h"
#include "inet.bpf.h"
#include "tcpconnect.h"

#define IPPROTO_TCP 6

const volatile pid_t filter_pid = 0;
const volatile uid_t filter_uid = (uid_t)-1;
const volatile bool do_count = false;
const volatile bool source_port = false;

struct tcpconnect_event *const volatile tcpconnect_event_layout = 0;

/* Sockets between tcp_v4/v6_connect's entry and return, by thread (kprobe path). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u64);
} connecting SEC(".maps");

/* Sockets in SYN_SENT whose source port is awaited (tracepoint path with -s). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct tcpconnect_task);
} awaiting SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct tcpconnect_flow);
	__type(value, __u64);
} counts SEC(".maps");

static __always_inline bool task_rejected(__u32 pid, __u32 uid)
{
	return (filter_pid && pid != filter_pid) || (filter_uid != (uid_t)-1 && uid != filter_uid);
}

static __always_inline void current_task(struct tcpconnect_task *task)
{
	task->ts_us = bpf_ktime_get_ns() / 1000;
	task->pid = bpf_get_current_pid_tgid() >> 32;
	task->uid = bpf_get_current_uid_gid();
	bpf_get_current_comm(task->comm, sizeof(task->comm));
}

/* Counts or reports a connect of sk by task; ports in host order. */
static __always_inline void report(void *ctx, const struct sock *sk, __u16 family, __u16 sport, __u16 dport,
				   const struct tcpconnect_task *task)
{
	struct tcpconnect_event *ev;

	if (inet_rejected(family, 0, dport))
		return;
	if (!source_port)
		sport = 0;
	if (do_count) {
		struct tcpconnect_flow flow = {};
		static const __u64 zero;
		__u64 *n;

		flow.family = family;
		flow.sport = sport;
		flow.dport = dport;
		inet_sock_addrs(sk, family, flow.saddr, flow.daddr);
		n = lookup_or_init(&counts, &flow, &zero);
		if (n)
			__sync_fetch_and_add(n, 1);
		return;
	}
	ev = event_reserve(sizeof(*ev));
	if (!ev)
		return;
	__builtin_memset(ev->saddr, 0, sizeof(ev->saddr));
	__builtin_memset(ev->daddr, 0, sizeof(ev->daddr));
	inet_sock_addrs(sk, family, ev->saddr, ev->daddr);
	__builtin_memcpy(ev->comm, task->comm, sizeof(ev->comm));
	ev->ts_us = task->ts_us;
	ev->family = family;
	ev->pid = task->pid;
	ev->uid = task->uid;
	ev->sport = sport;
	ev->dport = dport;
	event_submit(ctx, ev, sizeof(*ev));
}

/* A connect call returned: ports from the socket, the task is current. */
static __always_inline void connected(void *ctx, const struct sock *sk, __u16 family)
{
	struct tcpconnect_task task;

	current_task(&task);
	if (task_rejected(task.pid, task.uid))
		return;
	report(ctx, sk, family, BPF_CORE_READ(sk, __sk_common.skc_num),
	       bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport)), &task);
}

SEC("fexit/tcp_v4_connect")
int BPF_PROG(connect_v4_fexit, struct sock *sk, struct sockaddr *uaddr, int addr_len, int ret)
{
	if (ret == 0)
		connected(ctx, sk, AF_INET);
	return 0;
}

SEC("fexit/tcp_v6_connect")
int BPF_PROG(connect_v6_fexit, struct sock *sk, struct sockaddr *uaddr, int addr_len, int ret)
{
	if (ret == 0)
		connected(ctx, sk, AF_INET6);
	return 0;
}

static __always_inline int connect_entry(struct sock *sk)
{
	__u32 tid = bpf_get_current_pid_tgid();
	__u64 skp = (__u64)sk;

	bpf_map_update_elem(&connecting, &tid, &skp, BPF_ANY);
	return 0;
}

static __always_inline int connect_return(void *ctx, int ret, __u16 family)
{
	__u32 tid = bpf_get_current_pid_tgid();
	__u64 *skp = bpf_map_lookup_elem(&connecting, &tid);

	if (!skp)
		return 0;
	if (ret == 0)
		connected(ctx, (const struct sock *)*skp, family);
	bpf_map_delete_elem(&connecting, &tid);
	return 0;
}

SEC("kprobe/tcp_v4_connect")
int BPF_KPROBE(connect_v4_kprobe, struct sock *sk)
{
	return connect_entry(sk);
}

SEC("kretprobe/tcp_v4_connect")
int BPF_KRETPROBE(connect_v4_kretprobe, int ret)
{
	return connect_return(ctx, ret, AF_INET);
}

SEC("kprobe/tcp_v6_connect")
int BPF_KPROBE(connect_v6_kprobe, struct sock *sk)
{
	return connect_entry(sk);
}

SEC("kretprobe/tcp_v6_connect")
int BPF_KRETPROBE(connect_v6_kretprobe, int ret)
{
	return connect_return(ctx, ret, AF_INET6);
}

SEC("tracepoint/sock/inet_sock_set_state")
int connect_tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	const struct sock *sk = ctx->skaddr;
	__u64 key = (__u64)sk;
	struct tcpconnect_task task, *waiting;

	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	if (ctx->oldstate == TCP_CLOSE && ctx->newstate == TCP_SYN_SENT) {
		current_task(&task);
		if (task_rejected(task.pid, task.uid))
			return 0;
		if (source_port)
			bpf_map_update_elem(&awaiting, &key, &task, BPF_ANY);
		else
			report(ctx, sk, ctx->family, 0, ctx->dport, &task);
		return 0;
	}
	if (ctx->oldstate != TCP_SYN_SENT || !source_port)
		return 0;
	waiting = bpf_map_lookup_elem(&awaiting, &key);
	if (!waiting)
		return 0;
	report(ctx, sk, ctx->family, ctx->sport, ctx->dport, waiting);
	bpf_map_delete_elem(&awaiting, &key);
	return 0;
}
