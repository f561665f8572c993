#ifndef EXITSNOOP_H
#define EXITSNOOP_H

struct exitsnoop_event {
	__u64 start_ns; /* task start, CLOCK_MONOTONIC */
	__u64 exit_ns;
	__u32 pid;
	__u32 tid;
	__u32 ppid;
	__u32 sig;        /* low byte of the wait status: signal, 0x80 when core dumped */
	__s32 exit_code;  /* exit status, as exit() was given it */
	char comm[16];
};

#endif
