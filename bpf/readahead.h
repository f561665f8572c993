#ifndef READAHEAD_H
#define READAHEAD_H

#define READAHEAD_MAX_SLOTS 20
/* Read-ahead pages waiting for their first access (libbpf-tools' MAX_ENTRIES). */
#define READAHEAD_MAX_PAGES 10240

struct readahead_hist {
	__s64 unused; /* read ahead, not accessed yet */
	__u64 total;  /* read ahead */
	__u32 slots[READAHEAD_MAX_SLOTS]; /* log2 of msecs from read-ahead to first access */
};

/* A page read ahead: by its struct page (fentry, kprobe), or by file and index (tracepoints). */
struct readahead_page {
	__u64 ino; /* or the struct page's address */
	__u64 index;
	__u32 dev;
	__u32 pad;
};

#endif
