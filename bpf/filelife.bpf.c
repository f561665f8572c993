/*
 * filelife: files created and deleted while tracing, with their age.
 *
 * fentry or kprobe: vfs_create, vfs_open of a file it created and security_inode_create note
 * a dentry's birth; vfs_unlink of a noted dentry that succeeds makes the event.
 *
 * Where neither attaches, the system calls stand in: an open that created its file (FMODE_CREATED)
 * or a mknod(2) of a regular file sends the file's path, an unlink(2) that succeeded sends the
 * path it removed, and user space matches the two by path. Files are then told apart by path, not
 * dentry, and creations or deletions the kernel makes by itself (or io_uring) are not seen.
 */
#include "bpfutils.bpf.h"
#include "events.bpf.h"
#include "path.bpf.h"
#include "filelife.h"

#define FMODE_CREATED (1 << 20)
#define AT_REMOVEDIR 0x200
#define S_IFMT 00170000
#define S_IFREG 0100000

const volatile __u32 targ_tgid = 0;
const volatile bool full_path = false;

struct filelife_event *const volatile filelife_event_layout = 0;
enum filelife_kind *const volatile filelife_kind_layout = 0;

#define PATH_ROOM sizeof(((struct filelife_event *)0)->path)
_Static_assert(sizeof(struct filelife_event) <= MAX_EVENT_SIZE, "event outgrew the scratch slot");

struct birth {
	__u64 ts;
	struct vfsmount *mnt; /* the file's mount where known, else the creator's working directory's (-F) */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct dentry *);
	__type(value, struct birth);
} births SEC(".maps");

struct unlinking {
	__u64 delta_ns;
	struct dentry *dentry;
	struct vfsmount *mnt;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct unlinking);
} unlinks SEC(".maps");

static __always_inline bool traced(void)
{
	return !targ_tgid || targ_tgid == bpf_get_current_pid_tgid() >> 32;
}

/*
 * vfs_create() and vfs_unlink() take the dentry third since 5.12 (a user namespace, later an
 * idmap, came first), second before.
 */
struct renamedata___userns {
	struct user_namespace *old_mnt_userns;
} __attribute__((preserve_access_index));

static __always_inline bool dentry_third(void)
{
	return bpf_core_type_exists(struct mnt_idmap) || bpf_core_field_exists(struct renamedata___userns, old_mnt_userns);
}

static __always_inline int born(struct dentry *dentry, struct vfsmount *mnt)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct birth b = {};

	if (!traced() || !dentry)
		return 0;
	b.ts = bpf_ktime_get_ns();
	b.mnt = mnt ? mnt : BPF_CORE_READ(task, fs, pwd.mnt);
	bpf_map_update_elem(&births, &dentry, &b, BPF_ANY);
	return 0;
}

/* Called after security_inode_create for the same file: its mount is now known. At vfs_open's
 * entry the file's f_path is not set yet: the path comes from vfs_open's own argument. */
static __always_inline int open_created(const struct path *path, struct file *file)
{
	if (!(BPF_CORE_READ(file, f_mode) & FMODE_CREATED))
		return 0;
	return born(BPF_CORE_READ(path, dentry), BPF_CORE_READ(path, mnt));
}

static __always_inline int unlink_begins(struct dentry *dentry)
{
	struct unlinking u = {};
	struct birth *b = bpf_map_lookup_elem(&births, &dentry);
	__u32 tid = bpf_get_current_pid_tgid();

	if (!b)
		return 0;
	u.delta_ns = bpf_ktime_get_ns() - b->ts;
	u.dentry = dentry;
	u.mnt = b->mnt;
	bpf_map_update_elem(&unlinks, &tid, &u, BPF_ANY);
	return 0;
}

static __always_inline int unlink_ends(void *ctx, long ret)
{
	__u32 tid = bpf_get_current_pid_tgid();
	struct unlinking *up = bpf_map_lookup_elem(&unlinks, &tid), u;
	struct filelife_event *ev;
	__u32 len = 0;
	long n;

	if (!up)
		return 0;
	u = *up;
	bpf_map_delete_elem(&unlinks, &tid);
	if (ret)
		return 0;
	bpf_map_delete_elem(&births, &u.dentry);
	ev = event_scratch_get();
	if (!ev)
		return 0;
	ev->kind = FILELIFE_DELETED;
	ev->delta_ns = u.delta_ns;
	ev->ts = bpf_ktime_get_ns();
	ev->tgid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(ev->task, sizeof(ev->task));
	ev->name_len = 0;
	ev->dir_state = PATH_NONE;
	if (full_path) {
		ev->dir_state = path_walk(ev->path, &len, PATH_ROOM, u.dentry, u.mnt);
	} else {
		struct dentry *dentry = u.dentry;

		n = bpf_probe_read_kernel_str(ev->path, NAME_MAX + 1, BPF_CORE_READ(dentry, d_name.name));
		if (n <= 0) {
			ev->path[0] = 0;
			n = 1;
		}
		ev->name_len = n;
	}
	ev->dir_len = len;
	event_output(ctx, ev, __builtin_offsetof(struct filelife_event, path) + (ev->name_len + len));
	return 0;
}

SEC("fentry")
int BPF_PROG(vfs_create_fentry)
{
	return born((struct dentry *)(dentry_third() ? ctx_load(ctx, 16) : ctx_load(ctx, 8)), 0);
}

SEC("kprobe")
int BPF_KPROBE(vfs_create_kprobe, void *arg0, void *arg1, void *arg2)
{
	return born(dentry_third() ? arg2 : arg1, 0);
}

SEC("fentry")
int BPF_PROG(vfs_open_fentry, const struct path *path, struct file *file)
{
	return traced() ? open_created(path, file) : 0;
}

SEC("kprobe")
int BPF_KPROBE(vfs_open_kprobe, const struct path *path, struct file *file)
{
	return traced() ? open_created(path, file) : 0;
}

SEC("fentry")
int BPF_PROG(inode_create_fentry, struct inode *dir, struct dentry *dentry)
{
	return born(dentry, 0);
}

SEC("kprobe")
int BPF_KPROBE(inode_create_kprobe, struct inode *dir, struct dentry *dentry)
{
	return born(dentry, 0);
}

SEC("fentry")
int BPF_PROG(vfs_unlink_fentry)
{
	return unlink_begins((struct dentry *)(dentry_third() ? ctx_load(ctx, 16) : ctx_load(ctx, 8)));
}

SEC("kprobe")
int BPF_KPROBE(vfs_unlink_kprobe, void *arg0, void *arg1, void *arg2)
{
	return unlink_begins(dentry_third() ? arg2 : arg1);
}

/* vfs_unlink() has four arguments in every version that has the dentry third, three before. */
SEC("fexit")
int BPF_PROG(vfs_unlink_fexit)
{
	return unlink_ends(ctx, (int)(dentry_third() ? ctx_load(ctx, 32) : ctx_load(ctx, 24)));
}

SEC("kretprobe")
int BPF_KRETPROBE(vfs_unlink_kretprobe, int ret)
{
	return unlink_ends(ctx, ret);
}

/* The system calls. */

static __always_inline struct pt_regs *syscall_regs(void)
{
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

static __always_inline struct filelife_event *path_event(__u32 kind)
{
	struct filelife_event *ev = event_scratch_get();

	if (!ev)
		return 0;
	ev->kind = kind;
	ev->delta_ns = 0;
	ev->ts = bpf_ktime_get_ns();
	ev->tgid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(ev->task, sizeof(ev->task));
	return ev;
}

/* Sends the name a call passed, with the directory it is relative to. */
static __always_inline int send_name(void *ctx, __u32 kind, int dfd, const char *name)
{
	struct filelife_event *ev = path_event(kind);
	__u32 len;
	long n;

	if (!ev)
		return 0;
	n = bpf_probe_read_user_str(ev->path, FILELIFE_NAME_MAX, name);
	if (n <= 0)
		return 0;
	len = n;
	ev->name_len = n;
	ev->dir_state = PATH_NONE;
	if (ev->path[0] != '/')
		ev->dir_state = path_walk_at(ev->path, &len, PATH_ROOM, dfd);
	ev->dir_len = len - n;
	event_output(ctx, ev, __builtin_offsetof(struct filelife_event, path) + len);
	return 0;
}

/* An open that created its file: sends the file's path, walked from its dentry. */
SEC("tracepoint/syscalls/sys_exit_openat")
int sys_open_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct filelife_event *ev;
	struct fdtable *fdt;
	struct file **fds;
	struct file *file = 0;
	long fd = ctx->ret;
	__u32 len = 0;

	if (fd < 0 || !traced())
		return 0;
	fdt = BPF_CORE_READ(task, files, fdt);
	fds = BPF_CORE_READ(fdt, fd);
	if (fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return 0;
	if (!(BPF_CORE_READ(file, f_mode) & FMODE_CREATED))
		return 0;
	ev = path_event(FILELIFE_CREATED);
	if (!ev)
		return 0;
	ev->name_len = 0;
	ev->dir_state = path_walk(ev->path, &len, PATH_ROOM, BPF_CORE_READ(file, f_path.dentry),
				  BPF_CORE_READ(file, f_path.mnt));
	ev->dir_len = len;
	event_output(ctx, ev, __builtin_offsetof(struct filelife_event, path) + len);
	return 0;
}

static __always_inline bool regular_mode(__u32 mode)
{
	return (mode & S_IFMT) == S_IFREG || (mode & S_IFMT) == 0;
}

SEC("tracepoint/syscalls/sys_exit_mknod")
int sys_mknod_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs = syscall_regs();

	if (ctx->ret != 0 || !traced() || !regular_mode(PT_REGS_PARM2_CORE_SYSCALL(regs)))
		return 0;
	return send_name(ctx, FILELIFE_CREATED, AT_FDCWD, (const char *)PT_REGS_PARM1_CORE_SYSCALL(regs));
}

SEC("tracepoint/syscalls/sys_exit_mknodat")
int sys_mknodat_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs = syscall_regs();

	if (ctx->ret != 0 || !traced() || !regular_mode(PT_REGS_PARM3_CORE_SYSCALL(regs)))
		return 0;
	return send_name(ctx, FILELIFE_CREATED, PT_REGS_PARM1_CORE_SYSCALL(regs),
			 (const char *)PT_REGS_PARM2_CORE_SYSCALL(regs));
}

SEC("tracepoint/syscalls/sys_exit_unlink")
int sys_unlink_exit(struct trace_event_raw_sys_exit *ctx)
{
	if (ctx->ret != 0)
		return 0;
	return send_name(ctx, FILELIFE_UNLINKED, AT_FDCWD, (const char *)PT_REGS_PARM1_CORE_SYSCALL(syscall_regs()));
}

SEC("tracepoint/syscalls/sys_exit_unlinkat")
int sys_unlinkat_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs = syscall_regs();

	if (ctx->ret != 0 || (PT_REGS_PARM3_CORE_SYSCALL(regs) & AT_REMOVEDIR))
		return 0;
	return send_name(ctx, FILELIFE_UNLINKED, PT_REGS_PARM1_CORE_SYSCALL(regs),
			 (const char *)PT_REGS_PARM2_CORE_SYSCALL(regs));
}
