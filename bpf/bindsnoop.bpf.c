/*
 * bindsnoop: each bind() of an IPv4 or IPv6 socket, read from the socket once bind returned.
 * kprobes on inet_bind/inet6_bind give the socket at entry; without them, the bind system
 * call's tracepoints stand in, the socket found through the calling task's file table.
 */
#include "bpfutils.bpf.h"
#include "events.bpf.h"
#include "cgroup.bpf.h"
#include "inet.bpf.h"
#include "bindsnoop.h"

const volatile pid_t target_pid = 0;
const volatile bool ignore_errors = true;

struct bindsnoop_event *const volatile bindsnoop_event_layout = 0;
enum bindsnoop_opt *const volatile bindsnoop_opt_layout = 0;

/* Sockets being bound, by thread. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} binding SEC(".maps");

/* inet_sock before 6.6 kept these options in bitfields, since in inet_flags. */
struct inet_sock___bits {
	__u8 freebind : 1;
	__u8 transparent : 1;
	__u8 bind_address_no_port : 1;
} __attribute__((preserve_access_index));

struct inet_sock___flags {
	unsigned long inet_flags;
} __attribute__((preserve_access_index));

/* Bits of inet_flags (an anonymous enum in the kernel, unchanged since 6.6). */
#define INET_FLAGS_FREEBIND_BIT 11
#define INET_FLAGS_TRANSPARENT_BIT 15
#define INET_FLAGS_BIND_ADDRESS_NO_PORT_BIT 18

static __always_inline __u8 inet_options(const struct sock *sk)
{
	__u8 opts = 0;

	if (bpf_core_field_exists(struct inet_sock___bits, freebind)) {
		const struct inet_sock___bits *inet = (const void *)sk;

		if (BPF_CORE_READ_BITFIELD_PROBED(inet, freebind))
			opts |= BINDSNOOP_FREEBIND;
		if (BPF_CORE_READ_BITFIELD_PROBED(inet, transparent))
			opts |= BINDSNOOP_TRANSPARENT;
		if (BPF_CORE_READ_BITFIELD_PROBED(inet, bind_address_no_port))
			opts |= BINDSNOOP_BIND_ADDRESS_NO_PORT;
	} else {
		unsigned long flags = BPF_CORE_READ((const struct inet_sock___flags *)sk, inet_flags);

		if (flags & (1UL << INET_FLAGS_FREEBIND_BIT))
			opts |= BINDSNOOP_FREEBIND;
		if (flags & (1UL << INET_FLAGS_TRANSPARENT_BIT))
			opts |= BINDSNOOP_TRANSPARENT;
		if (flags & (1UL << INET_FLAGS_BIND_ADDRESS_NO_PORT_BIT))
			opts |= BINDSNOOP_BIND_ADDRESS_NO_PORT;
	}
	if (BPF_CORE_READ_BITFIELD_PROBED(sk, __sk_common.skc_reuse))
		opts |= BINDSNOOP_REUSEADDR;
	if (BPF_CORE_READ_BITFIELD_PROBED(sk, __sk_common.skc_reuseport))
		opts |= BINDSNOOP_REUSEPORT;
	return opts;
}

static __always_inline int bind_entry(__u64 socket)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = id;

	if (target_pid && target_pid != id >> 32)
		return 0;
	if (cgroup_rejected())
		return 0;
	bpf_map_update_elem(&binding, &tid, &socket, BPF_ANY);
	return 0;
}

static __always_inline int bind_return(void *ctx, int ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = id;
	struct bindsnoop_event *ev;
	const struct socket *socket;
	const struct sock *sk;
	__u16 family, port;
	__u64 *sockp;

	sockp = bpf_map_lookup_elem(&binding, &tid);
	if (!sockp)
		return 0;
	socket = (const struct socket *)*sockp;
	bpf_map_delete_elem(&binding, &tid);
	if (ignore_errors && ret != 0)
		return 0;
	sk = socket_inet_sk(socket);
	if (!sk)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	port = bpf_ntohs(BPF_CORE_READ((const struct inet_sock *)sk, inet_sport));
	if (inet_rejected(family, port, 0))
		return 0;

	ev = event_reserve(sizeof(*ev));
	if (!ev)
		return 0;
	__builtin_memset(ev->addr, 0, sizeof(ev->addr));
	if (family == AF_INET)
		BPF_CORE_READ_INTO((__u32 *)ev->addr, (const struct inet_sock *)sk, inet_saddr);
	else
		BPF_CORE_READ_INTO((struct in6_addr *)ev->addr, sk, __sk_common.skc_v6_rcv_saddr);
	ev->ts_us = bpf_ktime_get_ns() / 1000;
	ev->pid = id >> 32;
	ev->bound_dev_if = BPF_CORE_READ(sk, __sk_common.skc_bound_dev_if);
	ev->ret = ret;
	ev->port = port;
	ev->proto = BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);
	ev->opts = inet_options(sk);
	ev->ver = family == AF_INET ? 4 : 6;
	ev->pad[0] = ev->pad[1] = 0;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	event_submit(ctx, ev, sizeof(*ev));
	return 0;
}

SEC("kprobe/inet_bind")
int BPF_KPROBE(bind_v4_kprobe, struct socket *socket)
{
	return bind_entry((__u64)socket);
}

SEC("kretprobe/inet_bind")
int BPF_KRETPROBE(bind_v4_kretprobe, int ret)
{
	return bind_return(ctx, ret);
}

SEC("kprobe/inet6_bind")
int BPF_KPROBE(bind_v6_kprobe, struct socket *socket)
{
	return bind_entry((__u64)socket);
}

SEC("kretprobe/inet6_bind")
int BPF_KRETPROBE(bind_v6_kretprobe, int ret)
{
	return bind_return(ctx, ret);
}

SEC("tracepoint/syscalls/sys_enter_bind")
int bind_enter_tp(struct trace_event_raw_sys_enter *ctx)
{
	__u64 socket = fd_socket((int)ctx->args[0]);

	if (!socket)
		return 0;
	return bind_entry(socket);
}

SEC("tracepoint/syscalls/sys_exit_bind")
int bind_exit_tp(struct trace_event_raw_sys_exit *ctx)
{
	return bind_return(ctx, ctx->ret);
}
