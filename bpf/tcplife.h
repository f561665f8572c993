#ifndef TCPLIFE_H
#define TCPLIFE_H

/* The task a TCP session is credited to: the one that connected, or that closed it. */
struct tcplife_ident {
	__u32 pid;
	char comm[16];
};

/* One TCP session, at its close. */
struct tcplife_event {
	__u8 saddr[16]; /* IPv4 in the first four bytes */
	__u8 daddr[16];
	__u64 span_us; /* from its last change into ESTABLISHED (or SYN_SENT, SYN_RECV) to CLOSE */
	__u64 rx_b;    /* tcp_sock bytes_received */
	__u64 tx_b;    /* tcp_sock bytes_acked */
	__u64 ts_us;   /* the close, bpf_ktime_get_ns() / 1000 */
	__u32 pid;
	__u16 sport;
	__u16 dport;
	__u16 family;
	__u16 pad;
	char comm[16];
	__u32 pad2;
};

#endif
