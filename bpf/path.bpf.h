/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Absolute paths rebuilt in the kernel from a struct path (dentry + vfsmount), walking d_parent and crossing mount
 * points, as Tetragon/Tracee/Falco do: bpf_d_path is not allowed from tracepoints on this kernel (FIELD-NOTES).
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
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	struct mount *mnt;
	struct dentry *mnt_root; /* vfsmnt->mnt_root, read once per mount rather than once per component */
	__u32 off;     /* the path starts at buf[off] and ends at buf[PATH_END) */
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

/* struct dentry's d_parent and d_name (hash, len, name pointer) as laid out since 2.6: read with one helper call */
struct dentry_link {
	struct dentry *parent;
	__u32 hash;
	__u32 len;
	const unsigned char *name;
};

/*
 * One component per call. Helper calls dominate the walk's cost (~2 µs per record for a 7-deep path with five calls
 * per component): d_parent and d_name are adjacent in struct dentry, so one read fetches both, and the mount root
 * is read once per mount. CO-RE gives the offsets; if a kernel ever separates the two fields, the per-field reads
 * are used instead (the check is on relocated constants, so only one branch survives loading).
 */
static long path_walk_step(__u32 i, void *c)
{
	struct path_walk *w = ((struct path_walk_ctx *)c)->w;
	/* locals, not w->field: BPF_CORE_READ would try to relocate the access into our own struct */
	struct dentry *d = w->dentry;
	struct dentry_link l;
	__u32 parent_off = bpf_core_field_offset(struct dentry, d_parent);
	__u32 name_off = bpf_core_field_offset(struct dentry, d_name);
	if (name_off == parent_off + 8) {
		if (bpf_probe_read_kernel(&l, sizeof(l), (char *)d + parent_off)) {
			/* an unreadable dentry: keep the components we have, marked clipped and counted */
			w->clipped = 1;
			w->done = 1;
			stat_add(STAT_PATH_CLIPPED, 1);
			return 1;
		}
	} else {
		l.parent = BPF_CORE_READ(d, d_parent);
		l.len = BPF_CORE_READ(d, d_name.len);
		l.name = BPF_CORE_READ(d, d_name.name);
	}

	if (d == w->mnt_root || d == l.parent) {
		if (d != w->mnt_root) { /* root of a detached or pseudo filesystem */
			w->done = 1;
			return 1;
		}
		struct mount *m = w->mnt;
		struct mount *mp = BPF_CORE_READ(m, mnt_parent);
		if (m == mp) { /* the namespace root */
			w->done = 1;
			return 1;
		}
		w->dentry = BPF_CORE_READ(m, mnt_mountpoint);
		w->mnt = mp;
		struct vfsmount *vfsmnt = (struct vfsmount *)((char *)mp + bpf_core_field_offset(struct mount, mnt));
		w->vfsmnt = vfsmnt;
		w->mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
		return 0;
	}

	__u32 len = l.len;
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
	bpf_probe_read_kernel(&w->buf[off + 1], len, l.name);
	w->off = off;
	w->dentry = l.parent;
	return 0;
}

/* Walk `p` into the per-CPU scratch; returns it (path at buf[off..PATH_END)) or NULL. */
static __always_inline struct path_walk *walk_path(const struct path *p)
{
	__u32 zero = 0;
	struct path_walk *w = bpf_map_lookup_elem(&path_scratch, &zero);
	if (!w)
		return NULL;
	struct vfsmount *vfsmnt = BPF_CORE_READ(p, mnt);
	w->dentry = BPF_CORE_READ(p, dentry);
	w->vfsmnt = vfsmnt;
	w->mnt = container_of(vfsmnt, struct mount, mnt);
	w->mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	w->off = PATH_END;
	w->clipped = 0;
	w->done = 0;
	if (!w->dentry || !w->vfsmnt)
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
