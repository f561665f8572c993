#ifndef TCPSYNBL_H
#define TCPSYNBL_H

#define TCPSYNBL_SLOTS 32

/* Accept-queue lengths seen at handshakes, keyed by the listener's backlog limit. */
struct tcpsynbl_hist {
	__u32 slots[TCPSYNBL_SLOTS];
};

#endif
