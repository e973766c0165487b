// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * File activity of traced processes from the syscall tracepoints (kprobes and fentry do not attach here).
 *
 * Paths: sys_enter remembers the arguments per thread; sys_exit, once the kernel has done the work, builds the
 * record. A successful open is resolved exactly: the dentry walk of the new fd's file gives the kernel's own
 * absolute path (symlinks and `..` already resolved). Every other path goes out as the user's string plus, when it
 * is relative, the absolute path of its directory (the dirfd's file, or the cwd for AT_FDCWD) walked the same way;
 * the collector joins the two and folds `.`/`..` lexically. Doing the walk at exit matters for rename/unlink: the
 * name no longer exists then, but its directory does.
 *
 * Writes are one small record per write-family syscall on a regular file, identified by the struct file pointer
 * (shared by dup'd and inherited fds, so `echo hi > f` — open, dup2 to 1, close, write 1 — is attributed); the
 * collector aggregates them per (process, path).
 *
 * Also here: the comm filter of `record -c COMM`, because the file group is the first optional object and the
 * filter must live in some loaded object (see handle_task_rename).
 */
#include "common.bpf.h"
#include "process.h"
#include "path.bpf.h"
#include "file.h"

#define AT_FDCWD -100
#define AT_REMOVEDIR 0x200
#define S_IFMT 00170000
#define S_IFREG 0100000
#define O_WRONLY 01
#define O_CREAT 0100
#define O_TRUNC 01000
#define FMODE_WRITE 0x2
/* payload slots: 2 walked bases (< 4 KiB each) + 2 user strings (<= 4 KiB each), plus slack so masked offsets fit */
#define FILE_PAYLOAD (5 * PATH_MAX_BYTES)

struct file_scratch {
	struct file_op_event e;
	char payload[FILE_PAYLOAD];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct file_scratch);
} file_scratch_map SEC(".maps");

/* What sys_enter saw, by thread, for sys_exit to use. */
struct pending_file_op {
	__u64 ptr1;  /* user pointer: path (or open_how for openat2 in ptr2) */
	__u64 ptr2;  /* user pointer: second path */
	__s32 dirfd; /* directory of ptr1 (AT_FDCWD = cwd), or the fd itself for fd-based ops */
	__s32 dirfd2;
	__u32 op;
	__u32 flags;
	__u32 mode;
	__u32 kind; /* PK_* below */
};

#define PK_PATH 0     /* ptr1 (and ptr2) are paths relative to dirfd (dirfd2) */
#define PK_FD 1       /* the operation acts on the open file dirfd (ftruncate, fchmod) */
#define PK_OPENAT2 2  /* ptr2 is a struct open_how */
#define PK_SYMLINK 3  /* ptr1 is the target (kept raw), ptr2 relative to dirfd2 is the link created */

/*
 * What sys_enter saw, per thread, for sys_exit: task-local storage rather than a hash keyed by tid. The hash cost an
 * update at every entry and a lookup plus delete at every exit (~0.3 µs of the ~1.4 µs a record cost); task storage
 * is a pointer from the task itself, and an untraced task has none, so its exits stay a NULL check.
 */
struct file_task_state {
	struct pending_file_op op;
	__s32 write_fd; /* fd of a write in flight */
	__u8 op_valid;
	__u8 write_valid;
	__u16 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct file_task_state);
} file_task SEC(".maps");

static __always_inline struct file_task_state *task_state(int create)
{
	struct task_struct *task = bpf_get_current_task_btf();
	return bpf_task_storage_get(&file_task, task, 0, create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

/* struct file pointers the collector has a path for → their inode (a reused pointer has another inode) */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u64);
} known_files SEC(".maps");

/* `record -c COMM`: processes that take one of these names at exec (or prctl) become traced. Runtime-set. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, char[COMM_FILTER_LEN]);
	__type(value, __u8);
} comm_filter SEC(".maps");

struct write_scratch {
	struct file_write_event e;
	char path[PATH_MAX_BYTES];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct write_scratch);
} write_scratch_map SEC(".maps");

static __always_inline int current_traced(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	return tgid != cfg.self_tgid && is_traced(tgid);
}

static __always_inline struct file *fd_file(struct task_struct *task, int fd)
{
	if (fd < 0)
		return NULL;
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	unsigned int max = BPF_CORE_READ(fdt, max_fds);
	if ((unsigned int)fd >= max)
		return NULL;
	struct file **arr = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]);
	return f;
}

static __always_inline int remember(__u32 op, __u32 kind, int dirfd, const void *p1, int dirfd2, const void *p2,
				    __u32 flags, __u32 mode)
{
	if (!current_traced())
		return 0;
	struct file_task_state *t = task_state(1);
	if (!t)
		return 0; /* no memory for the state: the exit counts the record as a missed entry */
	t->op.ptr1 = (__u64)p1;
	t->op.ptr2 = (__u64)p2;
	t->op.dirfd = dirfd;
	t->op.dirfd2 = dirfd2;
	t->op.op = op;
	t->op.flags = flags;
	t->op.mode = mode;
	t->op.kind = kind;
	t->op_valid = 1;
	return 0;
}

/* Append the absolute path of dirfd's file (or the cwd) at payload[*off]; returns its length. */
static __always_inline __u32 append_dir(struct file_scratch *s, __u32 *off, struct task_struct *task, int dirfd,
					__u16 clipped_flag)
{
	struct path_walk *w;
	if (dirfd == AT_FDCWD) {
		struct fs_struct *fs = BPF_CORE_READ(task, fs);
		w = walk_path(__builtin_preserve_access_index(&fs->pwd));
	} else {
		struct file *f = fd_file(task, dirfd);
		if (!f)
			return 0;
		w = walk_path(__builtin_preserve_access_index(&f->f_path));
	}
	if (!w)
		return 0;
	__u32 o = *off;
	BARRIER_MASK(o, 16383);
	__u32 len = copy_walked_path(w, &s->payload[o]);
	if (w->clipped)
		s->e.hdr.flags |= clipped_flag;
	*off = o + len;
	return len;
}

/* Append the user string at payload[*off]; returns its length without the NUL. */
static __always_inline __u32 append_user(struct file_scratch *s, __u32 *off, const char *p, __u16 clipped_flag)
{
	if (!p)
		return 0;
	__u32 o = *off;
	BARRIER_MASK(o, 16383);
	long n = bpf_probe_read_user_str(&s->payload[o], PATH_MAX_BYTES, p);
	if (n <= 0)
		return 0;
	if (n >= PATH_MAX_BYTES) {
		s->e.hdr.flags |= clipped_flag;
		stat_add(STAT_PATH_CLIPPED, 1);
	}
	__u32 len = n - 1;
	*off = o + len;
	return len;
}

/* A relative user path needs its directory; an absolute one does not. Empty paths (AT_EMPTY_PATH) are the dir. */
static __always_inline int is_relative(const char *p)
{
	char c = 0;
	if (!p || bpf_probe_read_user(&c, 1, p))
		return 0;
	return c != '/';
}

static __always_inline int emit_file_op(long ret)
{
	struct file_task_state *t = task_state(0);
	if (!t || !t->op_valid) {
		if (current_traced())
			stat_add(STAT_FILE_MISSED_ENTRY, 1);
		return 0;
	}
	struct pending_file_op p = t->op;
	t->op_valid = 0;

	__u32 zero = 0;
	struct file_scratch *s = bpf_map_lookup_elem(&file_scratch_map, &zero);
	if (!s) {
		stat_add(STAT_SCRATCH_MISS, 1);
		return 0;
	}
	struct file_op_event *e = &s->e;
	fill_header(&e->hdr, EV_FILE_OP, 0);
	e->file_id = 0;
	e->ret = ret;
	e->op = p.op;
	e->flags = p.flags;
	e->mode = p.mode;
	e->fmode = 0;
	e->base_len = 0;
	e->path_len = 0;
	e->base2_len = 0;
	e->path2_len = 0;
	e->_pad = 0;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	__u32 off = 0;

	if (p.kind == PK_OPENAT2) {
		__u64 how[2] = {}; /* struct open_how { u64 flags; u64 mode; u64 resolve; } */
		bpf_probe_read_user(how, sizeof(how), (void *)p.ptr2);
		e->flags = how[0];
		e->mode = how[1];
	}

	struct file *f = NULL;
	if (p.op == FOP_OPEN && ret >= 0)
		f = fd_file(task, ret);
	else if (p.kind == PK_FD)
		f = fd_file(task, p.dirfd);

	if (f) {
		/* exact: the kernel's own path of the file */
		struct path_walk *w = walk_path(__builtin_preserve_access_index(&f->f_path));
		if (w) {
			e->path_len = copy_walked_path(w, s->payload);
			off = e->path_len;
			e->hdr.flags |= FILE_F_RESOLVED;
			if (w->clipped)
				e->hdr.flags |= FILE_F_PATH_CLIPPED;
		}
		e->file_id = (__u64)f;
		e->fmode = BPF_CORE_READ(f, f_mode);
		__u64 fid = (__u64)f;
		struct inode *inode = BPF_CORE_READ(f, f_inode);
		if ((BPF_CORE_READ(inode, i_mode) & S_IFMT) != S_IFREG)
			e->hdr.flags |= FILE_F_NOT_REG;
		__u64 ino = (__u64)inode;
		/*
		 * Only a writable file can be written: the write records need known_files for those alone, and a pointer
		 * already known with this inode (fchmod/ftruncate after the open) needs no LRU update.
		 */
		if (e->fmode & FMODE_WRITE) {
			__u64 *known = bpf_map_lookup_elem(&known_files, &fid);
			if (!known || *known != ino)
				bpf_map_update_elem(&known_files, &fid, &ino, BPF_ANY);
		}
	} else if (p.kind == PK_SYMLINK) {
		/* path = the link created (relative to dirfd2), path2 = the target text as given */
		const char *link = (const char *)p.ptr2;
		if (is_relative(link)) {
			e->base_len = append_dir(s, &off, task, p.dirfd2, FILE_F_BASE_CLIPPED);
			if (!e->base_len)
				e->hdr.flags |= FILE_F_NO_BASE;
		}
		e->path_len = append_user(s, &off, link, FILE_F_PATH_CLIPPED);
		e->path2_len = append_user(s, &off, (const char *)p.ptr1, FILE_F_PATH2_CLIPPED);
	} else if (p.kind != PK_FD) {
		const char *p1 = (const char *)p.ptr1;
		if (is_relative(p1)) {
			e->base_len = append_dir(s, &off, task, p.dirfd, FILE_F_BASE_CLIPPED);
			if (!e->base_len)
				e->hdr.flags |= FILE_F_NO_BASE;
		}
		e->path_len = append_user(s, &off, p1, FILE_F_PATH_CLIPPED);
		if (p.ptr2 && p.kind == PK_PATH) {
			const char *p2 = (const char *)p.ptr2;
			if (is_relative(p2))
				e->base2_len = append_dir(s, &off, task, p.dirfd2, FILE_F_BASE2_CLIPPED);
			e->path2_len = append_user(s, &off, p2, FILE_F_PATH2_CLIPPED);
		}
	}

	__u64 size = sizeof(*e) + off;
	BARRIER_MASK(size, 32767);
	if (size > sizeof(*s))
		size = sizeof(*s);
	e->hdr.size = size;
	emit(&shared_events, s, size, STAT_RB_FULL);
	return 0;
}

#define ARG(i) ((void *)ctx->args[i])
#define IARG(i) ((int)ctx->args[i])

/* ---- opens ---- */

SEC("tp/syscalls/sys_enter_open")
int handle_sys_enter_open(struct trace_event_raw_sys_enter *ctx)
{
	return remember(FOP_OPEN, PK_PATH, AT_FDCWD, ARG(0), 0, NULL, ctx->args[1], ctx->args[2]);
}

SEC("tp/syscalls/sys_enter_creat")
int handle_sys_enter_creat(struct trace_event_raw_sys_enter *ctx)
{
	return remember(FOP_OPEN, PK_PATH, AT_FDCWD, ARG(0), 0, NULL, O_CREAT | O_WRONLY | O_TRUNC, ctx->args[1]);
}

SEC("tp/syscalls/sys_enter_openat")
int handle_sys_enter_openat(struct trace_event_raw_sys_enter *ctx)
{
	return remember(FOP_OPEN, PK_PATH, IARG(0), ARG(1), 0, NULL, ctx->args[2], ctx->args[3]);
}

SEC("tp/syscalls/sys_enter_openat2")
int handle_sys_enter_openat2(struct trace_event_raw_sys_enter *ctx)
{
	return remember(FOP_OPEN, PK_OPENAT2, IARG(0), ARG(1), 0, ARG(2), 0, 0);
}

/* ---- path operations ---- */

SEC("tp/syscalls/sys_enter_truncate")
int handle_sys_enter_truncate(struct trace_event_raw_sys_enter *ctx)
{
	return remember(FOP_TRUNCATE, PK_PATH, AT_FDCWD, ARG(0), 0, NULL, 0, 0);
}

SEC("tp/syscalls/sys_enter_ftruncate")
int handle_sys_enter_ftruncate(struct trace_event_raw_sys_enter *ctx)
{
	return remember(FOP_TRUNCATE, PK_FD, IARG(0), NULL, 0, NULL, 0, 0);
}

SEC("tp/syscalls/sys_enter_rename")
int handle_sys_enter_rename(struct trace_event_raw_sys_enter *ctx)
{
	return remember(FOP_RENAME, PK_PATH, AT_FDCWD, ARG(0), AT_FDCWD, ARG(1), 0, 0);
}

SEC("tp/syscalls/sys_enter_renameat")
int handle_sys_enter_renameat(struct trace_event_raw_sys_enter *ctx)
{
	return remember(FOP_RENAME, PK_PATH, IARG(0), ARG(1), IARG(2), ARG(3), 0, 0);
}

SEC("tp/syscalls/sys_enter_renameat2")
int handle_sys_enter_renameat2(struct trace_event_raw_sys_enter *ctx)
{
	return remember(FOP_RENAME, PK_PATH, IARG(0), ARG(1), IARG(2), ARG(3), ctx->args[4], 0);
}

SEC("tp/syscalls/sys_enter_unlink")
int handle_sys_enter_unlink(struct trace_event_raw_sys_enter *ctx)
{
	return remember(FOP_UNLINK, PK_PATH, AT_FDCWD, ARG(0), 0, NULL, 0, 0);
}

SEC("tp/syscalls/sys_enter_unlinkat")
int handle_sys_enter_unlinkat(struct trace_event_raw_sys_enter *ctx)
{
	__u32 flags = ctx->args[2];
	return remember(flags & AT_REMOVEDIR ? FOP_RMDIR : FOP_UNLINK, PK_PATH, IARG(0), ARG(1), 0, NULL, flags, 0);
}

SEC("tp/syscalls/sys_enter_rmdir")
int handle_sys_enter_rmdir(struct trace_event_raw_sys_enter *ctx)
{
	return remember(FOP_RMDIR, PK_PATH, AT_FDCWD, ARG(0), 0, NULL, 0, 0);
}

SEC("tp/syscalls/sys_enter_mkdir")
int handle_sys_enter_mkdir(struct trace_event_raw_sys_enter *ctx)
{
	return remember(FOP_MKDIR, PK_PATH, AT_FDCWD, ARG(0), 0, NULL, 0, ctx->args[1]);
}

SEC("tp/syscalls/sys_enter_mkdirat")
int handle_sys_enter_mkdirat(struct trace_event_raw_sys_enter *ctx)
{
	return remember(FOP_MKDIR, PK_PATH, IARG(0), ARG(1), 0, NULL, 0, ctx->args[2]);
}

SEC("tp/syscalls/sys_enter_chmod")
int handle_sys_enter_chmod(struct trace_event_raw_sys_enter *ctx)
{
	return remember(FOP_CHMOD, PK_PATH, AT_FDCWD, ARG(0), 0, NULL, 0, ctx->args[1]);
}

SEC("tp/syscalls/sys_enter_fchmod")
int handle_sys_enter_fchmod(struct trace_event_raw_sys_enter *ctx)
{
	return remember(FOP_CHMOD, PK_FD, IARG(0), NULL, 0, NULL, 0, ctx->args[1]);
}

SEC("tp/syscalls/sys_enter_fchmodat")
int handle_sys_enter_fchmodat(struct trace_event_raw_sys_enter *ctx)
{
	return remember(FOP_CHMOD, PK_PATH, IARG(0), ARG(1), 0, NULL, 0, ctx->args[2]);
}

SEC("tp/syscalls/sys_enter_fchmodat2")
int handle_sys_enter_fchmodat2(struct trace_event_raw_sys_enter *ctx)
{
	return remember(FOP_CHMOD, PK_PATH, IARG(0), ARG(1), 0, NULL, ctx->args[3], ctx->args[2]);
}

SEC("tp/syscalls/sys_enter_link")
int handle_sys_enter_link(struct trace_event_raw_sys_enter *ctx)
{
	return remember(FOP_LINK, PK_PATH, AT_FDCWD, ARG(0), AT_FDCWD, ARG(1), 0, 0);
}

SEC("tp/syscalls/sys_enter_linkat")
int handle_sys_enter_linkat(struct trace_event_raw_sys_enter *ctx)
{
	return remember(FOP_LINK, PK_PATH, IARG(0), ARG(1), IARG(2), ARG(3), ctx->args[4], 0);
}

SEC("tp/syscalls/sys_enter_symlink")
int handle_sys_enter_symlink(struct trace_event_raw_sys_enter *ctx)
{
	return remember(FOP_SYMLINK, PK_SYMLINK, 0, ARG(0), AT_FDCWD, ARG(1), 0, 0);
}

SEC("tp/syscalls/sys_enter_symlinkat")
int handle_sys_enter_symlinkat(struct trace_event_raw_sys_enter *ctx)
{
	return remember(FOP_SYMLINK, PK_SYMLINK, 0, ARG(0), IARG(1), ARG(2), 0, 0);
}

#define FILE_OP_EXIT(name)                                                   \
	SEC("tp/syscalls/sys_exit_" #name)                                   \
	int handle_sys_exit_##name(struct trace_event_raw_sys_exit *ctx)     \
	{                                                                    \
		return emit_file_op(ctx->ret);                               \
	}

FILE_OP_EXIT(open)
FILE_OP_EXIT(creat)
FILE_OP_EXIT(openat)
FILE_OP_EXIT(openat2)
FILE_OP_EXIT(truncate)
FILE_OP_EXIT(ftruncate)
FILE_OP_EXIT(rename)
FILE_OP_EXIT(renameat)
FILE_OP_EXIT(renameat2)
FILE_OP_EXIT(unlink)
FILE_OP_EXIT(unlinkat)
FILE_OP_EXIT(rmdir)
FILE_OP_EXIT(mkdir)
FILE_OP_EXIT(mkdirat)
FILE_OP_EXIT(chmod)
FILE_OP_EXIT(fchmod)
FILE_OP_EXIT(fchmodat)
FILE_OP_EXIT(fchmodat2)
FILE_OP_EXIT(link)
FILE_OP_EXIT(linkat)
FILE_OP_EXIT(symlink)
FILE_OP_EXIT(symlinkat)

/* ---- writes ---- */

static __always_inline int remember_write(int fd)
{
	if (!current_traced())
		return 0;
	struct file_task_state *t = task_state(1);
	if (t) {
		t->write_fd = fd;
		t->write_valid = 1;
	}
	return 0;
}

static __always_inline int emit_write(long ret)
{
	struct file_task_state *t = task_state(0);
	if (!t || !t->write_valid)
		return 0; /* most writes are not by traced processes; a missed entry here is only a write in flight at attach */
	__s32 fd = t->write_fd;
	t->write_valid = 0;
	if (ret <= 0)
		return 0;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	struct file *f = fd_file(task, fd);
	if (!f)
		return 0;
	struct inode *inode = BPF_CORE_READ(f, f_inode);
	__u16 imode = BPF_CORE_READ(inode, i_mode);
	if ((imode & S_IFMT) != S_IFREG) /* pipes, ttys, sockets (counted by the network group) */
		return 0;

	__u32 zero = 0;
	struct write_scratch *s = bpf_map_lookup_elem(&write_scratch_map, &zero);
	if (!s) {
		stat_add(STAT_SCRATCH_MISS, 1);
		return 0;
	}
	struct file_write_event *e = &s->e;
	fill_header(&e->hdr, EV_FILE_WRITE, 0);
	e->file_id = (__u64)f;
	e->bytes = ret;
	e->fd = fd;
	e->path_len = 0;
	e->_pad = 0;
	__u64 fid = (__u64)f;
	__u64 ino = (__u64)inode;
	__u64 *known = bpf_map_lookup_elem(&known_files, &fid);
	if (!known || *known != ino) {
		struct path_walk *w = walk_path(__builtin_preserve_access_index(&f->f_path));
		if (w) {
			e->path_len = copy_walked_path(w, s->path);
			if (w->clipped)
				e->hdr.flags |= FILE_F_PATH_CLIPPED;
			e->hdr.flags |= FILE_F_RESOLVED;
		}
		bpf_map_update_elem(&known_files, &fid, &ino, BPF_ANY);
	}
	__u64 size = sizeof(*e) + e->path_len;
	BARRIER_MASK(size, 8191);
	if (size > sizeof(*s))
		size = sizeof(*s);
	e->hdr.size = size;
	emit(&shared_events, s, size, STAT_RB_FULL);
	return 0;
}

SEC("tp/syscalls/sys_enter_write")
int handle_sys_enter_write(struct trace_event_raw_sys_enter *ctx)
{
	return remember_write(IARG(0));
}

SEC("tp/syscalls/sys_enter_pwrite64")
int handle_sys_enter_pwrite64(struct trace_event_raw_sys_enter *ctx)
{
	return remember_write(IARG(0));
}

SEC("tp/syscalls/sys_enter_writev")
int handle_sys_enter_writev(struct trace_event_raw_sys_enter *ctx)
{
	return remember_write(IARG(0));
}

SEC("tp/syscalls/sys_enter_pwritev")
int handle_sys_enter_pwritev(struct trace_event_raw_sys_enter *ctx)
{
	return remember_write(IARG(0));
}

SEC("tp/syscalls/sys_enter_pwritev2")
int handle_sys_enter_pwritev2(struct trace_event_raw_sys_enter *ctx)
{
	return remember_write(IARG(0));
}

#define WRITE_EXIT(name)                                                     \
	SEC("tp/syscalls/sys_exit_" #name)                                   \
	int handle_sys_exit_##name(struct trace_event_raw_sys_exit *ctx)     \
	{                                                                    \
		return emit_write(ctx->ret);                                 \
	}

WRITE_EXIT(write)
WRITE_EXIT(pwrite64)
WRITE_EXIT(writev)
WRITE_EXIT(pwritev)
WRITE_EXIT(pwritev2)

/* ---- record -c COMM ---- */

/*
 * exec renames the task (task_rename) before sched_process_exec fires, so a process that takes a filtered name is
 * in shared_traced by the time the process group reports its exec: its exec record and everything after are
 * captured, and its children follow through the fork hook. prctl(PR_SET_NAME) of a main thread counts too.
 */
SEC("tp_btf/task_rename")
int BPF_PROG(handle_task_rename, struct task_struct *task, const char *comm)
{
	__u32 pid = BPF_CORE_READ(task, pid);
	__u32 tgid = BPF_CORE_READ(task, tgid);
	if (pid != tgid || tgid == cfg.self_tgid)
		return 0;
	char key[COMM_FILTER_LEN] = {};
	bpf_probe_read_kernel_str(key, sizeof(key), comm);
	if (!bpf_map_lookup_elem(&comm_filter, key))
		return 0;
	__u64 kstart = BPF_CORE_READ(task, start_time);
	bpf_map_update_elem(&shared_traced, &tgid, &kstart, BPF_NOEXIST);
	return 0;
}
