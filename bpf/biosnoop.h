#ifndef BIOSNOOP_H
#define BIOSNOOP_H

/* pattern: how a request's start sector relates to where the previous one on its disk ended
 * (an enum, so that the object's BTF carries the values the Go side checks its copy against) */
enum biosnoop_pattern {
	BIOSNOOP_PATTERN_UNKNOWN = 0,
	BIOSNOOP_PATTERN_SEQ = 1,
	BIOSNOOP_PATTERN_RAND = 2,
};

/* One completed request. */
struct biosnoop_event {
	__u64 ts;     /* completion, bpf_ktime_get_ns() */
	__u64 delta;  /* issue -> completion, ns */
	__s64 qdelta; /* insert -> issue, ns; -1 when the insert was not seen */
	__u64 sector;
	__u32 len;
	__u32 pid;
	__u32 cmd_flags;
	__u32 dev;
	char comm[16];
	enum biosnoop_pattern pattern;
	__u32 pad;
};

/*
 * A request in flight, in the requests map under its address. Each time is bpf_ktime_get_ns(),
 * 0 when not seen; user space sweeps out the requests with no news for long
 * (pkg/blockdev.Inflight).
 */
struct biosnoop_rq {
	char comm[16]; /* the task that started the request */
	__u32 pid;
	__u32 dev;
	__u64 start; /* origin taken */
	__u64 insert;
	__u64 issue;
};

#endif
