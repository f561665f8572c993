#ifndef BPFUTILS_FSDIST_H
#define BPFUTILS_FSDIST_H

#define FSDIST_SLOTS 32

/* The latencies of one operation (enum fs_op, fsops.bpf.h: the hists map's key). */
struct fsdist_hist {
	__u32 slots[FSDIST_SLOTS];
};

#endif
