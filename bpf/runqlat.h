#ifndef RUNQLAT_H
#define RUNQLAT_H

#define RUNQLAT_SLOTS 26

struct runqlat_hist {
	__u32 slots[RUNQLAT_SLOTS];
	char comm[16]; /* of the first task counted under the key */
};

#endif
