#ifndef TCPCONNLAT_H
#define TCPCONNLAT_H

/* One connect's latency: from the connect call to the SYN-ACK. */
struct tcpconnlat_event {
	__u8 saddr[16]; /* IPv4 in the first four bytes */
	__u8 daddr[16];
	char comm[16];
	__u64 delta_us;
	__u64 ts_us;
	__u32 tgid;
	__u32 family;
	__u16 lport;
	__u16 dport;
	__u32 pad;
};

/* A connect in progress, by socket. */
struct tcpconnlat_start {
	char comm[16];
	__u64 ts;
	__u32 tgid;
	__u32 pad;
};

#endif
