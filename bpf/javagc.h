#ifndef JAVAGC_H
#define JAVAGC_H

struct javagc_event {
	__u32 cpu;
	__u32 pid;
	__u64 duration_ns; /* from a GC's begin probe to its end probe */
};

#endif
