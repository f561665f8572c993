/* runqlen: run-queue length sampled by a timer on every CPU. */
#include "bpfutils.bpf.h"
#include "sched.bpf.h"
#include "runqlen.h"

/* Count every task on the CPU's run queue, not only those of the current task's CFS queue. */
const volatile bool whole_rq = false;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct runqlen_hist);
} hists SEC(".maps");

SEC("perf_event")
int sample(struct bpf_perf_event_data *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct cfs_rq *cfs_rq = BPF_CORE_READ(task, se.cfs_rq);
	struct runqlen_hist *h;
	__u32 zero = 0;
	__u64 len;

	if (whole_rq)
		len = BPF_CORE_READ(cfs_rq, rq, nr_running);
	else
		len = cfs_rq_queued(cfs_rq);
	/* The queue includes the task running now. */
	if (len > 0)
		len--;
	if (len >= RUNQLEN_SLOTS)
		len = RUNQLEN_SLOTS - 1;
	h = bpf_map_lookup_elem(&hists, &zero);
	if (h)
		h->slots[len]++;
	return 0;
}
