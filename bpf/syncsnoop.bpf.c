/* syncsnoop: calls that write cached data back to disk (sync() and its relatives). */
#include "bpfutils.bpf.h"
#include "events.bpf.h"
#include "syncsnoop.h"

/* The event type is named by no map: this puts it in the object's BTF for tools/layout_test.go. */
struct syncsnoop_event *const volatile syncsnoop_event_layout = 0;

static __always_inline int trace_call(void *ctx, enum syncsnoop_call call)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct syncsnoop_event *ev = event_reserve(sizeof(*ev));

	if (!ev)
		return 0;
	ev->ts_ns = bpf_ktime_get_ns();
	ev->pid = id >> 32;
	ev->tid = id;
	ev->call = call;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	event_submit(ctx, ev, sizeof(*ev));
	return 0;
}

#define SYNC_CALL(name, call)						\
SEC("tracepoint/syscalls/sys_enter_" #name)				\
int name##_enter(void *ctx)						\
{									\
	return trace_call(ctx, call);					\
}

SYNC_CALL(sync, SYNCSNOOP_SYNC)
SYNC_CALL(fsync, SYNCSNOOP_FSYNC)
SYNC_CALL(fdatasync, SYNCSNOOP_FDATASYNC)
SYNC_CALL(msync, SYNCSNOOP_MSYNC)
SYNC_CALL(sync_file_range, SYNCSNOOP_SYNC_FILE_RANGE)
SYNC_CALL(sync_file_range2, SYNCSNOOP_SYNC_FILE_RANGE2)
SYNC_CALL(arm_sync_file_range, SYNCSNOOP_ARM_SYNC_FILE_RANGE)
SYNC_CALL(syncfs, SYNCSNOOP_SYNCFS)
