#ifndef MDFLUSH_H
#define MDFLUSH_H

#define MDFLUSH_DISK_NAME_LEN 32

/* One flush request sent to an md device. */
struct mdflush_event {
	__u32 pid;
	char comm[16];
	char disk[MDFLUSH_DISK_NAME_LEN];
};

#endif
