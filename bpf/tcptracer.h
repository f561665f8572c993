#ifndef TCPTRACER_H
#define TCPTRACER_H

/* What happened to the connection, as the T column prints it. */
enum tcptracer_type {
	TCPTRACER_CONNECT = 0, /* C */
	TCPTRACER_ACCEPT = 1,  /* A */
	TCPTRACER_CLOSE = 2,   /* X */
};

/* The task a connect is credited to, from the connect call until the handshake's end. */
struct tcptracer_task {
	__u32 pid;
	__u32 uid;
	char comm[16];
};

/* One connect, accept or close. */
struct tcptracer_event {
	__u8 saddr[16]; /* the local address; IPv4 in the first four bytes */
	__u8 daddr[16];
	char comm[16];
	__u64 ts_us;
	__u32 family;
	__u32 pid;
	__u32 uid;
	__u16 sport;
	__u16 dport;
	__u8 type;
	__u8 pad[7];
};

#endif
