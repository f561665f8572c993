#ifndef DRSNOOP_H
#define DRSNOOP_H

/* Which reclaim stalled the task (enum drsnoop_kind). */
enum drsnoop_kind {
	DRSNOOP_DIRECT = 0, /* the page allocator's direct reclaim (what libbpf-tools traces) */
	DRSNOOP_MEMCG = 1,  /* reclaim at a memory cgroup's limit (--memcg) */
};

struct drsnoop_event {
	char task[16];
	__u64 delta_ns;
	__u64 nr_reclaimed;
	/* Free pages at the start, from vm_zone_stat (-e, when /proc/kallsyms names it). */
	__u64 nr_free_pages;
	__u32 pid;
	__u32 kind;
};

#endif
