#ifndef TCPTOP_H
#define TCPTOP_H

#define TCPTOP_MAX_ENTRIES 10240

/* One flow of one process: the traffic map's key. */
struct tcptop_key {
	__u8 saddr[16]; /* IPv4 in the first four bytes */
	__u8 daddr[16];
	__u32 pid;
	char comm[16];
	__u16 lport;
	__u16 dport;
	__u16 family;
	__u16 pad;
};

/* Bytes the flow's process sent and received in the interval. */
struct tcptop_traffic {
	__u64 sent;
	__u64 received;
};

#endif
