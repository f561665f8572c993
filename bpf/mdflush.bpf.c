/* mdflush: flush requests sent to md (software RAID) devices, with the task that sent them. */
#include "bpfutils.bpf.h"
#include "events.bpf.h"
#include "block.bpf.h"
#include "mdflush.h"

/* The event type is named by no map: this puts it in the object's BTF for tools/layout_test.go. */
struct mdflush_event *const volatile mdflush_event_layout = 0;

#define MD_MAJOR 9

static __always_inline int report(void *ctx, struct gendisk *disk)
{
	struct mdflush_event *ev = event_reserve(sizeof(*ev));

	if (!ev)
		return 0;
	ev->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	__builtin_memset(ev->disk, 0, sizeof(ev->disk));
	if (disk)
		bpf_probe_read_kernel_str(ev->disk, sizeof(ev->disk), BPF_CORE_READ(disk, disk_name));
	event_submit(ctx, ev, sizeof(*ev));
	return 0;
}

SEC("fentry/md_flush_request")
int BPF_PROG(md_flush_fentry, void *mddev, struct bio *bio)
{
	return report(ctx, bio_disk(bio));
}

SEC("kprobe/md_flush_request")
int BPF_KPROBE(md_flush_kprobe, void *mddev, struct bio *bio)
{
	return report(ctx, bio_disk(bio));
}

/*
 * Without md_flush_request to hook: the bios queued to an md device (major 9, or a name md
 * gives its devices: mdN, md_NAME, md_dN) that ask for a preflush. md calls md_flush_request
 * for exactly those, in the task that submits them, which is where the tracepoint runs.
 */
static __always_inline bool md_disk(struct gendisk *disk)
{
	char name[2];

	if (!disk)
		return false;
	if (BPF_CORE_READ(disk, major) == MD_MAJOR)
		return true;
	bpf_probe_read_kernel(name, sizeof(name), BPF_CORE_READ(disk, disk_name));
	return name[0] == 'm' && name[1] == 'd';
}

static __always_inline int bio_queued(void *ctx, struct bio *bio)
{
	__u64 preflush = 1ULL << bpf_core_enum_value(enum req_flag_bits, __REQ_PREFLUSH);
	struct gendisk *disk;

	if (!(BPF_CORE_READ(bio, bi_opf) & preflush))
		return 0;
	disk = bio_disk(bio);
	if (!md_disk(disk))
		return 0;
	return report(ctx, disk);
}

/* block_bio_queue passed (q, bio) until the request_queue argument was dropped in 5.11. */
static __always_inline struct bio *bio_queue_bio(__u64 *args)
{
	if (LINUX_KERNEL_VERSION >= KERNEL_VERSION(5, 11, 0))
		return (struct bio *)args[0];
	return (struct bio *)args[1];
}

SEC("tp_btf/block_bio_queue")
int BPF_PROG(bio_queue_btf)
{
	return bio_queued(ctx, bio_queue_bio(ctx));
}

SEC("raw_tp/block_bio_queue")
int bio_queue_raw(struct bpf_raw_tracepoint_args *ctx)
{
	return bio_queued(ctx, bio_queue_bio(ctx->args));
}
