/*
 * fsslower: a filesystem's reads, writes, opens and fsyncs slower than a threshold
 * (the hooks are in fsops.bpf.h).
 */
#include "bpfutils.bpf.h"
#include "events.bpf.h"
#include "fsops.bpf.h"
#include "fsslower.h"

const volatile __u64 min_lat_ns = 0;

/* The events are reserved by size, so no map names their type: this puts it in the BTF. */
struct fsslower_event *const volatile fsslower_event_layout = 0;

static __always_inline void fs_op_done(void *ctx, const struct fs_start *s, __u32 op, __s64 ret,
				       __u64 now)
{
	__u64 delta_ns = now - s->ts;
	struct fsslower_event *ev;
	struct file *file = s->file;
	struct dentry *dentry;

	if (delta_ns <= min_lat_ns)
		return;
	ev = event_reserve(sizeof(*ev));
	if (!ev)
		return;
	ev->delta_us = delta_ns / 1000;
	ev->end_ns = now;
	ev->offset = s->pos;
	if (op == FS_FSYNC)
		ev->size = s->end - s->pos;
	else if (op == FS_OPEN)
		ev->size = 0;
	else
		ev->size = ret;
	ev->pid = bpf_get_current_pid_tgid() >> 32;
	ev->op = op;
	dentry = BPF_CORE_READ(file, f_path.dentry);
	if (bpf_probe_read_kernel_str(ev->file, sizeof(ev->file), BPF_CORE_READ(dentry, d_name.name)) < 0)
		ev->file[0] = 0;
	bpf_get_current_comm(ev->task, sizeof(ev->task));
	event_submit(ctx, ev, sizeof(*ev));
}
