#ifndef RUNQSLOWER_H
#define RUNQSLOWER_H

struct runqslower_event {
	char task[16];
	char prev_task[16];
	__u64 delta_us;
	__u32 pid;
	__u32 prev_pid;
};

#endif
