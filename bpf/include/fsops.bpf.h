/*
 * Timing one filesystem's file operations (fsslower, fsdist): read, write, open, fsync and,
 * with FSOPS_GETATTR defined, getattr. Each operation is timed three ways, in the order
 * pkg/fsops prefers them:
 *
 *   - fentry/fexit on the filesystem's own function (ext4_file_read_iter ...), whose target
 *     user space sets before load;
 *   - kprobe/kretprobe on the same function;
 *   - the system calls that lead there (syscalls:sys_enter/exit_*), kept when the file is a
 *     regular file of a superblock with the magic fs_magic. This times the whole call, not the
 *     filesystem's part of it, and misses what reaches the filesystem otherwise (io_uring, AIO,
 *     splice, sendfile, exec, the fsync inside an O_SYNC write).
 *
 * The including object defines, before including this, the function that gets each finished
 * operation:
 *   static __always_inline void fs_op_done(void *ctx, const struct fs_start *s, __u32 op,
 *                                          __s64 ret, __u64 now);
 */
#ifndef BPFUTILS_FSOPS_BPF_H
#define BPFUTILS_FSOPS_BPF_H

#include "bpfutils.bpf.h"

enum fs_op {
	FS_READ = 0,
	FS_WRITE = 1,
	FS_OPEN = 2,
	FS_FSYNC = 3,
	FS_GETATTR = 4,
	FS_OPS = 5,
};

#define FS_S_IFMT  00170000
#define FS_S_IFREG 0100000
#define FS_LLONG_MAX 0x7fffffffffffffffLL
#define FS_AT_EMPTY_PATH 0x1000

/* An operation under way: when it began, where in the file, and on which file. */
struct fs_start {
	__u64 ts;
	__s64 pos;
	__s64 end;   /* fsync: end of the range synced */
	struct file *file;
	__u32 by_syscall; /* begun at a syscall tracepoint: only a syscall exit ends it */
	__u32 pad;
};

/* Puts enum fs_op in the object's BTF, where the tools tests hold pkg/fsops' values to it. */
enum fs_op *const volatile fs_op_layout = 0;

const volatile __u32 targ_tgid = 0;
/* The tracepoint path keeps files of this filesystem (struct super_block's s_magic). */
const volatile __u64 fs_magic = 0;

/* Keyed by thread and operation: an O_SYNC write's fsync runs inside the write. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct fs_start);
} fs_starts SEC(".maps");

static __always_inline void fs_op_done(void *ctx, const struct fs_start *s, __u32 op, __s64 ret,
				       __u64 now);

static __always_inline __u64 fs_key(__u32 tid, __u32 op)
{
	return (__u64)tid << 32 | op;
}

static __always_inline bool fs_traced(__u64 id)
{
	return !targ_tgid || targ_tgid == id >> 32;
}

static __always_inline int fs_enter(__u32 op, struct file *file, __s64 pos, __s64 end, bool by_syscall)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct fs_start s = {};
	__u64 key;

	if (!fs_traced(id))
		return 0;
	s.ts = bpf_ktime_get_ns();
	s.pos = pos;
	s.end = end;
	s.file = file;
	s.by_syscall = by_syscall;
	key = fs_key(id, op);
	bpf_map_update_elem(&fs_starts, &key, &s, BPF_ANY);
	return 0;
}

static __always_inline int fs_exit(void *ctx, __u32 op, __s64 ret, bool by_syscall)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 key = fs_key(id, op);
	struct fs_start *sp, s;

	sp = bpf_map_lookup_elem(&fs_starts, &key);
	if (!sp)
		return 0;
	s = *sp;
	bpf_map_delete_elem(&fs_starts, &key);
	if (s.by_syscall != by_syscall)
		return 0;
	fs_op_done(ctx, &s, op, ret, bpf_ktime_get_ns());
	return 0;
}

/* The file the current task has open as fd, when it is a regular file of the traced
 * filesystem; 0 otherwise. */
static __always_inline struct file *fs_fd_file(long fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = 0;
	struct inode *inode;

	if (fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return 0;
	inode = BPF_CORE_READ(file, f_inode);
	if ((BPF_CORE_READ(inode, i_mode) & FS_S_IFMT) != FS_S_IFREG)
		return 0;
	if (BPF_CORE_READ(inode, i_sb, s_magic) != fs_magic)
		return 0;
	return file;
}

/* The filesystem's functions: fentry/fexit. */

SEC("fentry")
int BPF_PROG(fs_read_fentry, struct kiocb *iocb)
{
	return fs_enter(FS_READ, iocb->ki_filp, iocb->ki_pos, 0, false);
}

SEC("fexit")
int BPF_PROG(fs_read_fexit, struct kiocb *iocb, struct iov_iter *to, ssize_t ret)
{
	return fs_exit(ctx, FS_READ, ret, false);
}

SEC("fentry")
int BPF_PROG(fs_write_fentry, struct kiocb *iocb)
{
	return fs_enter(FS_WRITE, iocb->ki_filp, iocb->ki_pos, 0, false);
}

SEC("fexit")
int BPF_PROG(fs_write_fexit, struct kiocb *iocb, struct iov_iter *from, ssize_t ret)
{
	return fs_exit(ctx, FS_WRITE, ret, false);
}

SEC("fentry")
int BPF_PROG(fs_open_fentry, struct inode *inode, struct file *file)
{
	return fs_enter(FS_OPEN, file, 0, 0, false);
}

SEC("fexit")
int BPF_PROG(fs_open_fexit, struct inode *inode, struct file *file, int ret)
{
	return fs_exit(ctx, FS_OPEN, ret, false);
}

SEC("fentry")
int BPF_PROG(fs_fsync_fentry, struct file *file, loff_t start, loff_t end)
{
	return fs_enter(FS_FSYNC, file, start, end, false);
}

SEC("fexit")
int BPF_PROG(fs_fsync_fexit, struct file *file, loff_t start, loff_t end, int datasync, int ret)
{
	return fs_exit(ctx, FS_FSYNC, ret, false);
}

/* The same functions through kprobes. */

SEC("kprobe")
int BPF_KPROBE(fs_read_kprobe, struct kiocb *iocb)
{
	return fs_enter(FS_READ, BPF_CORE_READ(iocb, ki_filp), BPF_CORE_READ(iocb, ki_pos), 0, false);
}

SEC("kretprobe")
int BPF_KRETPROBE(fs_read_kretprobe, long ret)
{
	return fs_exit(ctx, FS_READ, ret, false);
}

SEC("kprobe")
int BPF_KPROBE(fs_write_kprobe, struct kiocb *iocb)
{
	return fs_enter(FS_WRITE, BPF_CORE_READ(iocb, ki_filp), BPF_CORE_READ(iocb, ki_pos), 0, false);
}

SEC("kretprobe")
int BPF_KRETPROBE(fs_write_kretprobe, long ret)
{
	return fs_exit(ctx, FS_WRITE, ret, false);
}

SEC("kprobe")
int BPF_KPROBE(fs_open_kprobe, struct inode *inode, struct file *file)
{
	return fs_enter(FS_OPEN, file, 0, 0, false);
}

SEC("kretprobe")
int BPF_KRETPROBE(fs_open_kretprobe, int ret)
{
	return fs_exit(ctx, FS_OPEN, ret, false);
}

SEC("kprobe")
int BPF_KPROBE(fs_fsync_kprobe, struct file *file, loff_t start, loff_t end)
{
	return fs_enter(FS_FSYNC, file, start, end, false);
}

SEC("kretprobe")
int BPF_KRETPROBE(fs_fsync_kretprobe, int ret)
{
	return fs_exit(ctx, FS_FSYNC, ret, false);
}

/*
 * The system calls. read(2), readv(2) start at the file position; pread64(2), preadv(2) and
 * preadv2(2) at their fourth argument (preadv2: -1 is the file position). Writes alike.
 */

static __always_inline int fs_sys_rw_enter(struct trace_event_raw_sys_enter *ctx, __u32 op, bool positioned)
{
	struct file *file;
	__s64 pos;

	if (!fs_traced(bpf_get_current_pid_tgid()))
		return 0;
	file = fs_fd_file(ctx->args[0]);
	if (!file)
		return 0;
	pos = positioned ? (__s64)ctx->args[3] : -1;
	if (pos == -1)
		pos = BPF_CORE_READ(file, f_pos);
	return fs_enter(op, file, pos, 0, true);
}

SEC("tracepoint/syscalls/sys_enter_read")
int fs_sys_read_enter(struct trace_event_raw_sys_enter *ctx)
{
	return fs_sys_rw_enter(ctx, FS_READ, false);
}

SEC("tracepoint/syscalls/sys_enter_pread64")
int fs_sys_pread_enter(struct trace_event_raw_sys_enter *ctx)
{
	return fs_sys_rw_enter(ctx, FS_READ, true);
}

SEC("tracepoint/syscalls/sys_exit_read")
int fs_sys_read_exit(struct trace_event_raw_sys_exit *ctx)
{
	return fs_exit(ctx, FS_READ, ctx->ret, true);
}

SEC("tracepoint/syscalls/sys_enter_write")
int fs_sys_write_enter(struct trace_event_raw_sys_enter *ctx)
{
	return fs_sys_rw_enter(ctx, FS_WRITE, false);
}

SEC("tracepoint/syscalls/sys_enter_pwrite64")
int fs_sys_pwrite_enter(struct trace_event_raw_sys_enter *ctx)
{
	return fs_sys_rw_enter(ctx, FS_WRITE, true);
}

SEC("tracepoint/syscalls/sys_exit_write")
int fs_sys_write_exit(struct trace_event_raw_sys_exit *ctx)
{
	return fs_exit(ctx, FS_WRITE, ctx->ret, true);
}

/* An open's file is known only at its exit, from the descriptor it returns. */
SEC("tracepoint/syscalls/sys_enter_openat")
int fs_sys_open_enter(struct trace_event_raw_sys_enter *ctx)
{
	return fs_enter(FS_OPEN, 0, 0, 0, true);
}

SEC("tracepoint/syscalls/sys_exit_openat")
int fs_sys_open_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 key = fs_key(id, FS_OPEN);
	struct fs_start *sp, s;

	sp = bpf_map_lookup_elem(&fs_starts, &key);
	if (!sp)
		return 0;
	s = *sp;
	bpf_map_delete_elem(&fs_starts, &key);
	if (!s.by_syscall || ctx->ret < 0)
		return 0;
	s.file = fs_fd_file(ctx->ret);
	if (!s.file)
		return 0;
	fs_op_done(ctx, &s, FS_OPEN, 0, bpf_ktime_get_ns());
	return 0;
}

/* fsync(2) and fdatasync(2) sync the whole file, as vfs_fsync asks the filesystem to. */
SEC("tracepoint/syscalls/sys_enter_fsync")
int fs_sys_fsync_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct file *file;

	if (!fs_traced(bpf_get_current_pid_tgid()))
		return 0;
	file = fs_fd_file(ctx->args[0]);
	if (!file)
		return 0;
	return fs_enter(FS_FSYNC, file, 0, FS_LLONG_MAX, true);
}

SEC("tracepoint/syscalls/sys_exit_fsync")
int fs_sys_fsync_exit(struct trace_event_raw_sys_exit *ctx)
{
	return fs_exit(ctx, FS_FSYNC, ctx->ret, true);
}

#ifdef FSOPS_GETATTR
SEC("fentry")
int BPF_PROG(fs_getattr_fentry)
{
	return fs_enter(FS_GETATTR, 0, 0, 0, false);
}

SEC("fexit")
int BPF_PROG(fs_getattr_fexit)
{
	return fs_exit(ctx, FS_GETATTR, 0, false);
}

SEC("kprobe")
int BPF_KPROBE(fs_getattr_kprobe)
{
	return fs_enter(FS_GETATTR, 0, 0, 0, false);
}

SEC("kretprobe")
int BPF_KRETPROBE(fs_getattr_kretprobe)
{
	return fs_exit(ctx, FS_GETATTR, 0, false);
}

/*
 * A getattr of an open file (fstat(2), and fstatat(2)/statx(2) with AT_EMPTY_PATH and an empty
 * path, as libc's fstat() calls it) is told by the file. One by path is told from its result:
 * a regular file on a device of fs_devs, the devices (dev_t as the kernel keeps them) that user
 * space finds the traced filesystem mounted on.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u8);
} fs_devs SEC(".maps");

/* How a getattr by path returns its result (fs_start.end; .pos is the user buffer). */
#define FS_STAT_RESULT 1
#define FS_STATX_RESULT 2

static __always_inline int fs_sys_getattr_enter(long fd)
{
	if (!fs_traced(bpf_get_current_pid_tgid()))
		return 0;
	if (!fs_fd_file(fd))
		return 0;
	return fs_enter(FS_GETATTR, 0, 0, 0, true);
}

static __always_inline bool fs_empty_path(const char *path)
{
	char c = 1;

	bpf_probe_read_user(&c, 1, path);
	return c == 0;
}

/* Whether a stat result in user memory describes a regular file of the traced filesystem. */
static __always_inline bool fs_stat_result_traced(__u64 buf, __s64 how)
{
	__u32 mode = 0, major, minor, dev;

	if (how == FS_STATX_RESULT) {
		__u32 devs[2] = {};
		__u16 m = 0;

		bpf_probe_read_user(&m, sizeof(m), (void *)buf + __builtin_offsetof(struct statx, stx_mode));
		bpf_probe_read_user(devs, sizeof(devs), (void *)buf + __builtin_offsetof(struct statx, stx_dev_major));
		mode = m;
		major = devs[0];
		minor = devs[1];
	} else {
		__u64 d = 0;

		bpf_probe_read_user(&d, sizeof(d), (void *)buf + bpf_core_field_offset(struct stat, st_dev));
		bpf_probe_read_user(&mode, sizeof(mode), (void *)buf + bpf_core_field_offset(struct stat, st_mode));
		/* new_encode_dev() */
		major = (d >> 8) & 0xfff;
		minor = (d & 0xff) | ((d >> 12) & 0xfff00);
	}
	if ((mode & FS_S_IFMT) != FS_S_IFREG)
		return false;
	dev = major << 20 | minor;
	return bpf_map_lookup_elem(&fs_devs, &dev) != 0;
}

SEC("tracepoint/syscalls/sys_enter_newfstat")
int fs_sys_fstat_enter(struct trace_event_raw_sys_enter *ctx)
{
	return fs_sys_getattr_enter(ctx->args[0]);
}

SEC("tracepoint/syscalls/sys_enter_newfstatat")
int fs_sys_fstatat_enter(struct trace_event_raw_sys_enter *ctx)
{
	if ((ctx->args[3] & FS_AT_EMPTY_PATH) && fs_empty_path((const char *)ctx->args[1]))
		return fs_sys_getattr_enter(ctx->args[0]);
	return fs_enter(FS_GETATTR, 0, ctx->args[2], FS_STAT_RESULT, true);
}

SEC("tracepoint/syscalls/sys_enter_statx")
int fs_sys_statx_enter(struct trace_event_raw_sys_enter *ctx)
{
	if ((ctx->args[2] & FS_AT_EMPTY_PATH) && fs_empty_path((const char *)ctx->args[1]))
		return fs_sys_getattr_enter(ctx->args[0]);
	return fs_enter(FS_GETATTR, 0, ctx->args[4], FS_STATX_RESULT, true);
}

/* stat(2) and lstat(2) */
SEC("tracepoint/syscalls/sys_enter_newstat")
int fs_sys_stat_enter(struct trace_event_raw_sys_enter *ctx)
{
	return fs_enter(FS_GETATTR, 0, ctx->args[1], FS_STAT_RESULT, true);
}

SEC("tracepoint/syscalls/sys_exit_newfstat")
int fs_sys_getattr_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 key = fs_key(bpf_get_current_pid_tgid(), FS_GETATTR);
	struct fs_start *sp, s;

	sp = bpf_map_lookup_elem(&fs_starts, &key);
	if (!sp)
		return 0;
	s = *sp;
	bpf_map_delete_elem(&fs_starts, &key);
	if (!s.by_syscall)
		return 0;
	if (s.end && (ctx->ret != 0 || !fs_stat_result_traced(s.pos, s.end)))
		return 0;
	fs_op_done(ctx, &s, FS_GETATTR, ctx->ret, bpf_ktime_get_ns());
	return 0;
}
#endif

#endif
