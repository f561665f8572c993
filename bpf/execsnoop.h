#ifndef EXECSNOOP_H
#define EXECSNOOP_H

#define EXECSNOOP_ARGSIZE 128
#define EXECSNOOP_MAX_ARGS 60
#define EXECSNOOP_ARGS_BUF (EXECSNOOP_ARGSIZE * EXECSNOOP_MAX_ARGS)

struct execsnoop_event {
	__u32 pid;
	__u32 ppid;
	__u32 uid;
	__s32 retval;
	__s32 args_count; /* max_args + 1 when argv was cut */
	__u32 args_size;
	char comm[16];
	char args[EXECSNOOP_ARGS_BUF]; /* NUL-separated argv, filename first */
};

#endif
