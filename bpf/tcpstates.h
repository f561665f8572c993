#ifndef TCPSTATES_H
#define TCPSTATES_H

/* One TCP state change. */
struct tcpstates_event {
	__u64 skaddr;
	__u64 delta_us; /* time in the old state; 0 when its start was not seen */
	__u8 saddr[16]; /* IPv4 in the first four bytes */
	__u8 daddr[16];
	__u32 pid;
	__s32 oldstate;
	__s32 newstate;
	__u16 family;
	__u16 sport;
	__u16 dport;
	__u16 pad;
	char comm[16];
	__u32 pad2;
};

#endif
