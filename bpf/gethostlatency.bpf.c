/* gethostlatency: how long libc's getaddrinfo(), gethostbyname() and gethostbyname2() take. */
#include "bpfutils.bpf.h"
#include "events.bpf.h"
#include "gethostlatency.h"

/* -p: one process (the uprobes are scoped to it too); 0 for all. */
const volatile pid_t target_pid = 0;

/* The call in progress of each thread, from its entry to its return. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct gethostlatency_event);
} calls SEC(".maps");

SEC("uprobe")
int BPF_UPROBE(lookup_entry, const char *host)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct gethostlatency_event *call;
	static const struct gethostlatency_event empty;

	if (!host)
		return 0;
	if (target_pid && target_pid != id >> 32)
		return 0;
	/* A call that never returned (the thread was cancelled) leaves its slot: reuse it. */
	if (bpf_map_update_elem(&calls, &tid, &empty, BPF_ANY))
		return 0;
	call = bpf_map_lookup_elem(&calls, &tid);
	if (!call)
		return 0;
	call->pid = id >> 32;
	bpf_get_current_comm(call->comm, sizeof(call->comm));
	bpf_probe_read_user_str(call->host, sizeof(call->host), host);
	call->latency_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("uretprobe")
int BPF_URETPROBE(lookup_return)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct gethostlatency_event *call;

	call = bpf_map_lookup_elem(&calls, &tid);
	if (!call)
		return 0;
	call->latency_ns = bpf_ktime_get_ns() - call->latency_ns;
	event_output(ctx, call, sizeof(*call));
	bpf_map_delete_elem(&calls, &tid);
	return 0;
}
