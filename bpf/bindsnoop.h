#ifndef BINDSNOOP_H
#define BINDSNOOP_H

/* opts bits, printed as FTNRr */
enum bindsnoop_opt {
	BINDSNOOP_FREEBIND = 1,
	BINDSNOOP_TRANSPARENT = 2,
	BINDSNOOP_BIND_ADDRESS_NO_PORT = 4,
	BINDSNOOP_REUSEADDR = 8,
	BINDSNOOP_REUSEPORT = 16,
};

/* One bind() of an IPv4 or IPv6 socket. */
struct bindsnoop_event {
	__u8 addr[16]; /* IPv4 in the first four bytes */
	__u64 ts_us;
	__u32 pid;
	__u32 bound_dev_if;
	__s32 ret;
	__u16 port;
	__u16 proto;
	__u8 opts;
	__u8 ver; /* 4 or 6 */
	char comm[16];
	__u8 pad[2];
};

#endif
