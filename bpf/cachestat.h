#ifndef CACHESTAT_H
#define CACHESTAT_H

/* Running totals, per CPU; user space reports their growth over each interval. */
struct cachestat_counts {
	__s64 accesses; /* page-cache accesses, less buffer dirtyings */
	__s64 misses;   /* pages added to the cache, less pages dirtied */
	__u64 dirties;  /* buffers marked dirty */
};

#endif
