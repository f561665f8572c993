#ifndef BPFUTILS_BITESIZE_H
#define BPFUTILS_BITESIZE_H

#define BITESIZE_SLOTS 20

/* One histogram of request sizes in KB per issuing command name. */
struct bitesize_key {
	char comm[16];
};

struct bitesize_hist {
	__u32 slots[BITESIZE_SLOTS];
};

#endif
