/* Block-layer CO-RE helpers shared by the block tools. */
#ifndef BPFUTILS_BLOCK_BPF_H
#define BPFUTILS_BLOCK_BPF_H

#include "bpfutils.bpf.h"

/* The kernel's internal dev_t: what /proc/partitions' major/minor encode to in user space. */
#define KERNEL_MKDEV(major, minor) (((__u32)(major) << 20) | (__u32)(minor))

/*
 * The block_rq_complete record: its struct was renamed to ..._block_rq_completion when
 * block_rq_error came to share its event class. Both spellings are declared; CO-RE keeps the
 * one the kernel has.
 */
struct trace_event_raw_block_rq_completion___bpfu {
	dev_t dev;
	sector_t sector;
	unsigned int nr_sector;
} __attribute__((preserve_access_index));

struct trace_event_raw_block_rq_complete___bpfu {
	dev_t dev;
	sector_t sector;
	unsigned int nr_sector;
} __attribute__((preserve_access_index));

struct rq_completion {
	__u32 dev;
	__u32 nr_sector;
	__u64 sector;
};

/*
 * Reads a classic block:block_rq_complete tracepoint record (through probe reads: the verifier
 * refuses the relocated offsets as direct context accesses).
 */
static __always_inline void rq_completion_read(void *ctx, struct rq_completion *c)
{
	if (bpf_core_type_exists(struct trace_event_raw_block_rq_completion___bpfu)) {
		struct trace_event_raw_block_rq_completion___bpfu *r = ctx;

		c->dev = BPF_CORE_READ(r, dev);
		c->sector = BPF_CORE_READ(r, sector);
		c->nr_sector = BPF_CORE_READ(r, nr_sector);
	} else {
		struct trace_event_raw_block_rq_complete___bpfu *r = ctx;

		c->dev = BPF_CORE_READ(r, dev);
		c->sector = BPF_CORE_READ(r, sector);
		c->nr_sector = BPF_CORE_READ(r, nr_sector);
	}
}

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

/*
 * The programs that see where a request comes from, each returning origin(ctx, rq), named
 * io_start_{btf,raw,fentry,kprobe}, io_alloc_{fexit,kretprobe} and rq_insert_{btf,raw}: the
 * block_io_start tracepoint (6.5+), blk_account_io_start, the return of __blk_mq_alloc_requests
 * (it runs in the submitting task too, where blk_account_io_start cannot be traced), and
 * block_rq_insert. A tool's spec picks the ones its kernel has.
 */
#define BLOCK_ORIGIN_PROGRAMS(origin)						\
BTF_TRACEPOINT(io_start, block_io_start, struct request *rq)			\
{										\
	return origin(ctx, rq);							\
}										\
SEC("fentry/blk_account_io_start")						\
int BPF_PROG(io_start_fentry, struct request *rq)				\
{										\
	return origin(ctx, rq);							\
}										\
SEC("kprobe/blk_account_io_start")						\
int BPF_KPROBE(io_start_kprobe, struct request *rq)				\
{										\
	return origin(ctx, rq);							\
}										\
SEC("fexit/__blk_mq_alloc_requests")						\
int BPF_PROG(io_alloc_fexit, void *data, struct request *rq)			\
{										\
	return rq ? origin(ctx, rq) : 0;					\
}										\
SEC("kretprobe/__blk_mq_alloc_requests")					\
int BPF_KRETPROBE(io_alloc_kretprobe, struct request *rq)			\
{										\
	return rq ? origin(ctx, rq) : 0;					\
}										\
SEC("tp_btf/block_rq_insert")							\
int BPF_PROG(rq_insert_btf)							\
{										\
	return origin(ctx, block_rq_tp_request(ctx));				\
}										\
SEC("raw_tp/block_rq_insert")							\
int rq_insert_raw(struct bpf_raw_tracepoint_args *ctx)				\
{										\
	return origin(ctx, block_rq_tp_request(ctx->args));			\
}

/*
 * The programs that see a request complete, each returning done(rq), named
 * io_done_{btf,raw,fentry,kprobe} and rq_complete_{btf,raw}: the block_io_done tracepoint
 * (6.5+), blk_account_io_done, and block_rq_complete.
 */
#define BLOCK_DONE_PROGRAMS(done)						\
BTF_TRACEPOINT(io_done, block_io_done, struct request *rq)			\
{										\
	return done(rq);							\
}										\
SEC("fentry/blk_account_io_done")						\
int BPF_PROG(io_done_fentry, struct request *rq)				\
{										\
	return done(rq);							\
}										\
SEC("kprobe/blk_account_io_done")						\
int BPF_KPROBE(io_done_kprobe, struct request *rq)				\
{										\
	return done(rq);							\
}										\
BTF_TRACEPOINT(rq_complete, block_rq_complete, struct request *rq)		\
{										\
	return done(rq);							\
}

#endif
