/*
 * execsnoop: argv is collected at execve() or execveat() entry and reported, with the result,
 * at exit. Strings on pages the exec'ing process never touched (a forked child calling execl()
 * with literals: it has no page table entries for its .rodata yet) cannot be read at entry, a
 * tracepoint cannot fault; those arguments are read again from the new image, whose stack the
 * kernel has just written them to, or for an exec that failed, once more at exit.
 */
#include "bpfutils.bpf.h"
#include "events.bpf.h"
#include "cgroup.bpf.h"
#include "execsnoop.h"

const volatile bool ignore_failed = true;
const volatile uid_t target_uid = (uid_t)-1;
const volatile int max_args = 20;
/* -P: only children of this process (BCC's Python execsnoop --ppid); 0 for all. */
const volatile pid_t target_ppid = 0;

/* An exec in progress: the event, and what a second read of its arguments needs. */
struct exec_state {
	struct execsnoop_event ev;
	const char *filename;
	const char *const *argv;
	/* Bytes of the filename in ev.args, NUL included; 0 when it could not be read. */
	__u32 name_size;
	/* Arguments argv held (argv[0] included), counted only when a read failed; 0: more than
	 * EXECSNOOP_ARGC_COUNTED. A script's new image has its interpreter's arguments first. */
	__u32 argc;
	int dirfd;
	/* A string of filename or argv could not be read. */
	bool reread;
	bool at; /* execveat() */
};

/* How far argv is counted for a second read; an image with more arguments is read as an ELF's. */
#define EXECSNOOP_ARGC_COUNTED 1024

/* Not preallocated: 10240 slots of 7.7 KB took the kernel 11 ms to clear at every start. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, pid_t);
	__type(value, struct exec_state);
} execs SEC(".maps");

static const struct exec_state empty_state = {};

/*
 * Appends argv[0], argv[1]... to ev's arguments until max_args are in, then notes with one more
 * pointer whether argv went on. Pointers outside [lo, hi) end argv. Returns false when a string
 * could not be read.
 */
static __noinline bool append_argv(struct execsnoop_event *ev, const char *const *argv, __u64 lo, __u64 hi)
{
	const char *arg;
	int i, n;

	for (i = 1; i < EXECSNOOP_MAX_ARGS && i < max_args; i++) {
		if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i - 1]) || !arg)
			return true;
		if ((__u64)arg < lo || (__u64)arg >= hi)
			return true;
		if (ev->args_size > EXECSNOOP_ARGS_BUF - EXECSNOOP_ARGSIZE)
			return true;
		n = bpf_probe_read_user_str(&ev->args[ev->args_size], EXECSNOOP_ARGSIZE, arg);
		if (n < 0)
			return false;
		ev->args_count++;
		ev->args_size += n;
	}
	if (bpf_probe_read_user(&arg, sizeof(arg), &argv[max_args - 1]) == 0 && arg)
		ev->args_count++;
	return true;
}

/* "/dev/fd/N", the kernel's name for the file of fexecve() or execveat(fd, "", AT_EMPTY_PATH). */
static __always_inline __u32 fd_name(char *buf, int fd)
{
	char digits[10];
	int i, n = 0;

	buf[0] = '/'; buf[1] = 'd'; buf[2] = 'e'; buf[3] = 'v'; buf[4] = '/';
	buf[5] = 'f'; buf[6] = 'd'; buf[7] = '/';
	for (i = 0; i < 10; i++) {
		digits[i] = '0' + fd % 10;
		fd /= 10;
		n++;
		if (!fd)
			break;
	}
	for (i = 0; i < 10; i++) {
		if (i >= n)
			break;
		buf[8 + i] = digits[n - 1 - i];
	}
	buf[8 + n] = 0;
	return 8 + n + 1;
}

/* Reads the filename and argv from the caller's memory into st's event. */
static __noinline void read_request(struct exec_state *st)
{
	struct execsnoop_event *ev = &st->ev;
	const char *arg;
	int i, n;

	st->reread = false;
	ev->args_count = 0;
	ev->args_size = 0;
	n = bpf_probe_read_user_str(ev->args, EXECSNOOP_ARGSIZE, st->filename);
	if (n == 1 && st->at && st->dirfd >= 0)
		n = fd_name(ev->args, st->dirfd);
	if (n > 0) {
		st->name_size = n;
		ev->args_size = n;
		ev->args_count = 1;
		if (append_argv(ev, st->argv + 1, 0, (__u64)-1))
			return;
	}
	st->reread = true;
	for (i = 1; i < EXECSNOOP_ARGC_COUNTED; i++)
		if (bpf_probe_read_user(&arg, sizeof(arg), &st->argv[i]) || !arg)
			break;
	st->argc = i < EXECSNOOP_ARGC_COUNTED ? i : 0;
}

static __always_inline int exec_enter(const char *filename, const char *const *argv, int dirfd, bool at)
{
	__u64 id = bpf_get_current_pid_tgid();
	pid_t tid = (pid_t)id;
	uid_t uid = (__u32)bpf_get_current_uid_gid();
	struct exec_state *st;
	struct task_struct *task;
	pid_t ppid;

	if (cgroup_rejected())
		return 0;
	if (target_uid != (uid_t)-1 && target_uid != uid)
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	ppid = BPF_CORE_READ(task, real_parent, tgid);
	if (target_ppid && target_ppid != ppid)
		return 0;
	if (bpf_map_update_elem(&execs, &tid, &empty_state, BPF_NOEXIST))
		return 0;
	st = bpf_map_lookup_elem(&execs, &tid);
	if (!st)
		return 0;

	st->ev.pid = id >> 32;
	st->ev.ppid = ppid;
	st->ev.uid = uid;
	st->filename = filename;
	st->argv = argv;
	st->dirfd = dirfd;
	st->at = at;
	read_request(st);
	return 0;
}

/* execveat(2)'s number on x86-64: the syscall tracepoints report native numbers only. */
#define EXECSNOOP_NR_EXECVEAT 322

/*
 * The entry of execve(2) and of execveat(2): one program attached to both tracepoints and one
 * call of exec_enter, because reading argv is most of what the verifier walks, and a second
 * program or call site took it as long again (~20 ms of every start).
 */
SEC("tracepoint/syscalls/sys_enter_execve")
int exec_enter_tp(struct trace_event_raw_sys_enter *ctx)
{
	/* args[0], [1] and [2] (at 16, 24 and 32) each loaded once: see ctx_load. */
	__u64 arg0 = ctx_load(ctx, 16), arg1 = ctx_load(ctx, 24), arg2 = ctx_load(ctx, 32);
	bool at = ctx->id == EXECSNOOP_NR_EXECVEAT;

	return exec_enter((const char *)(at ? arg1 : arg0), (const char *const *)(at ? arg2 : arg1),
			  at ? (int)arg0 : -1, at);
}

/*
 * The new image is in place: its stack holds argc, then argv's pointers into the strings the
 * kernel copied, all on pages it has just written. A thread other than the leader that
 * exec'd now has the leader's id: its exec is moved under that id, where exit looks.
 */
SEC("tracepoint/sched/sched_process_exec")
int exec_image(struct trace_event_raw_sched_process_exec *ctx)
{
	pid_t tid = (pid_t)bpf_get_current_pid_tgid();
	pid_t old_tid = ctx->old_pid;
	struct task_struct *task;
	struct execsnoop_event *ev;
	struct exec_state *st;
	__u64 stack, lo, hi, argc, skip = 1;
	unsigned int name;
	int n;

	st = bpf_map_lookup_elem(&execs, &old_tid);
	if (!st)
		return 0;
	if (old_tid != tid) {
		if (bpf_map_update_elem(&execs, &tid, st, BPF_ANY))
			return 0;
		bpf_map_delete_elem(&execs, &old_tid);
		st = bpf_map_lookup_elem(&execs, &tid);
		if (!st)
			return 0;
	}
	if (!st->reread)
		return 0;

	task = (struct task_struct *)bpf_get_current_task();
	stack = BPF_CORE_READ(task, mm, start_stack);
	lo = BPF_CORE_READ(task, mm, arg_start);
	hi = BPF_CORE_READ(task, mm, arg_end);
	if (bpf_probe_read_user(&argc, sizeof(argc), (void *)stack) || argc == 0)
		return 0;
	/* A script's interpreter, and its optional argument, come before the script's own. */
	if (st->argc && argc >= st->argc)
		skip = argc - st->argc + 1;

	ev = &st->ev;
	ev->args_count = 1;
	if (st->name_size) {
		ev->args_size = st->name_size;
	} else {
		/* The kernel's copy of the filename, as the caller passed it (execve()). */
		name = ctx->__data_loc_filename & 0xFFFF;
		n = bpf_probe_read_kernel_str(ev->args, EXECSNOOP_ARGSIZE, (void *)ctx + name);
		if (n <= 0)
			return 0;
		ev->args_size = n;
	}
	if (append_argv(ev, (const char *const *)(stack + 8 * (1 + skip)), lo, hi))
		st->reread = false;
	return 0;
}

static __always_inline int exec_exit(void *ctx, int ret)
{
	pid_t tid = (pid_t)bpf_get_current_pid_tgid();
	struct execsnoop_event *ev;
	struct exec_state *st;
	__u32 size;

	st = bpf_map_lookup_elem(&execs, &tid);
	if (!st)
		return 0;
	if (ignore_failed && ret < 0)
		goto cleanup;
	/* A failed exec stays in the old image, where the kernel may have faulted the pages in. */
	if (st->reread && ret < 0)
		read_request(st);
	ev = &st->ev;
	ev->retval = ret;
	bpf_get_current_comm(&ev->comm, sizeof(ev->comm));
	size = __builtin_offsetof(struct execsnoop_event, args) + ev->args_size;
	if (size <= sizeof(*ev))
		event_output(ctx, ev, size);
cleanup:
	bpf_map_delete_elem(&execs, &tid);
	return 0;
}

/* The return of execve(2) and of execveat(2), one program for both. */
SEC("tracepoint/syscalls/sys_exit_execve")
int exec_exit_tp(struct trace_event_raw_sys_exit *ctx)
{
	return exec_exit(ctx, ctx->ret);
}
