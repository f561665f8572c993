#ifndef NUMAMOVE_H
#define NUMAMOVE_H

/* Running totals since the start; user space prints each second's change. */
struct numamove_totals {
	__u64 count;
	/* Sum of each migration's whole milliseconds, as libbpf-tools adds them up. */
	__u64 ms;
	__u64 ns;
};

#endif
