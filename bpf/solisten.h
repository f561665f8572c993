#ifndef SOLISTEN_H
#define SOLISTEN_H

/* One listen() on an IPv4 or IPv6 socket. */
struct solisten_event {
	__u8 addr[16]; /* IPv4 in the first four bytes */
	__u32 pid;
	__u32 proto; /* family << 16 | socket type */
	__s32 backlog;
	__s32 ret;
	__u16 port;
	char comm[16];
	__u16 pad;
};

/* A listen() between entry and return (kprobe and system-call paths). */
struct solisten_call {
	__u64 socket;
	__s32 backlog;
	__u32 pad;
};

#endif
