/* bashreadline: the line readline() returns to an interactive bash. */
#include "bpfutils.bpf.h"
#include "events.bpf.h"
#include "bashreadline.h"

/* Records leave through the scratch slot as bytes: this keeps the struct in the object's BTF,
 * where tools/layout_test.go compares it with its Go twin. */
struct bashreadline_event *const volatile bashreadline_event_layout = 0;
_Static_assert(sizeof(struct bashreadline_event) <= MAX_EVENT_SIZE, "event outgrew the scratch slot");

SEC("uretprobe")
int BPF_URETPROBE(readline_return, const char *line)
{
	struct bashreadline_event *ev;
	char comm[TASK_COMM_LEN];
	long n;

	if (!line)
		return 0;
	/* libreadline serves gdb, python and others too: only bash's own lines count. */
	bpf_get_current_comm(comm, sizeof(comm));
	if (comm[0] != 'b' || comm[1] != 'a' || comm[2] != 's' || comm[3] != 'h' || comm[4] != 0)
		return 0;
	ev = event_scratch_get();
	if (!ev)
		return 0;
	ev->pid = bpf_get_current_pid_tgid() >> 32;
	n = bpf_probe_read_user_str(ev->line, sizeof(ev->line), line);
	if (n <= 0)
		return 0;
	event_output(ctx, ev, __builtin_offsetof(struct bashreadline_event, line) + n);
	return 0;
}
