#ifndef SIGSNOOP_H
#define SIGSNOOP_H

#define SIGSNOOP_PENDING 10240

struct sigsnoop_event {
	__u32 pid;   /* sender's process */
	__s32 tpid;  /* target, as the sender named it (-k) or the task the signal went to */
	__s32 sig;
	__s32 ret;   /* the kill syscall's result (-k), or the signal's si_errno */
	char comm[16];
	char tcomm[16]; /* empty when the target's name is unknown */
};

#endif
