#ifndef SYSCOUNT_H
#define SYSCOUNT_H

#define SYSCOUNT_KEYS 8192    /* syscalls, or processes with -P */
#define SYSCOUNT_THREADS 10240 /* threads inside a syscall, with -L */

struct syscount_value {
	__u64 count;
	__u64 total_ns; /* with -L */
	char comm[16];  /* with -P: the process's (its main thread's) name */
};

#endif
