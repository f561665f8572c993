#ifndef TCPPKTLAT_H
#define TCPPKTLAT_H

/* A socket's received data read by a task: from the last data segment's arrival to the read. */
struct tcppktlat_event {
	__u8 saddr[16]; /* IPv4 in the first four bytes */
	__u8 daddr[16];
	__u64 delta_us;
	__u32 pid;
	__u32 tid;
	__u16 lport;
	__u16 rport;
	__u16 family;
	__u16 pad;
	char comm[16];
};

#endif
