#ifndef TCPRTT_H
#define TCPRTT_H

#define TCPRTT_SLOTS 27

/* Which histogram a segment counts in: family 0 for the single one of all addresses. */
struct tcprtt_key {
	__u16 family;
	__u8 addr[16]; /* IPv4 in the first four bytes */
};

/* Smoothed RTTs seen on received segments; sum and count only with -e. */
struct tcprtt_hist {
	__u64 total;
	__u64 count;
	__u32 slots[TCPRTT_SLOTS];
	__u32 pad;
};

#endif
