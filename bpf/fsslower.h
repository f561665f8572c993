#ifndef BPFUTILS_FSSLOWER_H
#define BPFUTILS_FSSLOWER_H

/* libbpf-tools' file name room: longer names are cut to 31 bytes. */
#define FSSLOWER_FILE_LEN 32

/* One operation slower than the threshold; op is an enum fs_op (fsops.bpf.h). */
struct fsslower_event {
	__u64 delta_us;
	__u64 end_ns;
	__s64 offset;
	__s64 size;
	__u32 pid;
	__u32 op;
	char file[FSSLOWER_FILE_LEN];
	char task[16];
};

#endif
