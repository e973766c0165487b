// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * File activity of traced processes from the syscall tracepoints (kprobes and fentry do not attach here).
 *
 * Paths: sys_exit, once the kernel has done the work, builds the record. Only exits are traced: a syscall's
 * arguments are still in the task's saved user registers at its exit (the kernel reads them from there and never
 * writes them back), so no sys_enter program has to keep them — which saved the entry program (~0.25 µs) and the
 * per-syscall entry tracepoint on every traced file syscall, and a task-storage lookup at every exit. A successful open is resolved exactly: the dentry walk of the new fd's file gives the kernel's own
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

/* What a file syscall was asked to do, read from its saved registers at exit. */
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

/* The current syscall's saved user registers: its arguments, unchanged at exit (PT_REGS_PARMn_SYSCALL reads them). */
static __always_inline struct pt_regs *syscall_regs(void)
{
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

/* struct file pointers the collector has a path for → their inode (a reused pointer has another inode) */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u64);
} known_files SEC(".maps");

/*
 * `record -c COMM` and the monitor's agents: processes that take one of these names at exec (or prctl) become traced.
 * The value is the uid the process must have (COMM_FILTER_ANY_UID: any), so that the monitor's capture of one user
 * never traces another user's agent. Runtime-set.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, char[COMM_FILTER_LEN]);
	__type(value, __u32);
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

/* The open file of fd in task (a BTF-typed pointer for direct loads), or NULL. */
/*
 * The current task as an untrusted BTF pointer: loads through it read the same memory the same way. Through the
 * trusted one of bpf_get_current_task_btf(), every load of a pointer field made the verifier look up
 * "task_struct__safe_trusted" (and "..._or_null") by name in the kernel's BTF, a linear scan of its ~126k types, on
 * every path it walked: about a third of this object's load time (perf; BENCHMARKS.md, record start-up). Helpers
 * that want a trusted task (bpf_task_pt_regs) still get bpf_get_current_task_btf().
 */
static __always_inline struct task_struct *current_task(void)
{
	return as_btf(bpf_get_current_task(), struct task_struct);
}

/* Append a walked path at payload[*off]; returns its length (0 when the walk failed). */
static __always_inline __u32 append_walked(struct file_scratch *s, __u32 *off, struct path_walk *w, __u16 clipped_flag)
{
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

/* Append the absolute path of dirfd's file (or the cwd) at payload[*off]; returns its length. */
static __always_inline __u32 append_dir(struct file_scratch *s, __u32 *off, struct task_struct *task, int dirfd,
					__u16 clipped_flag)
{
	if (dirfd == AT_FDCWD)
		return append_walked(s, off, walk_path(&task->fs->pwd), clipped_flag);
	struct file *f = fd_file(task, dirfd);
	if (!f)
		return 0;
	return append_walked(s, off, walk_path(&f->f_path), clipped_flag);
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

/*
 * Paths through the fd links of /proc: "/proc/self/fd/N", "/proc/thread-self/fd/N" and "/proc/PID/fd/N", alone or
 * followed by "/rest". The kernel resolves them to fd N's file, which is still open at the syscall's exit (the
 * collector, later, could not know), so the path goes out as that file's walked path plus "rest"; another process's
 * fd table is reached with bpf_task_from_pid. Returns N and sets h->skip to the offset of "rest" (h->pid to PID when
 * it is not the caller's own), or returns -1. A bare link (no "rest") names fd N's file only for operations that
 * follow a final symlink (`follow`); unlink or rename of "/proc/self/fd/N" act on the link itself.
 */
/* kfuncs (6.2+; absent ones are compiled out by bpf_ksym_exists) */
extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym __weak;
extern void bpf_task_release(struct task_struct *p) __ksym __weak;
#ifndef bpf_ksym_exists /* libbpf < 1.2 */
#define bpf_ksym_exists(sym) (!!(sym))
#endif

#define HEAD_BYTES 64
#define H(i) head[(i) & (HEAD_BYTES - 1)]

/* The head of a path string and what proc_fd_path makes of it. */
struct path_head {
	char b[HEAD_BYTES];
	__u32 follow; /* in: the operation follows a final symlink */
	__u32 skip;   /* out: offset of "rest" */
	__u32 pid;    /* out: the process of /proc/PID/fd/N when it is not the caller's own, else 0 */
	__u32 _pad;
};

/*
 * The decimal number at h->b[i] (at most 10 digits): (digits << 40) | value. A global function too: its loop's exits,
 * explored inside every caller's paths, were most of the verifier's work.
 */
__noinline long parse_decimal(struct path_head *h, __u32 i)
{
	if (!h)
		return 0;
	__u64 v = 0, n = 0;
	for (int k = 0; k < 10; k++) {
		char c = h->b[(i + k) & (HEAD_BYTES - 1)];
		if (c < '0' || c > '9')
			break;
		v = v * 10 + (c - '0');
		n++;
	}
	return (long)(n << 40 | v);
}

#define DIGITS(r) ((__u64)(r) >> 40)
#define VALUE(r) ((__u64)(r) & ((1ULL << 40) - 1))

/*
 * A global (not inlined) function: the verifier checks it once, on its own, instead of once per path of every caller —
 * inlined, its branches multiplied every path operation's verification (a rename took 4x longer to load, the
 * io_uring submit program seconds).
 */
__noinline int proc_fd_path(struct path_head *h)
{
	if (!h)
		return -1;
	const char *head = h->b;
	int follow = h->follow;
	if (H(0) != '/' || H(1) != 'p' || H(2) != 'r' || H(3) != 'o' || H(4) != 'c' || H(5) != '/')
		return -1;
	__u32 i = 6;
	long n = 0;
	if (H(6) == 's' && H(7) == 'e' && H(8) == 'l' && H(9) == 'f' && H(10) == '/') {
		i = 11;
	} else if (H(6) == 't' && H(7) == 'h' && H(8) == 'r' && H(9) == 'e' && H(10) == 'a' && H(11) == 'd' &&
		   H(12) == '-' && H(13) == 's' && H(14) == 'e' && H(15) == 'l' && H(16) == 'f' && H(17) == '/') {
		i = 18;
	} else {
		n = parse_decimal(h, i);
		i += DIGITS(n);
		if (!DIGITS(n) || H(i) != '/')
			return -1;
		__u64 id = bpf_get_current_pid_tgid();
		if (VALUE(n) != (id >> 32) && VALUE(n) != (__u32)id)
			h->pid = VALUE(n);
		i++;
	}
	if (H(i) != 'f' || H(i + 1) != 'd' || H(i + 2) != '/')
		return -1;
	i += 3;
	n = parse_decimal(h, i);
	i += DIGITS(n);
	if (!DIGITS(n) || VALUE(n) > 0x7fffffff)
		return -1;
	int fd = VALUE(n);
	char c = H(i);
	if (c == '/')
		h->skip = i + 1;
	else if (c == 0 && follow)
		h->skip = i;
	else
		return -1;
	return fd;
}

/*
 * Append the walked path of fd N of process pid at payload[*off]; its length, 0 when there is no such file. A global
 * function: holding a task reference inside every path program's inlined code cost the verifier seconds.
 */
__noinline __u32 append_other_fd(struct file_scratch *s, __u32 *off, __u32 pid, int fd, __u16 clipped_flag)
{
	if (!s || !off || !bpf_ksym_exists(bpf_task_from_pid))
		return 0;
	struct task_struct *t = bpf_task_from_pid(pid);
	if (!t)
		return 0;
	struct file *f = fd_file(t, fd);
	__u32 len = f ? append_walked(s, off, walk_path(&f->f_path), clipped_flag) : 0;
	bpf_task_release(t);
	return len;
}

/*
 * Append a path the process passed (ptr) at payload[*off]: the base (*base_len bytes: the directory of a relative
 * path, or the file behind a /proc fd link) then the string (*path_len bytes). One read of the string's head decides
 * both whether it is relative and whether it goes through /proc/.../fd/N.
 */
static __always_inline void append_named(struct file_scratch *s, __u32 *off, struct task_struct *task, int dirfd,
					 __u64 ptr, int follow, __u16 *base_len, __u16 *path_len, __u16 base_clipped,
					 __u16 path_clipped, __u16 no_base)
{
	const char *p = (const char *)ptr;
	struct path_head head = {};
	*base_len = 0;
	*path_len = 0;
	if (!p || bpf_probe_read_user_str(head.b, sizeof(head.b), p) <= 0)
		return;
	head.follow = follow;
	/*
	 * A /proc fd link whose fd is open is a path relative to that fd's file: the rest of the string (maybe empty)
	 * goes the dirfd way. One walk site and one string copy per path keep the verifier's work (and the object's
	 * load time) close to what it was before this parse.
	 */
	int fd = proc_fd_path(&head);
	int relative = head.b[0] != '/';
	if (fd >= 0 && head.pid) {
		/* another process's /proc/PID/fd/N: a base walked from its fd table, the rest as given */
		*base_len = append_other_fd(s, off, head.pid, fd, base_clipped);
		if (*base_len) {
			p += head.skip;
			relative = 0;
		}
	} else if (fd >= 0 && fd_file(task, fd)) {
		dirfd = fd;
		p += head.skip;
		relative = 1;
	}
	if (relative) {
		*base_len = append_dir(s, off, task, dirfd, base_clipped);
		if (!*base_len)
			s->e.hdr.flags |= no_base;
	}
	*path_len = append_user(s, off, p, path_clipped);
}

static __always_inline int emit_file_op(__u64 uring_req, long ret, __u32 op, __u32 kind, int dirfd, __u64 ptr1, int dirfd2, __u64 ptr2,
					__u32 flags, __u32 mode)
{
	struct pending_file_op p = {
		.ptr1 = ptr1, .ptr2 = ptr2, .dirfd = dirfd, .dirfd2 = dirfd2,
		.op = op, .flags = flags, .mode = mode, .kind = kind,
	};

	__u32 zero = 0;
	struct file_scratch *s = bpf_map_lookup_elem(&file_scratch_map, &zero);
	if (!s) {
		stat_add(STAT_SCRATCH_MISS, 1);
		return 0;
	}
	struct file_op_event *e = &s->e;
	fill_header(&e->hdr, EV_FILE_OP, 0);
	e->file_id = uring_req; /* an io_uring request seen at submission: the key its result comes back with */
	e->ret = ret;
	if (uring_req)
		e->hdr.flags |= FILE_F_URING_PENDING;
	e->op = p.op;
	e->flags = p.flags;
	e->mode = p.mode;
	e->fmode = 0;
	e->base_len = 0;
	e->path_len = 0;
	e->base2_len = 0;
	e->path2_len = 0;
	e->_pad = 0;
	struct task_struct *task = current_task();
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
		struct path_walk *w = walk_path(&f->f_path);
		if (w) {
			e->path_len = copy_walked_path(w, s->payload);
			off = e->path_len;
			e->hdr.flags |= FILE_F_RESOLVED;
			if (w->clipped)
				e->hdr.flags |= FILE_F_PATH_CLIPPED;
		}
		e->file_id = (__u64)f;
		e->fmode = f->f_mode;
		__u64 fid = (__u64)f;
		struct inode *inode = f->f_inode;
		if ((inode->i_mode & S_IFMT) != S_IFREG)
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
		append_named(s, &off, task, p.dirfd2, p.ptr2, 0, &e->base_len, &e->path_len, FILE_F_BASE_CLIPPED,
			     FILE_F_PATH_CLIPPED, FILE_F_NO_BASE);
		e->path2_len = append_user(s, &off, (const char *)p.ptr1, FILE_F_PATH2_CLIPPED);
	} else if (p.kind != PK_FD) {
		/* opens (failed ones reach here), truncate, chmod and linkat's source follow a final /proc fd link */
		int follow = p.op == FOP_OPEN || p.op == FOP_TRUNCATE || p.op == FOP_CHMOD || p.op == FOP_LINK;
		append_named(s, &off, task, p.dirfd, p.ptr1, follow, &e->base_len, &e->path_len, FILE_F_BASE_CLIPPED,
			     FILE_F_PATH_CLIPPED, FILE_F_NO_BASE);
		if (p.ptr2 && p.kind == PK_PATH)
			append_named(s, &off, task, p.dirfd2, p.ptr2, 0, &e->base2_len, &e->path2_len,
				     FILE_F_BASE2_CLIPPED, FILE_F_PATH2_CLIPPED, 0);
	}

	__u64 size = sizeof(*e) + off;
	BARRIER_MASK(size, 32767);
	if (size > sizeof(*s))
		size = sizeof(*s);
	e->hdr.size = size;
	emit(&shared_events, s, size, STAT_RB_FULL);
	return 0;
}

/*
 * One exit program per syscall: the traced check first (most file syscalls on the machine are not ours), then the
 * arguments from the saved registers. A1..A5 are the syscall's arguments.
 */
#define A1 PT_REGS_PARM1_SYSCALL(regs)
#define A2 PT_REGS_PARM2_SYSCALL(regs)
#define A3 PT_REGS_PARM3_SYSCALL(regs)
#define A4 PT_REGS_PARM4_SYSCALL(regs)
#define A5 PT_REGS_PARM5_SYSCALL(regs)
#define FILE_OP_EXIT(name, op, kind, dirfd, p1, dirfd2, p2, flags, mode)                                  \
	SEC("tp/syscalls/sys_exit_" #name)                                                                \
	int handle_sys_exit_##name(struct trace_event_raw_sys_exit *ctx)                                  \
	{                                                                                                 \
		if (!current_traced())                                                                    \
			return 0;                                                                         \
		struct pt_regs *regs = syscall_regs();                                                    \
		return emit_file_op(0, ctx->ret, op, kind, dirfd, p1, dirfd2, p2, flags, mode);           \
	}

/* ---- opens ---- */
FILE_OP_EXIT(open, FOP_OPEN, PK_PATH, AT_FDCWD, A1, 0, 0, A2, A3)
FILE_OP_EXIT(creat, FOP_OPEN, PK_PATH, AT_FDCWD, A1, 0, 0, O_CREAT | O_WRONLY | O_TRUNC, A2)
FILE_OP_EXIT(openat, FOP_OPEN, PK_PATH, (int)A1, A2, 0, 0, A3, A4)
FILE_OP_EXIT(openat2, FOP_OPEN, PK_OPENAT2, (int)A1, A2, 0, A3, 0, 0)

/* ---- path operations ---- */
FILE_OP_EXIT(truncate, FOP_TRUNCATE, PK_PATH, AT_FDCWD, A1, 0, 0, 0, 0)
FILE_OP_EXIT(ftruncate, FOP_TRUNCATE, PK_FD, (int)A1, 0, 0, 0, 0, 0)
FILE_OP_EXIT(rename, FOP_RENAME, PK_PATH, AT_FDCWD, A1, AT_FDCWD, A2, 0, 0)
FILE_OP_EXIT(renameat, FOP_RENAME, PK_PATH, (int)A1, A2, (int)A3, A4, 0, 0)
FILE_OP_EXIT(renameat2, FOP_RENAME, PK_PATH, (int)A1, A2, (int)A3, A4, A5, 0)
FILE_OP_EXIT(unlink, FOP_UNLINK, PK_PATH, AT_FDCWD, A1, 0, 0, 0, 0)
FILE_OP_EXIT(unlinkat, (A3 & AT_REMOVEDIR) ? FOP_RMDIR : FOP_UNLINK, PK_PATH, (int)A1, A2, 0, 0, A3, 0)
FILE_OP_EXIT(rmdir, FOP_RMDIR, PK_PATH, AT_FDCWD, A1, 0, 0, 0, 0)
FILE_OP_EXIT(mkdir, FOP_MKDIR, PK_PATH, AT_FDCWD, A1, 0, 0, 0, A2)
FILE_OP_EXIT(mkdirat, FOP_MKDIR, PK_PATH, (int)A1, A2, 0, 0, 0, A3)
FILE_OP_EXIT(chmod, FOP_CHMOD, PK_PATH, AT_FDCWD, A1, 0, 0, 0, A2)
FILE_OP_EXIT(fchmod, FOP_CHMOD, PK_FD, (int)A1, 0, 0, 0, 0, A2)
FILE_OP_EXIT(fchmodat, FOP_CHMOD, PK_PATH, (int)A1, A2, 0, 0, 0, A3)
FILE_OP_EXIT(fchmodat2, FOP_CHMOD, PK_PATH, (int)A1, A2, 0, 0, A4, A3)
FILE_OP_EXIT(link, FOP_LINK, PK_PATH, AT_FDCWD, A1, AT_FDCWD, A2, 0, 0)
FILE_OP_EXIT(linkat, FOP_LINK, PK_PATH, (int)A1, A2, (int)A3, A4, A5, 0)
FILE_OP_EXIT(symlink, FOP_SYMLINK, PK_SYMLINK, 0, A1, AT_FDCWD, A2, 0, 0)
FILE_OP_EXIT(symlinkat, FOP_SYMLINK, PK_SYMLINK, 0, A1, (int)A2, A3, 0, 0)

/* ---- writes ---- */

/*
 * A fixed-size record reserved in the ring and filled in place (reserve/submit) instead of built in a scratch buffer
 * and copied out; its header is filled. NULL, counted, when the ring is full. Submit with *wake.
 */
static __always_inline void *reserve_fixed(__u32 size, __u16 type, __u64 *wake)
{
	*wake = wakeup_flags(&shared_events, size);
	struct event_header *h = bpf_ringbuf_reserve(&shared_events, size, 0);
	if (!h) {
		stat_add(STAT_RB_FULL, 1);
		return NULL;
	}
	fill_header(h, type, size);
	return h;
}

/* One write record for file f (a regular file; anything else is ignored): bytes > 0 reached it by `how`. */
static __always_inline int emit_write(struct file *f, __s64 bytes, int fd, __u8 how, __u8 mode)
{
	if (!f || bytes <= 0)
		return 0;
	struct inode *inode = f->f_inode;
	__u16 imode = inode->i_mode;
	if ((imode & S_IFMT) != S_IFREG) /* pipes, ttys, sockets (counted by the network group) */
		return 0;

	__u64 fid = (__u64)f;
	__u64 ino = (__u64)inode;
	__u64 *known = bpf_map_lookup_elem(&known_files, &fid);
	if (known && *known == ino) {
		/*
		 * The usual case: the collector knows this file's path, so the record is fixed-size and is written in
		 * place in the ring (reserve/submit) instead of built in a scratch buffer and copied out.
		 */
		__u64 wake;
		struct file_write_event *r = reserve_fixed(sizeof(*r), EV_FILE_WRITE, &wake);
		if (!r)
			return 0;
		r->file_id = fid;
		r->bytes = bytes;
		r->fd = fd;
		r->path_len = 0;
		r->how = how;
		r->mode = mode;
		bpf_ringbuf_submit(r, wake);
		return 0;
	}

	__u32 zero = 0;
	struct write_scratch *s = bpf_map_lookup_elem(&write_scratch_map, &zero);
	if (!s) {
		stat_add(STAT_SCRATCH_MISS, 1);
		return 0;
	}
	struct file_write_event *e = &s->e;
	fill_header(&e->hdr, EV_FILE_WRITE, 0);
	e->file_id = fid;
	e->bytes = bytes;
	e->fd = fd;
	e->path_len = 0;
	e->how = how;
	e->mode = mode;
	struct path_walk *w = walk_path(&f->f_path);
	if (w) {
		e->path_len = copy_walked_path(w, s->path);
		if (w->clipped)
			e->hdr.flags |= FILE_F_PATH_CLIPPED;
		e->hdr.flags |= FILE_F_RESOLVED;
	}
	bpf_map_update_elem(&known_files, &fid, &ino, BPF_ANY);
	__u64 size = sizeof(*e) + e->path_len;
	BARRIER_MASK(size, 8191);
	if (size > sizeof(*s))
		size = sizeof(*s);
	e->hdr.size = size;
	emit(&shared_events, s, size, STAT_RB_FULL);
	return 0;
}

/*
 * Every syscall that puts bytes into a file, from its exit: the fd written (an argument) and how many bytes (the
 * result, or for fallocate the length argument). copy_file_range/splice write to their third argument, sendfile to
 * its first; a splice or sendfile into a pipe or socket is not a file write (emit_write drops non-regular files).
 */
#define WRITE_EXIT(name, out_fd, nbytes, how, mode)                                        \
	SEC("tp/syscalls/sys_exit_" #name)                                                 \
	int handle_sys_exit_##name(struct trace_event_raw_sys_exit *ctx)                   \
	{                                                                                  \
		long ret = ctx->ret;                                                       \
		if (ret < 0 || !current_traced())                                          \
			return 0;                                                          \
		struct pt_regs *regs = syscall_regs();                                     \
		int fd = (int)(out_fd);                                                    \
		struct task_struct *task = current_task(); \
		return emit_write(fd_file(task, fd), (nbytes), fd, how, (mode));           \
	}

WRITE_EXIT(write, A1, ret, FW_WRITE, 0)
WRITE_EXIT(pwrite64, A1, ret, FW_WRITE, 0)
WRITE_EXIT(writev, A1, ret, FW_WRITE, 0)
WRITE_EXIT(pwritev, A1, ret, FW_WRITE, 0)
WRITE_EXIT(pwritev2, A1, ret, FW_WRITE, 0)
WRITE_EXIT(copy_file_range, A3, ret, FW_COPY_FILE_RANGE, 0)
WRITE_EXIT(sendfile64, A1, ret, FW_SENDFILE, 0)
WRITE_EXIT(splice, A3, ret, FW_SPLICE, 0)
/* fallocate(fd, mode, offset, len) returns 0: the record carries the range's length and the mode */
WRITE_EXIT(fallocate, A1, (__s64)A4, FW_FALLOCATE, (__u8)A2)

/*
 * Reflink copies: `cp` (coreutils >= 9 defaults to --reflink=auto) clones on btrfs/xfs with ioctl(dst, FICLONE, src)
 * and writes nothing. The cheap tests first: most ioctls on the machine are not ours and not clones.
 */
#define FICLONE 0x40049409
#define FICLONERANGE 0x4020940d

struct clone_range { /* struct file_clone_range */
	__s64 src_fd;
	__u64 src_offset;
	__u64 src_length; /* 0: to the end of the source */
	__u64 dest_offset;
};

SEC("tp/syscalls/sys_exit_ioctl")
int handle_sys_exit_ioctl(struct trace_event_raw_sys_exit *ctx)
{
	if (ctx->ret != 0)
		return 0;
	struct pt_regs *regs = syscall_regs();
	__u32 cmd = A2;
	if ((cmd != FICLONE && cmd != FICLONERANGE) || !current_traced())
		return 0;
	int fd = (int)A1;
	struct task_struct *task = current_task();
	struct file *f = fd_file(task, fd);
	if (!f)
		return 0;
	/* after a whole-file clone the destination is the source's size */
	__s64 bytes = f->f_inode->i_size;
	if (cmd == FICLONERANGE) {
		struct clone_range r = {};
		bpf_probe_read_user(&r, sizeof(r), (void *)A3);
		bytes = r.src_length ? (__s64)r.src_length : bytes - (__s64)r.dest_offset;
	}
	return emit_write(f, bytes, fd, FW_CLONE, 0);
}

/*
 * Stores through a shared writable mapping reach the file with no syscall (linkers such as lld write their output this
 * way): the mapping itself is recorded, with its length. Cheap tests first: nearly every mmap on the machine is
 * private or read-only. A file with no name left (memfd, unlinked) is skipped: no path can show its changes.
 */
#define PROT_WRITE 0x2
#define MAP_SHARED 0x01

SEC("tp/syscalls/sys_exit_mmap")
int handle_sys_exit_mmap(struct trace_event_raw_sys_exit *ctx)
{
	if ((unsigned long)ctx->ret >= (unsigned long)-4095) /* -errno */
		return 0;
	struct pt_regs *regs = syscall_regs();
	if (!(A3 & PROT_WRITE) || !(A4 & MAP_SHARED) || !current_traced())
		return 0;
	int fd = (int)A5;
	struct task_struct *task = current_task();
	struct file *f = fd_file(task, fd);
	if (!f || !f->f_inode->i_nlink)
		return 0;
	return emit_write(f, (__s64)A2, fd, FW_MMAP, 0);
}

/* ---- io_uring ---- */

/*
 * io_uring requests do not pass through the syscall tracepoints: a write is issued inline by io_uring_enter, by an
 * io-wq worker or by the SQPOLL thread. Those threads belong to the ring owner's process (same tgid), and CQEs are
 * posted from task context, so `current` at io_uring_complete is the traced process. The request (struct io_kiocb)
 * holds its file (req->file, also for fixed files) and, at the start of the request, its per-opcode command
 * (struct io_open, struct io_sync …: each begins with the file pointer). Writes, splices into files, fallocate and
 * opens are recorded like their syscalls at completion; path operations at submission (uring_path_op). Ftruncate,
 * xattrs, opens into fixed-file slots, failed opens and file requests that post no completion are counted per
 * process (EV_FILE_UNTRACED → loss `io_uring:untraced`).
 */
static __always_inline int uring_changes_files(__u8 op)
{
	switch (op) {
	case IORING_OP_WRITEV:
	case IORING_OP_WRITE_FIXED:
	case IORING_OP_WRITE:
	case IORING_OP_WRITEV_FIXED:
	case IORING_OP_SPLICE:
	case IORING_OP_FALLOCATE:
	case IORING_OP_OPENAT:
	case IORING_OP_OPENAT2:
	case IORING_OP_RENAMEAT:
	case IORING_OP_UNLINKAT:
	case IORING_OP_MKDIRAT:
	case IORING_OP_SYMLINKAT:
	case IORING_OP_LINKAT:
	case IORING_OP_FSETXATTR:
	case IORING_OP_SETXATTR:
	case IORING_OP_FTRUNCATE:
		return 1;
	default:
		return 0;
	}
}

static __always_inline int emit_untraced(__u8 opcode, __s32 res, __u8 at_submit)
{
	__u64 wake;
	struct file_untraced_event *r = reserve_fixed(sizeof(*r), EV_FILE_UNTRACED, &wake);
	if (!r)
		return 0;
	r->res = res;
	r->opcode = opcode;
	r->at_submit = at_submit;
	r->_pad = 0;
	bpf_ringbuf_submit(r, wake);
	return 0;
}

SEC("tp_btf/io_uring_complete")
int BPF_PROG(handle_io_uring_complete, struct io_ring_ctx *ring, void *req_ptr, struct io_uring_cqe *cqe)
{
	/* auxiliary CQEs (multishot, msg_ring) come without a request */
	if (!req_ptr || !current_traced())
		return 0;
	struct io_kiocb *req = as_btf(req_ptr, struct io_kiocb);
	__u8 op = req->opcode;
	if (!uring_changes_files(op))
		return 0;
	__s32 res = cqe->res;
	switch (op) {
	case IORING_OP_WRITEV:
	case IORING_OP_WRITE_FIXED:
	case IORING_OP_WRITE:
	case IORING_OP_WRITEV_FIXED:
	case IORING_OP_SPLICE:
		return emit_write(req->file, res, -1, FW_IO_URING, 0);
	case IORING_OP_FALLOCATE: {
		struct io_sync *sync = as_btf(req, struct io_sync);
		if (res == 0)
			return emit_write(req->file, sync->len, -1, FW_FALLOCATE, (__u8)sync->mode);
		return 0;
	}
	case IORING_OP_OPENAT:
	case IORING_OP_OPENAT2: {
		struct io_open *open = as_btf(req, struct io_open);
		/* a failed open changed nothing but names a path we cannot read any more: counted, as is a fixed slot */
		if (res < 0 || open->file_slot)
			return emit_untraced(op, res, 0);
		return emit_file_op(0, res, FOP_OPEN, PK_FD, AT_FDCWD, 0, 0, 0, open->how.flags, open->how.mode);
	}
	case IORING_OP_RENAMEAT:
	case IORING_OP_UNLINKAT:
	case IORING_OP_MKDIRAT:
	case IORING_OP_SYMLINKAT:
	case IORING_OP_LINKAT: {
		/* the operation itself went out at submission (uring_path_op): its result, keyed by the request */
		__u64 wake;
		struct file_uring_done_event *r = reserve_fixed(sizeof(*r), EV_FILE_URING_DONE, &wake);
		if (!r)
			return 0;
		r->req = (__u64)req_ptr;
		r->res = res;
		r->_pad = 0;
		bpf_ringbuf_submit(r, wake);
		return 0;
	}
	default:
		return emit_untraced(op, res, 0);
	}
}

/*
 * Path operations through io_uring (renameat, unlinkat, mkdirat, symlinkat, linkat) are recorded at submission,
 * where prep has just copied their names (struct filename, which keeps the user pointer it copied from; the string
 * is resident and the submitter — the process or its SQPOLL thread — shares the process's memory, cwd and fds): the
 * same record as the syscall's, built by the same code, flagged pending and keyed by the request. By completion the
 * names are freed; io_uring_complete sends only the result (EV_FILE_URING_DONE) and the collector pairs the two.
 */
static __always_inline int uring_path_op(struct io_kiocb *req, __u8 op)
{
	/* the arguments first, one emit_file_op after: five inlined copies of it took the verifier 8 s */
	struct io_rename *r = as_btf(req, struct io_rename); /* renameat; linkat and symlinkat share its layout */
	struct io_link *l = as_btf(req, struct io_link);
	__u32 fop = FOP_RENAME, kind = PK_PATH, flags = 0, mode = 0;
	int dirfd = 0, dirfd2 = 0;
	__u64 p1 = 0, p2 = 0;
	if (op == IORING_OP_RENAMEAT || op == IORING_OP_LINKAT) {
		fop = op == IORING_OP_RENAMEAT ? FOP_RENAME : FOP_LINK;
		dirfd = r->old_dfd;
		p1 = (__u64)r->oldpath->uptr;
		dirfd2 = r->new_dfd;
		p2 = (__u64)r->newpath->uptr;
		flags = r->flags;
	} else if (op == IORING_OP_SYMLINKAT) { /* oldpath is the target text, newpath (relative to new_dfd) the link */
		fop = FOP_SYMLINK;
		kind = PK_SYMLINK;
		p1 = (__u64)l->oldpath->uptr;
		dirfd2 = l->new_dfd;
		p2 = (__u64)l->newpath->uptr;
	} else if (op == IORING_OP_UNLINKAT) {
		struct io_unlink *u = as_btf(req, struct io_unlink);
		flags = u->flags;
		fop = (flags & AT_REMOVEDIR) ? FOP_RMDIR : FOP_UNLINK;
		dirfd = u->dfd;
		p1 = (__u64)u->filename->uptr;
	} else {
		struct io_mkdir *m = as_btf(req, struct io_mkdir);
		fop = FOP_MKDIR;
		dirfd = m->dfd;
		p1 = (__u64)m->filename->uptr;
		mode = m->mode;
	}
	return emit_file_op((__u64)req, 0, fop, kind, dirfd, p1, dirfd2, p2, flags, mode);
}

SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(handle_io_uring_submit_req, struct io_kiocb *req)
{
	__u8 op = req->opcode;
	int path_op = op == IORING_OP_RENAMEAT || op == IORING_OP_UNLINKAT || op == IORING_OP_MKDIRAT ||
		      op == IORING_OP_SYMLINKAT || op == IORING_OP_LINKAT;
	int skip = (req->flags & REQ_F_CQE_SKIP) != 0;
	if ((!path_op && !skip) || !current_traced())
		return 0;
	/* a request that asked not to post its CQE on success (IOSQE_CQE_SKIP_SUCCESS) is never seen at completion */
	if (skip)
		return uring_changes_files(op) ? emit_untraced(op, 0, 1) : 0;
	return uring_path_op(req, op);
}

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
	__u32 *uid = bpf_map_lookup_elem(&comm_filter, key);
	if (!uid)
		return 0;
	if (*uid != COMM_FILTER_ANY_UID && *uid != BPF_CORE_READ(task, cred, uid.val))
		return 0;
	__u64 kstart = BPF_CORE_READ(task, start_time);
	bpf_map_update_elem(&shared_traced, &tgid, &kstart, BPF_NOEXIST);
	return 0;
}
