/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Maps and helpers every probe group shares. Maps named shared_* exist once: the loader reuses the first object's
 * map fd for the same name in every later object, so process, file, network and TLS programs see one traced set.
 */
#ifndef AGENTSIGHT_COMMON_BPF_H
#define AGENTSIGHT_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "events.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

const volatile struct agentsight_cfg cfg = {};

/* Processes whose activity is captured: tgid -> kernel start time. Seeded by the loader, extended at fork. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u64);
} shared_traced SEC(".maps");

/* Processes whose *children* are traced but which are not traced themselves (agentsight spawning `record -- CMD`). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u8);
} shared_seeds SEC(".maps");

/* Process, file and network records. TLS payloads have their own ring (bpf/tls.bpf.c) so bursts cannot crowd these out. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 * 1024 * 1024); /* resized by the loader */
} shared_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} shared_stats SEC(".maps");

static __always_inline void stat_add(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&shared_stats, &idx);
	if (v)
		*v += n;
}

static __always_inline int is_traced(__u32 tgid)
{
	return bpf_map_lookup_elem(&shared_traced, &tgid) != NULL;
}

static __always_inline __u64 task_kstart(struct task_struct *task)
{
	return BPF_CORE_READ(task, group_leader, start_time);
}

/*
 * Wake the consumer only when enough is pending: with the kernel default every record wakes user space and a traced
 * syscall-heavy program ran 2.4-4x slower (1.3x with this). A forced wakeup is sent when this record makes the pending
 * data cross a multiple of cfg.wakeup_bytes — at most one per wakeup_bytes produced, even while the consumer lags
 * (waking on "pending >= threshold" would wake on every record then). The consumer polls with a short timeout for
 * the rest.
 */
static __always_inline __u64 wakeup_flags(void *ring, __u64 size)
{
	__u64 w = cfg.wakeup_bytes ? cfg.wakeup_bytes : 1;
	__u64 pending = bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA);
	return pending / w != (pending + size) / w ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline void emit(void *ring, void *data, __u64 size, __u32 lost_stat)
{
	if (bpf_ringbuf_output(ring, data, size, wakeup_flags(ring, size)))
		stat_add(lost_stat, 1);
}

static __always_inline void fill_header(struct event_header *h, __u16 type, __u32 size)
{
	__u64 id = bpf_get_current_pid_tgid();
	h->type = type;
	h->flags = 0;
	h->size = size;
	h->ts_ns = bpf_ktime_get_ns();
	h->tgid = id >> 32;
	h->tid = (__u32)id;
}

/*
 * A kernel pointer held as a number (read with a helper, or kept in a map value) typed again for direct loads:
 * bpf_rdonly_cast costs nothing (the verifier turns it into a register move) and loads through the result are
 * fault-tolerant (a bad address reads as 0), so a field costs one instruction instead of a bpf_probe_read_kernel
 * call. Read-only: such a pointer cannot be passed to helpers that want a trusted one.
 */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;
#define as_btf(v, type) ((type *)bpf_rdonly_cast((void *)(v), bpf_core_type_id_kernel(type)))

/* Mask helper: clang may reuse an unclamped register after a bounds check ("R2 min value is negative");
 * this pins the mask. */
#define BARRIER_MASK(v, mask) asm volatile("%0 &= " #mask : "+r"(v))

/* The open file of fd in task (a BTF-typed pointer for direct loads), or NULL. */
static __always_inline struct file *fd_file(struct task_struct *task, int fd)
{
	if (fd < 0)
		return NULL;
	struct fdtable *fdt = task->files->fdt;
	if ((unsigned int)fd >= fdt->max_fds)
		return NULL;
	/* a variable index into a BTF-typed array is not a direct load the verifier allows: one helper call */
	struct file **arr = fdt->fd;
	__u64 f = 0;
	bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]);
	if (!f)
		return NULL;
	return as_btf(f, struct file);
}

#endif
