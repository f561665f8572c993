/*
 * solisten: each listen() on an IPv4 or IPv6 socket, read from the socket once listen returned
 * (so a socket bound by listen itself shows its port). fexit on inet_listen sees everything at
 * once; kprobes see the socket at entry and the result at return; without either, the listen
 * system call's tracepoints stand in, the socket found through the task's file table.
 */
#include "bpfutils.bpf.h"
#include "events.bpf.h"
#include "inet.bpf.h"
#include "solisten.h"

#define IPPROTO_TCP 6

const volatile pid_t target_pid = 0;
/* Set when the system-call tracepoints stand in: they see listen() on any socket. */
bool from_syscall SEC(".data") = false;

struct solisten_event *const volatile solisten_event_layout = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct solisten_call);
} listening SEC(".maps");

static __always_inline void report(void *ctx, const struct socket *socket, int backlog, int ret)
{
	struct solisten_event *ev;
	const struct sock *sk;
	__u16 family;

	sk = socket_inet_sk(socket);
	if (!sk)
		return;
	/* inet_listen serves TCP sockets only: listen() on any other fails before reaching it. */
	if (from_syscall && BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) != IPPROTO_TCP)
		return;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	ev = event_reserve(sizeof(*ev));
	if (!ev)
		return;
	__builtin_memset(ev->addr, 0, sizeof(ev->addr));
	if (family == AF_INET)
		BPF_CORE_READ_INTO((__u32 *)ev->addr, sk, __sk_common.skc_rcv_saddr);
	else
		BPF_CORE_READ_INTO((struct in6_addr *)ev->addr, sk, __sk_common.skc_v6_rcv_saddr);
	ev->pid = bpf_get_current_pid_tgid() >> 32;
	ev->proto = (__u32)family << 16 | (__u16)BPF_CORE_READ(socket, type);
	ev->backlog = backlog;
	ev->ret = ret;
	ev->port = bpf_ntohs(BPF_CORE_READ((const struct inet_sock *)sk, inet_sport));
	ev->pad = 0;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	event_submit(ctx, ev, sizeof(*ev));
}

static __always_inline bool pid_rejected(void)
{
	return target_pid && target_pid != bpf_get_current_pid_tgid() >> 32;
}

SEC("fexit/inet_listen")
int BPF_PROG(listen_fexit, struct socket *socket, int backlog, int ret)
{
	if (!pid_rejected())
		report(ctx, socket, backlog, ret);
	return 0;
}

static __always_inline int listen_entry(__u64 socket, int backlog)
{
	__u32 tid = bpf_get_current_pid_tgid();
	struct solisten_call call = {.socket = socket, .backlog = backlog};

	if (!socket || pid_rejected())
		return 0;
	bpf_map_update_elem(&listening, &tid, &call, BPF_ANY);
	return 0;
}

static __always_inline int listen_return(void *ctx, int ret)
{
	__u32 tid = bpf_get_current_pid_tgid();
	struct solisten_call *call = bpf_map_lookup_elem(&listening, &tid);

	if (!call)
		return 0;
	report(ctx, (const struct socket *)call->socket, call->backlog, ret);
	bpf_map_delete_elem(&listening, &tid);
	return 0;
}

SEC("kprobe/inet_listen")
int BPF_KPROBE(listen_kprobe, struct socket *socket, int backlog)
{
	return listen_entry((__u64)socket, backlog);
}

SEC("kretprobe/inet_listen")
int BPF_KRETPROBE(listen_kretprobe, int ret)
{
	return listen_return(ctx, ret);
}

SEC("tracepoint/syscalls/sys_enter_listen")
int listen_enter_tp(struct trace_event_raw_sys_enter *ctx)
{
	__u64 socket = fd_socket((int)ctx->args[0]);
	int backlog = (int)ctx->args[1];
	const struct sock *sk;
	int somaxconn;

	/* listen() caps the backlog at net.core.somaxconn before inet_listen sees it. */
	sk = socket ? socket_inet_sk((const struct socket *)socket) : 0;
	if (sk) {
		somaxconn = BPF_CORE_READ(sk, __sk_common.skc_net.net, core.sysctl_somaxconn);
		if ((unsigned int)backlog > (unsigned int)somaxconn)
			backlog = somaxconn;
	}
	return listen_entry(socket, backlog);
}

SEC("tracepoint/syscalls/sys_exit_listen")
int listen_exit_tp(struct trace_event_raw_sys_exit *ctx)
{
	return listen_return(ctx, ctx->ret);
}
