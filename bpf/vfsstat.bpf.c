/*
 * vfsstat: calls of the VFS's read, write, fsync, open, create, unlink, mkdir and rmdir.
 *
 * fentry or kprobe on vfs_read() ... count every call. Where neither attaches, the system calls
 * that lead there are counted instead: read(2)/pread64(2) for vfs_read (readv(2) goes to
 * vfs_readv, not vfs_read), opens that returned a file, mknod(2) of regular files for
 * vfs_create, and unlink, mkdir and rmdir calls that succeeded.
 * The kernel's own calls (exec, kernel_read, splice, nfsd ...) are not seen then.
 */
#include "bpfutils.bpf.h"
#include "vfsstat.h"

#define AT_REMOVEDIR 0x200
#define S_IFMT 00170000
#define S_IFREG 0100000

/* Set when the unlink and rmdir counts come from the system calls: unlinkat(2) does both, and
 * counts only what no fentry or kprobe counts. */
const volatile bool tp_unlink = false;
const volatile bool tp_rmdir = false;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vfsstat_counts);
} counts SEC(".maps");

/* Puts the enum in the BTF for the tools tests. */
enum vfsstat_stat *const volatile vfsstat_stat_layout = 0;

static __always_inline int count(__u32 stat)
{
	__u32 zero = 0;
	struct vfsstat_counts *c = bpf_map_lookup_elem(&counts, &zero);

	if (c && stat < S_MAXSTAT)
		c->n[stat]++;
	return 0;
}

#define VFS_HOOKS(fn, stat)					\
SEC("fentry")							\
int BPF_PROG(fn##_fentry) { return count(stat); }		\
SEC("kprobe")							\
int BPF_KPROBE(fn##_kprobe) { return count(stat); }

VFS_HOOKS(vfs_read, S_READ)
VFS_HOOKS(vfs_write, S_WRITE)
VFS_HOOKS(vfs_fsync, S_FSYNC)
VFS_HOOKS(vfs_open, S_OPEN)
VFS_HOOKS(vfs_create, S_CREATE)
VFS_HOOKS(vfs_unlink, S_UNLINK)
VFS_HOOKS(vfs_mkdir, S_MKDIR)
VFS_HOOKS(vfs_rmdir, S_RMDIR)

SEC("tracepoint/syscalls/sys_enter_read")
int sys_read(void *ctx)
{
	return count(S_READ);
}

SEC("tracepoint/syscalls/sys_enter_write")
int sys_write(void *ctx)
{
	return count(S_WRITE);
}

SEC("tracepoint/syscalls/sys_enter_fsync")
int sys_fsync(void *ctx)
{
	return count(S_FSYNC);
}

static __always_inline struct pt_regs *syscall_regs(void)
{
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

SEC("tracepoint/syscalls/sys_exit_openat")
int sys_open_exit(struct trace_event_raw_sys_exit *ctx)
{
	return ctx->ret >= 0 ? count(S_OPEN) : 0;
}

/* Only mknod(2) of a regular file calls vfs_create(): an open with O_CREAT has the directory
 * create the file itself. */
static __always_inline int mknod_exit(long ret, __u32 mode)
{
	if (ret == 0 && ((mode & S_IFMT) == S_IFREG || (mode & S_IFMT) == 0))
		count(S_CREATE);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_mknod")
int sys_mknod_exit(struct trace_event_raw_sys_exit *ctx)
{
	return mknod_exit(ctx->ret, PT_REGS_PARM2_CORE_SYSCALL(syscall_regs()));
}

SEC("tracepoint/syscalls/sys_exit_mknodat")
int sys_mknodat_exit(struct trace_event_raw_sys_exit *ctx)
{
	return mknod_exit(ctx->ret, PT_REGS_PARM3_CORE_SYSCALL(syscall_regs()));
}

SEC("tracepoint/syscalls/sys_exit_unlink")
int sys_unlink_exit(struct trace_event_raw_sys_exit *ctx)
{
	return ctx->ret == 0 ? count(S_UNLINK) : 0;
}

SEC("tracepoint/syscalls/sys_exit_unlinkat")
int sys_unlinkat_exit(struct trace_event_raw_sys_exit *ctx)
{
	int flags = PT_REGS_PARM3_CORE_SYSCALL(syscall_regs());

	if (ctx->ret != 0)
		return 0;
	if (flags & AT_REMOVEDIR)
		return tp_rmdir ? count(S_RMDIR) : 0;
	return tp_unlink ? count(S_UNLINK) : 0;
}

SEC("tracepoint/syscalls/sys_exit_mkdir")
int sys_mkdir_exit(struct trace_event_raw_sys_exit *ctx)
{
	return ctx->ret == 0 ? count(S_MKDIR) : 0;
}

SEC("tracepoint/syscalls/sys_exit_rmdir")
int sys_rmdir_exit(struct trace_event_raw_sys_exit *ctx)
{
	return ctx->ret == 0 ? count(S_RMDIR) : 0;
}
