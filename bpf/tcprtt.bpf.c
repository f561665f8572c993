/*
 * tcprtt: the smoothed RTT of a TCP socket each time an established socket receives a segment,
 * as log2 histograms, of all sockets or per local or remote address. fentry or a kprobe on
 * tcp_rcv_established, else the tcp:tcp_probe tracepoint, which that function fires first
 * thing with the same socket: both read srtt before the segment updates it.
 */
#include "bpfutils.bpf.h"
#include "inet.bpf.h"
#include "tcprtt.h"

const volatile bool by_laddr = false;
const volatile bool by_raddr = false;
const volatile bool extension = false;
const volatile bool in_ms = false;
/* -a / -A: the family of the address to match (0: no filter) and the address. */
const volatile __u16 laddr_family = 0;
const volatile __u16 raddr_family = 0;
const volatile __u64 laddr_match[2] = {};
const volatile __u64 raddr_match[2] = {};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct tcprtt_key);
	__type(value, struct tcprtt_hist);
} hists SEC(".maps");

/* Segments a full hists map had no histogram for, per CPU; user space reports them. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} uncounted SEC(".maps");

static const struct tcprtt_hist empty_hist = {};

/* Whether addr (as inet_sock_addrs fills it) is the -a/-A address of want_family. */
static __always_inline bool addr_differs(__u16 want_family, const volatile __u64 want[2], __u16 family, const __u8 addr[16])
{
	__u64 a[2];

	if (!want_family)
		return false;
	if (want_family != family)
		return true;
	__builtin_memcpy(a, addr, sizeof(a));
	if (family == AF_INET)
		return (__u32)a[0] != (__u32)want[0];
	return a[0] != want[0] || a[1] != want[1];
}

static __always_inline int segment(const struct sock *sk)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	struct tcprtt_key key = {};
	__u8 laddr[16] = {}, raddr[16] = {};
	struct tcprtt_hist *h;
	__u16 family;
	__u64 slot;
	__u32 srtt;

	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	if (inet_rejected(family, BPF_CORE_READ(sk, __sk_common.skc_num),
			  bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport))))
		return 0;
	inet_sock_addrs(sk, family, laddr, raddr);
	if (addr_differs(laddr_family, laddr_match, family, laddr) ||
	    addr_differs(raddr_family, raddr_match, family, raddr))
		return 0;
	if (by_laddr || by_raddr) {
		key.family = family;
		__builtin_memcpy(key.addr, by_laddr ? laddr : raddr, sizeof(key.addr));
	}
	h = lookup_or_init(&hists, &key, &empty_hist);
	if (!h) {
		__u32 zero = 0;
		__u64 *n = bpf_map_lookup_elem(&uncounted, &zero);

		if (n)
			*n += 1;
		return 0;
	}
	srtt = BPF_CORE_READ(tp, srtt_us) >> 3;
	if (in_ms)
		srtt /= 1000;
	slot = log2_u32(srtt);
	if (slot >= TCPRTT_SLOTS)
		slot = TCPRTT_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[slot], 1);
	if (extension) {
		__sync_fetch_and_add(&h->total, srtt);
		__sync_fetch_and_add(&h->count, 1);
	}
	return 0;
}

SEC("fentry/tcp_rcv_established")
int BPF_PROG(rcv_fentry, struct sock *sk)
{
	return segment(sk);
}

SEC("kprobe/tcp_rcv_established")
int BPF_KPROBE(rcv_kprobe, struct sock *sk)
{
	return segment(sk);
}

BTF_TRACEPOINT(rcv_probe, tcp_probe, struct sock *sk, struct sk_buff *skb)
{
	return segment(sk);
}
