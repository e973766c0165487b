// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Process lifecycle: fork, exec (and failed execs), exit. Typed tracepoints (tp_btf) give the task_struct and
 * linux_binprm directly; failed execs produce no sched_process_exec, so the execve/execveat syscall tracepoints
 * catch those. The traced set (shared_traced) is extended here at fork, in the kernel, so a child is
 * traced from its first instruction.
 */
#include "common.bpf.h"
#include "process.h"
#include "path.bpf.h"

/* exe (<4 KiB) + cwd (<4 KiB) + argv (<16 KiB); per-CPU values are limited to 32 KiB */
#define EXEC_PAYLOAD 24576
#define FAILED_ARGS_MAX 32
#define FAILED_ARG_BYTES 1024

struct exec_scratch {
	struct proc_exec_event e;
	char payload[EXEC_PAYLOAD];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exec_scratch);
} exec_scratch_map SEC(".maps");

/* execve arguments seen at sys_enter, by thread, read again at sys_exit only if the exec failed. */
struct exec_args {
	const char *filename;
	const char *const *argv;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct exec_args);
} pending_execs SEC(".maps");

/* Exec hold (process.h): the knob and counters, the files already probed in this capture, the processes stopped. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EXEC_HOLD_CTL_MAX);
	__type(key, __u32);
	__type(value, __u64);
} exec_hold_ctl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct exec_file_key);
	__type(value, __u8);
} exec_handled SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct exec_hold);
} exec_held SEC(".maps");

/*
 * Container scope (`record --container`, src/collector/containers/): every process in one of these cgroups (or a
 * cgroup below one) is traced, whoever its parent: `docker exec` starts its process from the runtime, not from a
 * traced process. Key: the cgroup v2 id (the kernfs id of its directory, the inode number a stat of it shows).
 * cgroup_scope_on[0] != 0 only while a scope is set, so other captures skip the walk.
 */
#define CGROUP_SCOPE_DEPTH 8

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u64);
	__type(value, __u8);
} cgroup_scope SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup_scope_on SEC(".maps");

/* The task's cgroup v2 or one of its CGROUP_SCOPE_DEPTH nearest ancestors is in cgroup_scope. */
static __always_inline int in_cgroup_scope(struct task_struct *t)
{
	__u32 zero = 0;
	__u32 *on = bpf_map_lookup_elem(&cgroup_scope_on, &zero);
	if (!on || !*on)
		return 0;
	struct cgroup *cg = BPF_CORE_READ(t, cgroups, dfl_cgrp);
	for (int i = 0; i < CGROUP_SCOPE_DEPTH && cg; i++) {
		__u64 id = BPF_CORE_READ(cg, kn, id);
		if (bpf_map_lookup_elem(&cgroup_scope, &id))
			return 1;
		/* struct cgroup begins with its own css: the parent css is the parent cgroup's */
		cg = BPF_CORE_READ(cg, self.parent, cgroup);
	}
	return 0;
}

#define SIGCONT_NR 18
#define SIGSTOP_NR 19

static __always_inline void ctl_add(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&exec_hold_ctl, &idx);
	if (v)
		__sync_fetch_and_add(v, 1);
}

/*
 * Stop a traced process at the exec of a file the collector has not probed yet, so that it cannot make a TLS call
 * before the probes are in: the signal is queued now and takes effect on the way back to user space, before the new
 * image's first instruction (a stopped /bin/true stayed in state T until SIGCONT). Returns 1 when stopped (exec_held then holds the entry the collector and
 * the guard continue it from). Not held, and counted: a process in another process group than its parent (a job-
 * control shell waits with WUNTRACED and would report the job as stopped; agentsight's own child is the exception),
 * a ptraced one (its tracer would see the stop).
 */
static __always_inline int hold_exec(struct task_struct *p, struct linux_binprm *bprm, __u32 tgid)
{
	__u32 k = EXEC_HOLD_MIN_BYTES;
	__u64 *min = bpf_map_lookup_elem(&exec_hold_ctl, &k);
	if (!min || *min == 0 || !is_traced(tgid))
		return 0;
	struct inode *inode = BPF_CORE_READ(bprm, file, f_inode);
	if (BPF_CORE_READ(inode, i_size) < (__s64)*min)
		return 0;
	struct exec_hold h = {};
	h.file.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	h.file.ino = BPF_CORE_READ(inode, i_ino);
	if (bpf_map_lookup_elem(&exec_handled, &h.file))
		return 0;
	struct task_struct *parent = BPF_CORE_READ(p, real_parent);
	__u32 parent_tgid = BPF_CORE_READ(parent, tgid);
	int other_group = BPF_CORE_READ(p, signal, pids[PIDTYPE_PGID]) != BPF_CORE_READ(parent, signal, pids[PIDTYPE_PGID]);
	/* A container's runtime (containerd-shim, runc: `docker exec`) is no job-control shell: its child is held. */
	int runtime_child = !is_traced(parent_tgid) && in_cgroup_scope(p);
	if ((other_group && parent_tgid != cfg.self_tgid && !runtime_child) || BPF_CORE_READ(p, ptrace)) {
		ctl_add(EXEC_HOLD_NOT_HELD);
		return 0;
	}
	h.ts_ns = bpf_ktime_get_ns();
	h.kstart_ns = task_kstart(p);
	if (bpf_map_update_elem(&exec_held, &tgid, &h, BPF_ANY)) {
		ctl_add(EXEC_HOLD_NOT_HELD);
		return 0;
	}
	if (bpf_send_signal(SIGSTOP_NR)) {
		bpf_map_delete_elem(&exec_held, &tgid);
		ctl_add(EXEC_HOLD_NOT_HELD);
		return 0;
	}
	return 1;
}

/* The process's pid as its own pid namespace numbers it (struct pid's numbers[level]): a container's pid 1 is 1. */
static __always_inline __u32 ns_tgid_of(struct task_struct *p)
{
	struct pid *pid = BPF_CORE_READ(p, group_leader, thread_pid);
	__u32 level = BPF_CORE_READ(pid, level);
	struct upid up = {};
	bpf_probe_read_kernel(&up, sizeof(up), (void *)pid + bpf_core_field_offset(struct pid, numbers) + (level & 31) * bpf_core_type_size(struct upid));
	return up.nr;
}

static __always_inline int wanted(__u32 tgid)
{
	if (tgid == cfg.self_tgid)
		return 0;
	return cfg.all_processes || is_traced(tgid);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 child_pid = BPF_CORE_READ(child, pid);
	__u32 child_tgid = BPF_CORE_READ(child, tgid);
	if (child_pid != child_tgid) /* a new thread, not a process */
		return 0;
	__u32 parent_tgid = BPF_CORE_READ(parent, tgid);
	__u64 kstart = BPF_CORE_READ(child, start_time);

	int traced = is_traced(parent_tgid) || bpf_map_lookup_elem(&shared_seeds, &parent_tgid) != NULL ||
		     (child_tgid != cfg.self_tgid && in_cgroup_scope(child));
	if (traced)
		bpf_map_update_elem(&shared_traced, &child_tgid, &kstart, BPF_ANY);
	else if (!cfg.all_processes || parent_tgid == cfg.self_tgid)
		return 0;

	struct proc_fork_event e = {};
	fill_header(&e.hdr, EV_PROC_FORK, sizeof(e));
	e.hdr.tgid = child_tgid; /* the record is about the child; current is the parent */
	e.hdr.tid = child_pid;
	e.kstart_ns = kstart;
	e.parent_kstart_ns = task_kstart(parent);
	e.parent_tgid = parent_tgid;
	e.uid = BPF_CORE_READ(child, cred, uid.val);
	BPF_CORE_READ_STR_INTO(&e.comm, child, comm);
	emit(&shared_events, &e, sizeof(e), STAT_RB_FULL);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_sched_process_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);
	/* A process that joined a scoped cgroup after its fork (runc moves `docker exec`'s process in, then it execs). */
	if (tgid != cfg.self_tgid && !is_traced(tgid) && in_cgroup_scope(p)) {
		__u64 kstart = task_kstart(p);
		bpf_map_update_elem(&shared_traced, &tgid, &kstart, BPF_ANY);
	}
	if (!wanted(tgid))
		return 0;
	__u32 zero = 0;
	struct exec_scratch *s = bpf_map_lookup_elem(&exec_scratch_map, &zero);
	if (!s) {
		stat_add(STAT_SCRATCH_MISS, 1);
		return 0;
	}
	struct proc_exec_event *e = &s->e;
	fill_header(&e->hdr, EV_PROC_EXEC, 0);
	e->kstart_ns = task_kstart(p);
	e->ppid = BPF_CORE_READ(p, real_parent, tgid);
	e->uid = BPF_CORE_READ(p, cred, uid.val);
	e->ret = 0;
	e->ns_tgid = ns_tgid_of(p);
	BPF_CORE_READ_STR_INTO(&e->comm, p, comm);

	__u32 exe_len = 0, cwd_len = 0, argv_len = 0;
	struct path_walk *w = walk_path(__builtin_preserve_access_index(&bprm->file->f_path));
	if (w) {
		exe_len = copy_walked_path(w, s->payload);
		if (w->clipped)
			e->hdr.flags |= EXEC_F_EXE_CLIPPED;
	}
	struct fs_struct *fs = BPF_CORE_READ(p, fs);
	w = walk_path(__builtin_preserve_access_index(&fs->pwd));
	if (w) {
		BARRIER_MASK(exe_len, 4095);
		cwd_len = copy_walked_path(w, &s->payload[exe_len]);
		if (w->clipped)
			e->hdr.flags |= EXEC_F_CWD_CLIPPED;
	}

	struct mm_struct *mm = BPF_CORE_READ(p, mm);
	unsigned long arg_start = BPF_CORE_READ(mm, arg_start);
	unsigned long arg_end = BPF_CORE_READ(mm, arg_end);
	__u64 want = arg_end > arg_start ? arg_end - arg_start : 0;
	if (want > ARGV_MAX - 1) {
		want = ARGV_MAX - 1;
		e->hdr.flags |= EXEC_F_ARGV_CLIPPED;
		stat_add(STAT_ARGV_CLIPPED, 1);
	}
	argv_len = want;
	__u32 argv_off = exe_len + cwd_len;
	BARRIER_MASK(argv_off, 8191);
	BARRIER_MASK(argv_len, 16383);
	if (bpf_probe_read_user(&s->payload[argv_off], argv_len, (void *)arg_start))
		argv_len = 0;

	e->exe_len = exe_len;
	e->cwd_len = cwd_len;
	e->argv_len = argv_len;
	__u64 size = sizeof(*e) + exe_len + cwd_len + argv_len;
	BARRIER_MASK(size, 32767);
	if (size > sizeof(*s))
		size = sizeof(*s);
	e->hdr.size = size;
	if (!hold_exec(p, bprm, tgid)) {
		emit(&shared_events, s, size, STAT_RB_FULL);
		return 0;
	}
	/* Held: the collector must see this exec now (it is what continues the process), so wake it. A record that does
	 * not reach it would leave the process stopped until the guard's bound: continue it at once instead (a SIGCONT
	 * queued before the stop took effect cancels it) and count the exec as not held. */
	e->hdr.flags |= EXEC_F_HELD;
	if (bpf_ringbuf_output(&shared_events, s, size, BPF_RB_FORCE_WAKEUP)) {
		stat_add(STAT_RB_FULL, 1);
		bpf_send_signal(SIGCONT_NR);
		bpf_map_delete_elem(&exec_held, &tgid);
		ctl_add(EXEC_HOLD_NOT_HELD);
	}
	return 0;
}

static __always_inline int remember_exec(const char *filename, const char *const *argv)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!wanted(id >> 32))
		return 0;
	__u32 tid = (__u32)id;
	struct exec_args a = { .filename = filename, .argv = argv };
	bpf_map_update_elem(&pending_execs, &tid, &a, BPF_ANY);
	return 0;
}

SEC("tp/syscalls/sys_enter_execve")
int handle_sys_enter_execve(struct trace_event_raw_sys_enter *ctx)
{
	return remember_exec((const char *)ctx->args[0], (const char *const *)ctx->args[1]);
}

SEC("tp/syscalls/sys_enter_execveat")
int handle_sys_enter_execveat(struct trace_event_raw_sys_enter *ctx)
{
	return remember_exec((const char *)ctx->args[1], (const char *const *)ctx->args[2]);
}

struct failed_args_ctx {
	struct exec_scratch *s;
	const char *const *argv;
	__u32 off;     /* where the next argument goes in payload */
	__u32 start;   /* where argv begins in payload */
	__u32 clipped; /* an argument was cut, or some were left out */
};

static long copy_failed_arg(__u32 i, void *c)
{
	struct failed_args_ctx *ctx = c;
	const char *arg = NULL;
	if (bpf_probe_read_user(&arg, sizeof(arg), &ctx->argv[i]) || !arg)
		return 1;
	__u32 off = ctx->off;
	if (off > ctx->start + ARGV_MAX - FAILED_ARG_BYTES) {
		ctx->clipped = 1;
		return 1;
	}
	BARRIER_MASK(off, 16383);
	long n = bpf_probe_read_user_str(&ctx->s->payload[off], FAILED_ARG_BYTES, arg);
	if (n <= 0)
		return 1;
	/* A string that filled the buffer may have been cut (one of exactly FAILED_ARG_BYTES - 1 bytes is marked too). */
	if (n == FAILED_ARG_BYTES)
		ctx->clipped = 1;
	ctx->off = off + n;
	return 0;
}

static __always_inline int report_failed_exec(long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct exec_args *a = bpf_map_lookup_elem(&pending_execs, &tid);
	if (!a) {
		if (ret < 0 && wanted(id >> 32))
			stat_add(STAT_EXEC_MISSED, 1);
		return 0;
	}
	struct exec_args args = *a;
	bpf_map_delete_elem(&pending_execs, &tid);
	if (ret >= 0)
		return 0;

	__u32 zero = 0;
	struct exec_scratch *s = bpf_map_lookup_elem(&exec_scratch_map, &zero);
	if (!s) {
		stat_add(STAT_SCRATCH_MISS, 1);
		return 0;
	}
	struct proc_exec_event *e = &s->e;
	fill_header(&e->hdr, EV_PROC_EXEC_FAILED, 0);
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	e->kstart_ns = task_kstart(task);
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->uid = BPF_CORE_READ(task, cred, uid.val);
	e->ret = ret;
	e->ns_tgid = 0;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));

	long n = bpf_probe_read_user_str(s->payload, PATH_MAX_BYTES, args.filename);
	__u32 exe_len = n > 0 ? n - 1 : 0; /* without the NUL */
	__u32 cwd_len = 0;
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	struct path_walk *w = walk_path(__builtin_preserve_access_index(&fs->pwd));
	if (w) {
		BARRIER_MASK(exe_len, 4095);
		cwd_len = copy_walked_path(w, &s->payload[exe_len]);
	}
	struct failed_args_ctx ctx = { .s = s, .argv = args.argv, .off = exe_len + cwd_len, .start = exe_len + cwd_len };
	long copied = bpf_loop(FAILED_ARGS_MAX, copy_failed_arg, &ctx, 0);
	if (copied == FAILED_ARGS_MAX) {
		/* Every slot used: clipped when argv goes on past them. */
		const char *more = NULL;
		if (!bpf_probe_read_user(&more, sizeof(more), &args.argv[FAILED_ARGS_MAX]) && more)
			ctx.clipped = 1;
	}
	if (ctx.clipped)
		e->hdr.flags |= EXEC_F_ARGV_CLIPPED;
	__u32 argv_len = ctx.off - ctx.start;

	e->exe_len = exe_len;
	e->cwd_len = cwd_len;
	e->argv_len = argv_len;
	__u64 size = sizeof(*e) + exe_len + cwd_len + argv_len;
	BARRIER_MASK(size, 32767);
	if (size > sizeof(*s))
		size = sizeof(*s);
	e->hdr.size = size;
	emit(&shared_events, s, size, STAT_RB_FULL);
	return 0;
}

SEC("tp/syscalls/sys_exit_execve")
int handle_sys_exit_execve(struct trace_event_raw_sys_exit *ctx)
{
	return report_failed_exec(ctx->ret);
}

SEC("tp/syscalls/sys_exit_execveat")
int handle_sys_exit_execveat(struct trace_event_raw_sys_exit *ctx)
{
	return report_failed_exec(ctx->ret);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_sched_process_exit, struct task_struct *p)
{
	/* signal->live drops to zero before this tracepoint only when the last thread of the group exits */
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	__u32 tgid = BPF_CORE_READ(p, tgid);
	int traced = is_traced(tgid);
	if (traced) {
		bpf_map_delete_elem(&shared_traced, &tgid);
		/* killed while held: nothing to continue, and the tgid may be reused */
		bpf_map_delete_elem(&exec_held, &tgid);
	}
	else if (!cfg.all_processes || tgid == cfg.self_tgid)
		return 0;

	struct proc_exit_event e = {};
	fill_header(&e.hdr, EV_PROC_EXIT, sizeof(e));
	e.hdr.tgid = tgid;
	e.kstart_ns = task_kstart(p);
	e.exit_code = BPF_CORE_READ(p, exit_code);
	e.maxrss_kb = BPF_CORE_READ(p, signal, maxrss) * 4; /* pages of 4 KiB (x86-64) */
	BPF_CORE_READ_STR_INTO(&e.comm, p, comm);
	emit(&shared_events, &e, sizeof(e), STAT_RB_FULL);
	return 0;
}
