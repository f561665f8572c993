#ifndef CAPABLE_H
#define CAPABLE_H

/* -u: report a capability once per process or once per cgroup. */
enum capable_unique {
	CAPABLE_UNIQUE_OFF = 0,
	CAPABLE_UNIQUE_PID = 1,
	CAPABLE_UNIQUE_CGROUP = 2,
};

/* Frames kept per stack (libbpf-tools' default --perf-max-stack-depth). */
#define CAPABLE_MAX_FRAMES 127

struct capable_event {
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__s32 cap;
	__s32 audit;   /* 1 when the check is audited, 0 when not, -1 unknown (tracepoint) */
	__s32 insetid; /* 1 when made inside a set*id() call, 0 when not, -1 unknown */
	__s32 ret;     /* 0: allowed; else -EPERM */
	/* -K/-U: bytes of kstack[]/ustack[] in use, or bpf_get_stack()'s error; 0 when not taken */
	__s32 kstack_size;
	__s32 ustack_size;
	char comm[16];
	/* Only with -K or -U are the stacks sent. They travel with the event rather than through a
	 * stack map: a map shared by every check of the system fills, its hash buckets collide, and
	 * an id read after another event reused its bucket names the wrong stack. */
	__u64 kstack[CAPABLE_MAX_FRAMES];
	__u64 ustack[CAPABLE_MAX_FRAMES];
};

#endif
