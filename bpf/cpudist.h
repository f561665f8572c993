#ifndef CPUDIST_H
#define CPUDIST_H

#define CPUDIST_SLOTS 36

struct cpudist_hist {
	__u32 slots[CPUDIST_SLOTS];
	char comm[16]; /* of the first task counted under the key */
};

/* Python cpudist's -e: the sum and number of all durations counted, in the histogram's unit. */
struct cpudist_total {
	__u64 total;
	__u64 count;
};

#endif
