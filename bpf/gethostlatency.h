#ifndef GETHOSTLATENCY_H
#define GETHOSTLATENCY_H

/* A DNS name is at most 253 characters; libbpf-tools keeps 80. */
#define GETHOSTLATENCY_HOST_LEN 256

struct gethostlatency_event {
	__u64 latency_ns; /* the call's start time until it returns */
	__u32 pid;
	char comm[16];
	char host[GETHOSTLATENCY_HOST_LEN];
};

#endif
