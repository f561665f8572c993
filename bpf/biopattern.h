#ifndef BPFUTILS_BIOPATTERN_H
#define BPFUTILS_BIOPATTERN_H

/* Per disk: where the last completed request ended, and how the following ones compared. */
struct biopattern_counter {
	__u64 last_sector;
	__u64 bytes;
	__u32 sequential;
	__u32 random;
};

#endif
