/*
 * filetop: reads and writes per thread and file, counted where vfs_read() and vfs_write()
 * begin, with the byte counts asked for.
 *
 * Without fentry or kprobes, the system calls that call them (read, write, pread64, pwrite64)
 * are counted at their entry, their file found from the descriptor: what the kernel reads or
 * writes through vfs_read()/vfs_write() on its own behalf (splice, exec, kernel_read users on
 * old kernels) is not seen.
 */
#include "bpfutils.bpf.h"
#include "filetop.h"

#define S_IFMT   00170000
#define S_IFSOCK 0140000
#define S_IFREG  0100000

const volatile __u32 target_pid = 0;
const volatile bool regular_file_only = true;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FILETOP_MAX_ENTRIES);
	__type(key, struct filetop_key);
	__type(value, struct filetop_stat);
} files SEC(".maps");

enum file_op { FILE_READ, FILE_WRITE };

static __always_inline int count_io(struct file *file, __u64 bytes, enum file_op op)
{
	static const struct filetop_stat zero = {};
	__u64 id = bpf_get_current_pid_tgid();
	struct filetop_key key = {};
	struct filetop_stat *stat;
	struct inode *inode;
	__u32 mode;

	if (target_pid && target_pid != id >> 32)
		return 0;
	if (!file)
		return 0;
	inode = BPF_CORE_READ(file, f_inode);
	mode = BPF_CORE_READ(inode, i_mode);
	if (regular_file_only && (mode & S_IFMT) != S_IFREG)
		return 0;

	key.inode = BPF_CORE_READ(inode, i_ino);
	key.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	key.rdev = BPF_CORE_READ(inode, i_rdev);
	key.pid = id >> 32;
	key.tid = id;
	stat = bpf_map_lookup_elem(&files, &key);
	if (!stat) {
		bpf_map_update_elem(&files, &key, &zero, BPF_NOEXIST);
		stat = bpf_map_lookup_elem(&files, &key);
		if (!stat)
			return 0;
		stat->pid = key.pid;
		stat->tid = key.tid;
		bpf_get_current_comm(stat->comm, sizeof(stat->comm));
		bpf_probe_read_kernel_str(stat->name, sizeof(stat->name),
					  BPF_CORE_READ(file, f_path.dentry, d_name.name));
		if ((mode & S_IFMT) == S_IFREG)
			stat->type = 'R';
		else if ((mode & S_IFMT) == S_IFSOCK)
			stat->type = 'S';
		else
			stat->type = 'O';
	}
	if (op == FILE_READ) {
		__sync_fetch_and_add(&stat->reads, 1);
		__sync_fetch_and_add(&stat->read_bytes, bytes);
	} else {
		__sync_fetch_and_add(&stat->writes, 1);
		__sync_fetch_and_add(&stat->write_bytes, bytes);
	}
	return 0;
}

SEC("fentry/vfs_read")
int BPF_PROG(read_fentry, struct file *file, char *buf, size_t count)
{
	return count_io(file, count, FILE_READ);
}

SEC("fentry/vfs_write")
int BPF_PROG(write_fentry, struct file *file, const char *buf, size_t count)
{
	return count_io(file, count, FILE_WRITE);
}

SEC("kprobe/vfs_read")
int BPF_KPROBE(read_kprobe, struct file *file, char *buf, size_t count)
{
	return count_io(file, count, FILE_READ);
}

SEC("kprobe/vfs_write")
int BPF_KPROBE(write_kprobe, struct file *file, const char *buf, size_t count)
{
	return count_io(file, count, FILE_WRITE);
}

/* The current task's open file fd, or NULL. */
static __always_inline struct file *fd_file(long fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = 0;

	if (fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]))
		return 0;
	return file;
}

/* read, write, pread64 and pwrite64 all take (fd, buf, count, ...). */
static __always_inline int syscall_io(struct trace_event_raw_sys_enter *ctx, enum file_op op)
{
	if (target_pid && target_pid != bpf_get_current_pid_tgid() >> 32)
		return 0;
	return count_io(fd_file(ctx->args[0]), ctx->args[2], op);
}

SEC("tracepoint/syscalls/sys_enter_read")
int read_tp(struct trace_event_raw_sys_enter *ctx)
{
	return syscall_io(ctx, FILE_READ);
}

SEC("tracepoint/syscalls/sys_enter_pread64")
int pread_tp(struct trace_event_raw_sys_enter *ctx)
{
	return syscall_io(ctx, FILE_READ);
}

SEC("tracepoint/syscalls/sys_enter_write")
int write_tp(struct trace_event_raw_sys_enter *ctx)
{
	return syscall_io(ctx, FILE_WRITE);
}

SEC("tracepoint/syscalls/sys_enter_pwrite64")
int pwrite_tp(struct trace_event_raw_sys_enter *ctx)
{
	return syscall_io(ctx, FILE_WRITE);
}
