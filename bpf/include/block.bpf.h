/* Block-layer CO-RE helpers shared by the block tools. */
#ifndef BPFUTILS_BLOCK_BPF_H
#define BPFUTILS_BLOCK_BPF_H

#include "bpfutils.bpf.h"

/* The kernel's internal dev_t: what /proc/partitions' major/minor encode to in user space. */
#define KERNEL_MKDEV(major, minor) (((__u32)(major) << 20) | (__u32)(minor))

/* Before 5.17 a request pointed at its disk directly. */
struct request___with_rq_disk {
	struct gendisk *rq_disk;
} __attribute__((preserve_access_index));

static __always_inline struct gendisk *request_disk(struct request *rq)
{
	if (bpf_core_field_exists(struct request___with_rq_disk, rq_disk))
		return BPF_CORE_READ((struct request___with_rq_disk *)rq, rq_disk);
	return BPF_CORE_READ(rq, q, disk);
}

static __always_inline __u32 disk_dev(struct gendisk *disk)
{
	if (!disk)
		return 0;
	return KERNEL_MKDEV(BPF_CORE_READ(disk, major), BPF_CORE_READ(disk, first_minor));
}

static __always_inline __u32 request_dev(struct request *rq)
{
	return disk_dev(request_disk(rq));
}

/* Before 5.12 bios named their disk directly. */
struct bio___with_bi_disk {
	struct gendisk *bi_disk;
} __attribute__((preserve_access_index));

static __always_inline struct gendisk *bio_disk(struct bio *bio)
{
	if (bpf_core_field_exists(struct bio___with_bi_disk, bi_disk))
		return BPF_CORE_READ((struct bio___with_bi_disk *)bio, bi_disk);
	return BPF_CORE_READ(bio, bi_bdev, bd_disk);
}

/*
 * block_rq_insert/issue (raw_tp and tp_btf) passed (q, rq) until the request_queue argument was
 * dropped in 5.11 (5.10.137 on the stable line); args is the context of either program type.
 */
extern int LINUX_KERNEL_VERSION __kconfig;

static __always_inline struct request *block_rq_tp_request(__u64 *args)
{
	if (LINUX_KERNEL_VERSION >= KERNEL_VERSION(5, 10, 137))
		return (struct request *)args[0];
	return (struct request *)args[1];
}

#endif
