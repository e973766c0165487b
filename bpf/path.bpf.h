/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Absolute paths rebuilt in the kernel from a struct path (dentry + vfsmount), walking d_parent and crossing mount
 * points, as Tetragon/Tracee/Falco do: bpf_d_path is rejected from tracepoints on this kernel
 * ("helper call is not allowed in probe").
 * The walk state lives in a per-CPU map value and the loop runs under bpf_loop: with the state on the stack the
 * verifier never converged ("program is too large").
 *
 * The path is written backwards into buf, ending at PATH_END; a path is at most PATH_END (4095) bytes. Longer or
 * deeper paths set `clipped` and keep their deepest components.
 */
#ifndef AGENTSIGHT_PATH_BPF_H
#define AGENTSIGHT_PATH_BPF_H

#include "common.bpf.h"
#include "process.h"

#define PATH_END (PATH_MAX_BYTES - 1)
#define NAME_MAX_BYTES 256
#define WALK_MAX_DEPTH 256

struct path_walk {
	char buf[PATH_MAX_BYTES * 2]; /* twice the path limit so masked offsets + name lengths stay inside */
	/* kernel pointers kept as numbers: map values hold no typed pointers; as_btf() types them again */
	__u64 dentry;
	__u64 mnt;      /* struct mount * */
	__u64 mnt_root; /* its vfsmount's mnt_root, read once per mount rather than once per component */
	__u32 off;      /* the path starts at buf[off] and ends at buf[PATH_END) */
	__u32 clipped;
	__u32 done;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path_walk);
} path_scratch SEC(".maps");

struct path_walk_ctx {
	struct path_walk *w;
};

/*
 * One component per call: d_parent and d_name are read by direct loads of BTF-typed pointers (the verifier turns
 * them into fault-tolerant loads: a bad pointer reads as 0, no helper call), and only the name itself is copied by a
 * helper. Helper calls dominated the walk: five per component at first, then two (~1.7 µs per record), now one.
 */
static long path_walk_step(__u32 i, void *c)
{
	struct path_walk *w = ((struct path_walk_ctx *)c)->w;
	struct dentry *d = as_btf(w->dentry, struct dentry);
	__u64 parent = (__u64)d->d_parent;
	if (!parent) {
		/* an unreadable dentry (d_parent is never NULL in a live one): keep what we have, clipped and counted */
		w->clipped = 1;
		w->done = 1;
		stat_add(STAT_PATH_CLIPPED, 1);
		return 1;
	}

	if (w->dentry == w->mnt_root || w->dentry == parent) {
		if (w->dentry != w->mnt_root) { /* root of a detached or pseudo filesystem */
			w->done = 1;
			return 1;
		}
		struct mount *m = as_btf(w->mnt, struct mount);
		__u64 mp = (__u64)m->mnt_parent;
		if (w->mnt == mp) { /* the namespace root */
			w->done = 1;
			return 1;
		}
		w->dentry = (__u64)m->mnt_mountpoint;
		w->mnt = mp;
		w->mnt_root = (__u64)as_btf(mp, struct mount)->mnt.mnt_root;
		return 0;
	}

	__u32 len = d->d_name.len;
	const unsigned char *name = d->d_name.name;
	__u32 off = w->off;
	if (len >= NAME_MAX_BYTES || off < len + 1) {
		w->clipped = 1;
		w->done = 1;
		return 1;
	}
	off -= len + 1;
	BARRIER_MASK(off, 4095);
	BARRIER_MASK(len, 255);
	w->buf[off] = '/';
	bpf_probe_read_kernel(&w->buf[off + 1], len, name);
	w->off = off;
	w->dentry = parent;
	return 0;
}

/*
 * Walk `path` into the per-CPU scratch; returns it (path at buf[off..PATH_END)) or NULL. `path` may be a typed
 * pointer or a number read by a helper: it is typed again here for direct loads.
 */
static __always_inline struct path_walk *walk_path(const struct path *path)
{
	const struct path *p = as_btf(path, struct path);
	__u32 zero = 0;
	struct path_walk *w = bpf_map_lookup_elem(&path_scratch, &zero);
	if (!w)
		return NULL;
	struct vfsmount *vfsmnt = p->mnt;
	w->dentry = (__u64)p->dentry;
	w->mnt = (__u64)vfsmnt - bpf_core_field_offset(struct mount, mnt); /* container_of */
	w->mnt_root = (__u64)vfsmnt->mnt_root;
	w->off = PATH_END;
	w->clipped = 0;
	w->done = 0;
	if (!w->dentry || !vfsmnt)
		return NULL;
	struct path_walk_ctx ctx = { .w = w };
	bpf_loop(WALK_MAX_DEPTH, path_walk_step, &ctx, 0);
	if (!w->done) {
		w->clipped = 1;
		stat_add(STAT_PATH_CLIPPED, 1);
	}
	if (w->off == PATH_END) { /* the root itself */
		w->off = PATH_END - 1;
		w->buf[PATH_END - 1] = '/';
	}
	return w;
}

/*
 * Copy the walked path to dst (which must have PATH_MAX_BYTES bytes of room after it inside its map value).
 * Returns the length copied.
 */
static __always_inline __u32 copy_walked_path(struct path_walk *w, char *dst)
{
	__u32 off = w->off;
	BARRIER_MASK(off, 4095);
	__u32 len = PATH_END - off;
	BARRIER_MASK(len, 4095);
	bpf_probe_read_kernel(dst, len, &w->buf[off]);
	return len;
}

#endif
