/*
 * tcptop: bytes each process sent and received per TCP flow, summed in a map user space
 * drains every interval.
 *
 * Bytes are what tcp_sendmsg and tcp_recvmsg returned, not libbpf-tools' tcp_sendmsg size
 * argument (what was asked, not what was sent) and tcp_cleanup_rbuf copied argument:
 * tcp_recvmsg calls that several times per call with the running total (bcc issue 5352), and
 * Debian's 6.1 and 6.12 kernels have no tcp_cleanup_rbuf left to trace. fexit sees the socket
 * and the result at once; kprobes see the socket at entry and the result at return. Without
 * either, sock:sock_send_length and sock:sock_recv_length (Linux 6.3), which sock_sendmsg and
 * sock_recvmsg fire with the result, stand in.
 */
#include "bpfutils.bpf.h"
#include "cgroup.bpf.h"
#include "inet.bpf.h"
#include "tcptop.h"

#define IPPROTO_TCP 6
#define MSG_PEEK 2

const volatile pid_t target_pid = 0;

struct tcptop_key *const volatile tcptop_key_layout = 0;
struct tcptop_traffic *const volatile tcptop_traffic_layout = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TCPTOP_MAX_ENTRIES);
	__type(key, struct tcptop_key);
	__type(value, struct tcptop_traffic);
} traffic SEC(".maps");

/* Transfers that found the traffic map full, per CPU; user space reports them. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} uncounted SEC(".maps");

/* A tcp_sendmsg or tcp_recvmsg call between its kprobe and its kretprobe, by thread. */
struct tcptop_call {
	__u64 sk;
	__s32 flags;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct tcptop_call);
} sending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct tcptop_call);
} receiving SEC(".maps");

/* sock:sock_send_length and sock_recv_length's record, by its format file (no CO-RE: the type is absent before 6.3). */
struct tcptop_msg_length {
	__u64 common;
	const struct sock *sk;
	__u16 family;
	__u16 protocol;
	int ret;
	int flags;
};

static const struct tcptop_traffic no_traffic;

/* Adds bytes sent or received on sk to the current process's flow. */
static __always_inline void count(const struct sock *sk, __u16 family, bool received, int bytes)
{
	struct tcptop_key key = {};
	struct tcptop_traffic *t;
	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	if (bytes <= 0 || (target_pid && pid != target_pid) || cgroup_rejected())
		return;
	if (family != AF_INET && family != AF_INET6)
		return;
	if (target_family && family != target_family)
		return;
	key.pid = pid;
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	key.lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	key.dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	key.family = family;
	inet_sock_addrs(sk, family, key.saddr, key.daddr);
	t = lookup_or_init(&traffic, &key, &no_traffic);
	if (!t) {
		__u32 zero = 0;
		__u64 *n = bpf_map_lookup_elem(&uncounted, &zero);

		if (n)
			*n += 1;
		return;
	}
	if (received)
		__sync_fetch_and_add(&t->received, bytes);
	else
		__sync_fetch_and_add(&t->sent, bytes);
}

static __always_inline __u16 sk_family(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_family);
}

SEC("fexit/tcp_sendmsg")
int BPF_PROG(send_fexit, struct sock *sk, struct msghdr *msg, size_t size, int ret)
{
	count(sk, sk_family(sk), false, ret);
	return 0;
}

SEC("fexit/tcp_recvmsg")
int BPF_PROG(recv_fexit, struct sock *sk, struct msghdr *msg, size_t len, int flags, int *addr_len, int ret)
{
	if (!(flags & MSG_PEEK))
		count(sk, sk_family(sk), true, ret);
	return 0;
}

static __always_inline int call_entry(void *calls, struct sock *sk, int flags)
{
	__u32 tid = bpf_get_current_pid_tgid();
	struct tcptop_call call = {.sk = (__u64)sk, .flags = flags};

	bpf_map_update_elem(calls, &tid, &call, BPF_ANY);
	return 0;
}

static __always_inline int call_return(void *calls, bool received, int ret)
{
	__u32 tid = bpf_get_current_pid_tgid();
	struct tcptop_call *call = bpf_map_lookup_elem(calls, &tid);
	const struct sock *sk;

	if (!call)
		return 0;
	sk = (const struct sock *)call->sk;
	if (!(call->flags & MSG_PEEK))
		count(sk, sk_family(sk), received, ret);
	bpf_map_delete_elem(calls, &tid);
	return 0;
}

SEC("kprobe/tcp_sendmsg")
int BPF_KPROBE(send_kprobe, struct sock *sk)
{
	return call_entry(&sending, sk, 0);
}

SEC("kretprobe/tcp_sendmsg")
int BPF_KRETPROBE(send_kretprobe, int ret)
{
	return call_return(&sending, false, ret);
}

SEC("kprobe/tcp_recvmsg")
int BPF_KPROBE(recv_kprobe, struct sock *sk, struct msghdr *msg, size_t len, int flags)
{
	return call_entry(&receiving, sk, flags);
}

SEC("kretprobe/tcp_recvmsg")
int BPF_KRETPROBE(recv_kretprobe, int ret)
{
	return call_return(&receiving, true, ret);
}

SEC("tracepoint/sock/sock_send_length")
int send_tp(struct tcptop_msg_length *ctx)
{
	if (ctx->protocol == IPPROTO_TCP)
		count(ctx->sk, ctx->family, false, ctx->ret);
	return 0;
}

SEC("tracepoint/sock/sock_recv_length")
int recv_tp(struct tcptop_msg_length *ctx)
{
	if (ctx->protocol == IPPROTO_TCP && !(ctx->flags & MSG_PEEK))
		count(ctx->sk, ctx->family, true, ctx->ret);
	return 0;
}
