#ifndef SLABRATETOP_H
#define SLABRATETOP_H

#define SLABRATETOP_NAME_SIZE 32
#define SLABRATETOP_MAX_ENTRIES 10240

/* One cache's allocations in the interval, keyed by the cache's address. */
struct slabratetop_info {
	char name[SLABRATETOP_NAME_SIZE];
	__u64 count;
	__u64 size;
};

#endif
