/*
 * tcptracer: TCP connects (C, once established), accepts (A) and closes (X), each with the task
 * behind it.
 *
 * A connect is credited to the task that called tcp_v4/v6_connect (fexit, or kprobe and
 * kretprobe); its socket's change to ESTABLISHED (tcp_set_state) comes later, often in softirq,
 * and reports it. Accepts are inet_csk_accept's returns, closes tcp_close's calls. Without fentry
 * and kprobes, sock:inet_sock_set_state stands in for connects (CLOSE to SYN_SENT happens inside
 * the connect call, SYN_SENT to ESTABLISHED reports it) and for closes (the closing task moves an
 * established socket to FIN_WAIT1, or a CLOSE_WAIT one to LAST_ACK), and accept(2)'s and
 * accept4(2)'s returns, resolved from the new descriptor to its socket, for accepts.
 */
#include "bpfutils.bpf.h"
#include "events.bpf.h"
#include "inet.bpf.h"
#include "tcptracer.h"

#define IPPROTO_TCP 6

const volatile pid_t filter_pid = 0;
const volatile uid_t filter_uid = (uid_t)-1;

/* Set before load for the roles the state tracepoint was chosen for. */
bool connect_by_state SEC(".data") = false;
bool established_by_state SEC(".data") = false;
bool close_by_state SEC(".data") = false;

struct tcptracer_event *const volatile tcptracer_event_layout = 0;
enum tcptracer_type *const volatile tcptracer_type_layout = 0;

/* Sockets between their connect call and the handshake's end, with the connecting task. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct tcptracer_task);
} connecting SEC(".maps");

/* Sockets between tcp_v4/v6_connect's entry and return, by thread (kprobe path). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u64);
} calls SEC(".maps");

static __always_inline bool task_rejected(__u32 pid, __u32 uid)
{
	return (filter_pid && pid != filter_pid) || (filter_uid != (uid_t)-1 && uid != filter_uid);
}

static __always_inline void current_task(struct tcptracer_task *task)
{
	task->pid = bpf_get_current_pid_tgid() >> 32;
	task->uid = bpf_get_current_uid_gid();
	bpf_get_current_comm(task->comm, sizeof(task->comm));
}

static __always_inline bool zero16(const __u8 a[16])
{
	const __u64 *w = (const __u64 *)a;

	return w[0] == 0 && w[1] == 0;
}

/*
 * Reports an event of sk by task, addresses from the socket; ports in host order. Like
 * libbpf-tools, sockets without both addresses and both ports are left out.
 */
static __always_inline void report(void *ctx, const struct sock *sk, __u16 family, __u16 sport, __u16 dport,
				   const struct tcptracer_task *task, __u8 type)
{
	struct tcptracer_event *ev;

	if (family != AF_INET && family != AF_INET6)
		return;
	if (!sport || !dport)
		return;
	ev = event_reserve(sizeof(*ev));
	if (!ev)
		return;
	__builtin_memset(ev->saddr, 0, sizeof(ev->saddr));
	__builtin_memset(ev->daddr, 0, sizeof(ev->daddr));
	inet_sock_addrs(sk, family, ev->saddr, ev->daddr);
	if (zero16(ev->saddr) || zero16(ev->daddr)) {
		event_discard(ev);
		return;
	}
	__builtin_memcpy(ev->comm, task->comm, sizeof(ev->comm));
	ev->ts_us = bpf_ktime_get_ns() / 1000;
	ev->family = family;
	ev->pid = task->pid;
	ev->uid = task->uid;
	ev->sport = sport;
	ev->dport = dport;
	ev->type = type;
	__builtin_memset(ev->pad, 0, sizeof(ev->pad));
	event_submit(ctx, ev, sizeof(*ev));
}

static __always_inline __u16 sk_sport(const struct sock *sk)
{
	return bpf_ntohs(BPF_CORE_READ((const struct inet_sock *)sk, inet_sport));
}

static __always_inline __u16 sk_dport(const struct sock *sk)
{
	return bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
}

/* A connect call succeeded (or is under way): remember who made it. */
static __always_inline void connecting_task(__u64 sk)
{
	struct tcptracer_task task;

	current_task(&task);
	if (task_rejected(task.pid, task.uid))
		return;
	bpf_map_update_elem(&connecting, &sk, &task, BPF_ANY);
}

/* sk changes state: report its connect once it is established; forget it if it failed. */
static __always_inline void connect_state(void *ctx, const struct sock *sk, int state)
{
	__u64 key = (__u64)sk;
	struct tcptracer_task *task;

	if (state != TCP_ESTABLISHED && state != TCP_CLOSE)
		return;
	task = bpf_map_lookup_elem(&connecting, &key);
	if (!task)
		return;
	if (state == TCP_ESTABLISHED)
		report(ctx, sk, BPF_CORE_READ(sk, __sk_common.skc_family), sk_sport(sk), sk_dport(sk), task,
		       TCPTRACER_CONNECT);
	bpf_map_delete_elem(&connecting, &key);
}

/* A task closes sk: report it unless it never got established. */
static __always_inline void closing(void *ctx, const struct sock *sk)
{
	struct tcptracer_task task;
	int state = BPF_CORE_READ(sk, __sk_common.skc_state);

	if (state == TCP_SYN_SENT || state == TCP_SYN_RECV || state == TCP_NEW_SYN_RECV)
		return;
	current_task(&task);
	if (task_rejected(task.pid, task.uid))
		return;
	report(ctx, sk, BPF_CORE_READ(sk, __sk_common.skc_family), sk_sport(sk), sk_dport(sk), &task,
	       TCPTRACER_CLOSE);
}

/* A task accepted sk. */
static __always_inline void accepted(void *ctx, const struct sock *sk)
{
	struct tcptracer_task task;

	if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return;
	current_task(&task);
	if (task_rejected(task.pid, task.uid))
		return;
	report(ctx, sk, BPF_CORE_READ(sk, __sk_common.skc_family), BPF_CORE_READ(sk, __sk_common.skc_num),
	       sk_dport(sk), &task, TCPTRACER_ACCEPT);
}

SEC("fexit/tcp_v4_connect")
int BPF_PROG(connect_v4_fexit, struct sock *sk, struct sockaddr *uaddr, int addr_len, int ret)
{
	if (ret == 0)
		connecting_task((__u64)sk);
	return 0;
}

SEC("fexit/tcp_v6_connect")
int BPF_PROG(connect_v6_fexit, struct sock *sk, struct sockaddr *uaddr, int addr_len, int ret)
{
	if (ret == 0)
		connecting_task((__u64)sk);
	return 0;
}

static __always_inline int connect_entry(struct sock *sk)
{
	__u32 tid = bpf_get_current_pid_tgid();
	__u64 skp = (__u64)sk;

	bpf_map_update_elem(&calls, &tid, &skp, BPF_ANY);
	return 0;
}

static __always_inline int connect_return(int ret)
{
	__u32 tid = bpf_get_current_pid_tgid();
	__u64 *skp = bpf_map_lookup_elem(&calls, &tid);

	if (!skp)
		return 0;
	if (ret == 0)
		connecting_task(*skp);
	bpf_map_delete_elem(&calls, &tid);
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
	return connect_return(ret);
}

SEC("kprobe/tcp_v6_connect")
int BPF_KPROBE(connect_v6_kprobe, struct sock *sk)
{
	return connect_entry(sk);
}

SEC("kretprobe/tcp_v6_connect")
int BPF_KRETPROBE(connect_v6_kretprobe, int ret)
{
	return connect_return(ret);
}

SEC("fentry/tcp_set_state")
int BPF_PROG(set_state_fentry, struct sock *sk, int state)
{
	connect_state(ctx, sk, state);
	return 0;
}

SEC("kprobe/tcp_set_state")
int BPF_KPROBE(set_state_kprobe, struct sock *sk, int state)
{
	connect_state(ctx, sk, state);
	return 0;
}

SEC("fentry/tcp_close")
int BPF_PROG(close_fentry, struct sock *sk)
{
	closing(ctx, sk);
	return 0;
}

SEC("kprobe/tcp_close")
int BPF_KPROBE(close_kprobe, struct sock *sk)
{
	closing(ctx, sk);
	return 0;
}

/* inet_csk_accept's arguments differ between kernels (6.10 packed them in a struct): the
 * return value is read without them. */
SEC("fexit/inet_csk_accept")
int accept_fexit(__u64 *ctx)
{
	__u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
	accepted(ctx, (const struct sock *)ret);
	return 0;
}

SEC("kretprobe/inet_csk_accept")
int BPF_KRETPROBE(accept_kretprobe, struct sock *sk)
{
	accepted(ctx, sk);
	return 0;
}

static __always_inline int accept_return(void *ctx, long fd)
{
	__u64 socket;

	if (fd < 0)
		return 0;
	socket = fd_socket((int)fd);
	if (socket)
		accepted(ctx, socket_inet_sk((const struct socket *)socket));
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int accept4_exit_tp(struct trace_event_raw_sys_exit *ctx)
{
	return accept_return(ctx, ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int accept_exit_tp(struct trace_event_raw_sys_exit *ctx)
{
	return accept_return(ctx, ctx->ret);
}

SEC("tracepoint/sock/inet_sock_set_state")
int state_tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	const struct sock *sk = ctx->skaddr;
	int oldstate = ctx->oldstate, newstate = ctx->newstate;

	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	if (connect_by_state && oldstate == TCP_CLOSE && newstate == TCP_SYN_SENT)
		connecting_task((__u64)sk);
	if (established_by_state && oldstate == TCP_SYN_SENT)
		connect_state(ctx, sk, newstate);
	if (close_by_state && ((oldstate == TCP_ESTABLISHED && newstate == TCP_FIN_WAIT1) ||
			       (oldstate == TCP_CLOSE_WAIT && newstate == TCP_LAST_ACK)))
		closing(ctx, sk);
	return 0;
}
