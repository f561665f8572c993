/*
 * Full paths from dentries. A dentry knows only its own name and its parent, so a walk yields
 * the names leaf first; BPF stores them that way, each followed by a NUL (/usr/lib is
 * "lib\0usr\0"), and user space (pkg/dentrypath) puts them back in order.
 */
#ifndef BPFUTILS_PATH_BPF_H
#define BPFUTILS_PATH_BPF_H

#include "bpfutils.bpf.h"

enum path_state {
	PATH_NONE = 0,     /* no walk was made */
	PATH_COMPLETE = 1, /* the walk reached the root */
	PATH_PARTIAL = 2,  /* it stopped early: too deep, out of room, or a name it could not read */
};

/* Names one walk collects at most (libbpf-tools' MAX_PATH_DEPTH), and mounts it climbs
 * between two names (mounts stacked on the same directory). */
#define PATH_WALK_NAMES 32
#define PATH_WALK_MOUNT_HOPS 4

/*
 * path_walk appends the names from dentry (on vfsmnt) up to the task's root directory, or the
 * root of its mount namespace, to buf[*len..limit). limit must be a constant so the verifier
 * sees every write in bounds.
 *
 * Every turn of the outer loop stores exactly one name, so that the verifier meets one state
 * per turn instead of one per mix of names and mount crossings.
 */
static __always_inline enum path_state path_walk(char *buf, __u32 *len, __u32 limit,
						 struct dentry *dentry, struct vfsmount *vfsmnt)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct dentry *root_dentry = BPF_CORE_READ(task, fs, root.dentry);
	struct vfsmount *root_mnt = BPF_CORE_READ(task, fs, root.mnt);
	struct mount *mnt = (void *)vfsmnt - bpf_core_field_offset(struct mount, mnt);
	struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	enum path_state state = PATH_PARTIAL;
	struct dentry *parent;
	struct mount *mnt_parent;
	__u32 off = *len;
	long n;
	int i, j;

	for (i = 0; i < PATH_WALK_NAMES; i++) {
		for (j = 0; j < PATH_WALK_MOUNT_HOPS && dentry == mnt_root; j++) {
			if (dentry == root_dentry && vfsmnt == root_mnt)
				break;
			mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
			if (mnt_parent == mnt)
				break;
			dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = mnt_parent;
			vfsmnt = (void *)mnt + bpf_core_field_offset(struct mount, mnt);
			mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
		}
		if ((dentry == root_dentry && vfsmnt == root_mnt) ||
		    (dentry == mnt_root && BPF_CORE_READ(mnt, mnt_parent) == mnt)) {
			state = PATH_COMPLETE;
			break;
		}
		if (dentry == mnt_root) /* mounts stacked deeper than we climb */
			break;
		if (off > limit - (NAME_MAX + 1))
			break;
		n = bpf_probe_read_kernel_str(buf + off, NAME_MAX + 1, BPF_CORE_READ(dentry, d_name.name));
		if (n <= 0)
			break;
		off += n;
		parent = BPF_CORE_READ(dentry, d_parent);
		if (parent == dentry) /* a root that is no mount's root: detached */
			break;
		dentry = parent;
	}
	*len = off;
	return state;
}

/* path_walk_cwd walks the current task's working directory. */
static __always_inline enum path_state path_walk_cwd(char *buf, __u32 *len, __u32 limit)
{
	struct task_struct *task = bpf_get_current_task_btf();

	return path_walk(buf, len, limit, BPF_CORE_READ(task, fs, pwd.dentry),
			 BPF_CORE_READ(task, fs, pwd.mnt));
}

/* path_walk_fd walks the file the current task has open as fd (a directory for openat()). */
static __always_inline enum path_state path_walk_fd(char *buf, __u32 *len, __u32 limit, int fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = 0;

	if (fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return PATH_PARTIAL;
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return PATH_PARTIAL;
	return path_walk(buf, len, limit, BPF_CORE_READ(file, f_path.dentry),
			 BPF_CORE_READ(file, f_path.mnt));
}

#ifndef AT_FDCWD
#define AT_FDCWD -100
#endif

/* path_walk_at walks the directory a *at() call resolves a relative name from: the working
 * directory for AT_FDCWD, else the directory the task has open as dfd. */
static __always_inline enum path_state path_walk_at(char *buf, __u32 *len, __u32 limit, int dfd)
{
	if (dfd == AT_FDCWD)
		return path_walk_cwd(buf, len, limit);
	return path_walk_fd(buf, len, limit, dfd);
}

#endif
