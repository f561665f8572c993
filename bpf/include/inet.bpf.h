/* What the network tools share: families, addresses of a socket, and the port sets of -L/-D/-P. */
#ifndef BPFUTILS_INET_BPF_H
#define BPFUTILS_INET_BPF_H

#include "bpfutils.bpf.h"
#include <bpf/bpf_endian.h>

#define AF_INET 2
#define AF_INET6 10
#define INET_MAX_PORTS 1024

/* Ports user space fills (pkg/inet.FillPorts) when filter_lport / filter_rport are set. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, INET_MAX_PORTS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u16);
	__type(value, __u8);
} lports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, INET_MAX_PORTS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u16);
	__type(value, __u8);
} rports SEC(".maps");

const volatile bool filter_lport = false;
const volatile bool filter_rport = false;
/* AF_INET or AF_INET6 (-4, -6); 0 for both. */
const volatile __u16 target_family = 0;

/* Whether the options drop a socket of this family and these ports (host order). */
static __always_inline bool inet_rejected(__u16 family, __u16 lport, __u16 rport)
{
	if (target_family && target_family != family)
		return true;
	if (filter_lport && !bpf_map_lookup_elem(&lports, &lport))
		return true;
	if (filter_rport && !bpf_map_lookup_elem(&rports, &rport))
		return true;
	return false;
}

/* The socket's local and remote addresses: IPv4 in the first four bytes, else IPv6. */
static __always_inline void inet_sock_addrs(const struct sock *sk, __u16 family, __u8 laddr[16], __u8 raddr[16])
{
	if (family == AF_INET) {
		BPF_CORE_READ_INTO((__u32 *)laddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)raddr, sk, __sk_common.skc_daddr);
	} else {
		BPF_CORE_READ_INTO((struct in6_addr *)laddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO((struct in6_addr *)raddr, sk, __sk_common.skc_v6_daddr);
	}
}

/*
 * The struct socket behind the calling task's file descriptor fd, for the system-call
 * tracepoints that stand in for kprobes on socket functions; 0 when fd is out of range. The fd
 * may name something else than a socket: check that the socket's sk points back to it.
 */
static __always_inline __u64 fd_socket(int fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds, *file = 0;

	if (fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_core_read(&file, sizeof(file), &fds[fd]);
	if (!file)
		return 0;
	return (__u64)BPF_CORE_READ(file, private_data);
}

/* The sock of an IPv4 or IPv6 socket; 0 for anything else (another family, or no socket). */
static __always_inline const struct sock *socket_inet_sk(const struct socket *socket)
{
	const struct sock *sk = BPF_CORE_READ(socket, sk);
	__u16 family;

	if (!sk || BPF_CORE_READ(sk, sk_socket) != socket)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	return sk;
}

#endif
