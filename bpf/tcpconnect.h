#ifndef TCPCONNECT_H
#define TCPCONNECT_H

/* One active connect. */
struct tcpconnect_event {
	__u8 saddr[16]; /* IPv4 in the first four bytes */
	__u8 daddr[16];
	char comm[16];
	__u64 ts_us;
	__u32 family;
	__u32 pid;
	__u32 uid;
	__u16 sport; /* 0 unless -s */
	__u16 dport;
};

/* -c counts connects per flow. */
struct tcpconnect_flow {
	__u8 saddr[16];
	__u8 daddr[16];
	__u32 family;
	__u16 sport; /* 0 unless -s */
	__u16 dport;
};

/* The connecting task, kept from SYN_SENT until the source port is known (tracepoint path, -s). */
struct tcpconnect_task {
	__u64 ts_us;
	__u32 pid;
	__u32 uid;
	char comm[16];
};

#endif
