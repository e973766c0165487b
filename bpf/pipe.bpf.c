// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * JSON-RPC over pipes and unix stream sockets (MCP's stdio transport), from the write syscalls' exit tracepoints.
 * Programs are named pipe_sys_exit_*: the loader finds programs by name across objects, and file.bpf.c has handle_sys_exit_write.
 *
 * Which writes: those of traced processes (the agent's tree) into a pipe or a connected unix stream socket whose
 * stream (writer, inode the reader sees) is marked as JSON-RPC. A stream is marked by its first write that starts
 * with `{"` — a JSON object, which is how every newline-delimited JSON-RPC message begins — and from then on every
 * write into it is copied whole (a message larger than the pipe's buffer arrives in several writes, none of which
 * starts with `{`). Everything else costs the traced-set lookup, the fd's file type, and for a pipe or unix socket
 * not yet marked one two-byte read of the buffer. Only writes: each byte of the conversation is written once, by the
 * agent (requests) or by its server (replies), so reads would copy it twice.
 *
 * Copying follows bpf/tls.bpf.c: chunks of PIPE_CHUNK_MAX under bpf_loop into this object's own ring, what cannot be
 * copied counted globally (STAT_PIPE_*) and per stream (`lost_before` on the stream's next record).
 */
#include "common.bpf.h"
#include "pipe.h"

#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define S_IFIFO 0010000
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define IPPROTO_TCP 6

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 * 1024 * 1024); /* resized by the loader */
} pipe_events SEC(".maps");

struct stream_key {
	__u32 tgid;
	__u32 _pad;
	__u64 ino;
};

/* Streams whose writes are copied: marked by a first write that starts like a JSON object. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct stream_key);
	__type(value, __u8);
} rpc_streams SEC(".maps");

/* Bytes of a stream not copied since its last record. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct stream_key);
	__type(value, __u64);
} pipe_lost SEC(".maps");

/* Where the copy of one write stands. In the map value, not on the stack: with precise scalars on the stack the
 * verifier never converged on the bpf_loop callback ("sequence of 8193 jumps is too complex"), as with the dentry walk. */
struct pipe_cursor {
	__u64 iov;  /* user iovec array, 0 for a single buffer */
	__u64 base; /* where the current buffer's next byte is */
	__u64 left; /* bytes left in the current buffer */
	__u32 iov_i;
	__u32 iov_n;
	__u32 total;
	__u32 off;
	struct stream_key k;
};

struct pipe_scratch {
	struct pipe_cursor c;
	struct pipe_data_event e;
	char data[PIPE_CHUNK_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pipe_scratch);
} pipe_scratch_map SEC(".maps");

/* The current syscall's saved user registers: its arguments, unchanged at exit (as in bpf/file.bpf.c). */
static __always_inline struct pt_regs *syscall_regs(void)
{
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

#define STREAM_COPIED 1
#define STREAM_NOT_OURS 2

/* The first bytes of an HTTP/1.1 request or response (b holds 8 bytes). */
static __always_inline bool http1_start(const char *b)
{
	if (b[0] == 'P' && b[1] == 'O' && b[2] == 'S' && b[3] == 'T' && b[4] == ' ')
		return true;
	if (b[0] == 'G' && b[1] == 'E' && b[2] == 'T' && b[3] == ' ')
		return true;
	if (b[0] == 'D' && b[1] == 'E' && b[2] == 'L' && b[3] == 'E' && b[4] == 'T' && b[5] == 'E' && b[6] == ' ')
		return true;
	return b[0] == 'H' && b[1] == 'T' && b[2] == 'T' && b[3] == 'P' && b[4] == '/' && b[5] == '1' && b[6] == '.' && b[7] == '1';
}

/* A pipe, a connected unix stream socket, or a TCP socket: the inode its reader sees, and which kind. 0 for anything else. */
static __always_inline __u8 stream_target(struct file *f, __u64 *ino)
{
	struct inode *in = f->f_inode;
	__u16 mode = in->i_mode;
	if ((mode & S_IFMT) == S_IFIFO) {
		*ino = in->i_ino;
		return PIPE_KIND_FIFO;
	}
	if ((mode & S_IFMT) != S_IFSOCK)
		return 0;
	struct socket *sock = as_btf(f->private_data, struct socket);
	struct sock *sk = sock->sk;
	if (!sk || sk->sk_type != SOCK_STREAM)
		return 0;
	__u16 family = sk->__sk_common.skc_family;
	if ((family == AF_INET || family == AF_INET6) && sk->sk_protocol == IPPROTO_TCP) {
		/* A TCP stream is this socket (one direction of the connection); its ports pair it with the other. */
		*ino = as_btf(sock, struct socket_alloc)->vfs_inode.i_ino;
		return PIPE_KIND_TCP;
	}
	if (family != AF_UNIX)
		return 0;
	struct sock *peer = as_btf(sk, struct unix_sock)->peer;
	if (!peer)
		return 0;
	struct socket *ps = peer->sk_socket;
	if (!ps)
		return 0;
	/* SOCK_INODE(): the socket and its inode are allocated together */
	*ino = as_btf(ps, struct socket_alloc)->vfs_inode.i_ino;
	return PIPE_KIND_UNIX;
}

static __always_inline void add_lost(struct stream_key *k, __u64 bytes)
{
	__u64 *v = bpf_map_lookup_elem(&pipe_lost, k);
	if (v)
		__sync_fetch_and_add(v, bytes);
	else
		bpf_map_update_elem(&pipe_lost, k, &bytes, BPF_ANY);
}

static __always_inline __u32 take_lost(struct stream_key *k)
{
	__u64 *v = bpf_map_lookup_elem(&pipe_lost, k);
	if (!v || *v == 0)
		return 0;
	__u64 n = *v;
	bpf_map_delete_elem(&pipe_lost, k);
	return n > 0xffffffff ? 0xffffffff : (__u32)n;
}

struct emit_ctx {
	struct pipe_scratch *s;
};

/* One step: the next iovec, or the next chunk of the current buffer. */
static long emit_step(__u32 i, void *c)
{
	struct pipe_scratch *s = ((struct emit_ctx *)c)->s;
	struct pipe_cursor *x = &s->c;
	if (x->off >= x->total)
		return 1;
	if (x->left == 0) {
		struct iovec v = {};
		if (!x->iov || x->iov_i >= x->iov_n || x->iov_i >= PIPE_IOV_MAX ||
		    bpf_probe_read_user(&v, sizeof(v), (void *)(x->iov + (__u64)x->iov_i * sizeof(v)))) {
			stat_add(STAT_PIPE_CLIPPED, 1);
			add_lost(&x->k, x->total - x->off);
			return 1;
		}
		x->iov_i++;
		x->base = (__u64)v.iov_base;
		x->left = v.iov_len;
		return 0;
	}
	__u32 n = x->total - x->off;
	if (n > x->left)
		n = x->left;
	if (n > PIPE_CHUNK_MAX)
		n = PIPE_CHUNK_MAX;
	s->e.offset = x->off;
	s->e.lost_before = take_lost(&x->k);
	__u64 size = n;
	BARRIER_MASK(size, 32767);
	if (size > PIPE_CHUNK_MAX)
		size = PIPE_CHUNK_MAX;
	s->e.len = size;
	__u64 src = x->base;
	x->base += n;
	x->left -= n;
	x->off += n;
	if (bpf_probe_read_user(s->data, size, (void *)src)) {
		stat_add(STAT_PIPE_CLIPPED, 1);
		add_lost(&x->k, n + s->e.lost_before);
		return 0;
	}
	s->e.hdr.size = sizeof(s->e) + size;
	if (bpf_ringbuf_output(&pipe_events, &s->e, sizeof(s->e) + size, wakeup_flags(&pipe_events, sizeof(s->e) + size))) {
		stat_add(STAT_PIPE_RB_FULL, 1);
		add_lost(&x->k, n + s->e.lost_before);
	}
	return 0;
}

/* A write of `ret` bytes into fd, from one buffer (iov 0) or from iovcnt iovecs. */
static __always_inline int on_write(long ret, int fd, __u64 buf, __u64 iov, __u64 iovcnt)
{
	if (ret <= 0)
		return 0;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (tgid == cfg.self_tgid || !is_traced(tgid))
		return 0;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	struct file *f = fd_file(task, fd);
	if (!f)
		return 0;
	__u64 ino = 0;
	__u8 kind = stream_target(f, &ino);
	if (!kind)
		return 0;
	struct stream_key k = { .tgid = tgid, .ino = ino };
	__u64 first = buf;
	if (iov) {
		struct iovec v = {};
		if (!iovcnt || bpf_probe_read_user(&v, sizeof(v), (void *)iov))
			return 0;
		first = (__u64)v.iov_base;
	}
	__u8 *mark = bpf_map_lookup_elem(&rpc_streams, &k);
	if (mark && *mark == STREAM_NOT_OURS)
		return 0;
	if (!mark) {
		if (kind == PIPE_KIND_TCP) {
			/* Plaintext HTTP/1.1 (MCP's streamable HTTP to a local server): decided once per socket, by its first write. */
			char b[8] = {};
			__u8 v = STREAM_NOT_OURS;
			if (!bpf_probe_read_user(b, sizeof(b), (void *)first) && http1_start(b))
				v = STREAM_COPIED;
			bpf_map_update_elem(&rpc_streams, &k, &v, BPF_ANY);
			if (v != STREAM_COPIED)
				return 0;
		} else {
			char b[2] = {};
			if (bpf_probe_read_user(b, sizeof(b), (void *)first) || b[0] != '{' || b[1] != '"')
				return 0;
			__u8 one = STREAM_COPIED;
			bpf_map_update_elem(&rpc_streams, &k, &one, BPF_ANY);
		}
	}
	__u32 zero = 0;
	struct pipe_scratch *s = bpf_map_lookup_elem(&pipe_scratch_map, &zero);
	if (!s) {
		stat_add(STAT_SCRATCH_MISS, 1);
		return 0;
	}
	__u64 len = ret;
	__u64 max = (__u64)PIPE_CHUNK_MAX * PIPE_CHUNKS_MAX;
	if (len > max) {
		stat_add(STAT_PIPE_CLIPPED, 1);
		add_lost(&k, len - max);
		len = max;
	}
	/* a plain write is read as one iovec that is already loaded */
	s->c.iov = iov;
	s->c.iov_n = iov ? iovcnt : 1;
	s->c.iov_i = 1;
	s->c.base = first;
	s->c.left = iov ? 0 : len;
	s->c.total = len;
	s->c.off = 0;
	s->c.k = k;
	if (iov) { /* re-read the first iovec's length in the cursor (the check above kept only its base) */
		s->c.iov_i = 0;
	}
	fill_header(&s->e.hdr, EV_PIPE_DATA, 0);
	s->e.ino = ino;
	if (kind == PIPE_KIND_TCP) {
		struct socket *sock = as_btf(f->private_data, struct socket);
		struct sock *sk = sock->sk;
		__u16 lport = sk->__sk_common.skc_num;
		__u16 rport = __builtin_bswap16(sk->__sk_common.skc_dport);
		s->e.stdin_ino = ((__u64)lport << 16) | rport;
	} else {
		struct file *in0 = fd_file(task, 0);
		s->e.stdin_ino = in0 ? in0->f_inode->i_ino : 0;
	}
	s->e.call_ts_ns = s->e.hdr.ts_ns;
	s->e.call_len = len;
	s->e.fd = fd;
	s->e.kind = kind;
	s->e._pad[0] = s->e._pad[1] = s->e._pad[2] = 0;
	struct emit_ctx x = { .s = s };
	bpf_loop(PIPE_CHUNKS_MAX + PIPE_IOV_MAX, emit_step, &x, 0);
	return 0;
}

#define A1 PT_REGS_PARM1_SYSCALL(regs)
#define A2 PT_REGS_PARM2_SYSCALL(regs)
#define A3 PT_REGS_PARM3_SYSCALL(regs)

SEC("tp/syscalls/sys_exit_write")
int pipe_sys_exit_write(struct trace_event_raw_sys_exit *ctx)
{
	if (ctx->ret <= 0)
		return 0;
	struct pt_regs *regs = syscall_regs();
	return on_write(ctx->ret, (int)A1, A2, 0, 0);
}

SEC("tp/syscalls/sys_exit_writev")
int pipe_sys_exit_writev(struct trace_event_raw_sys_exit *ctx)
{
	if (ctx->ret <= 0)
		return 0;
	struct pt_regs *regs = syscall_regs();
	return on_write(ctx->ret, (int)A1, 0, A2, A3);
}

SEC("tp/syscalls/sys_exit_sendto")
int pipe_sys_exit_sendto(struct trace_event_raw_sys_exit *ctx)
{
	if (ctx->ret <= 0)
		return 0;
	struct pt_regs *regs = syscall_regs();
	return on_write(ctx->ret, (int)A1, A2, 0, 0);
}

SEC("tp/syscalls/sys_exit_sendmsg")
int pipe_sys_exit_sendmsg(struct trace_event_raw_sys_exit *ctx)
{
	if (ctx->ret <= 0)
		return 0;
	struct pt_regs *regs = syscall_regs();
	struct user_msghdr m = {};
	if (bpf_probe_read_user(&m, sizeof(m), (void *)A2))
		return 0;
	return on_write(ctx->ret, (int)A1, 0, (__u64)m.msg_iov, m.msg_iovlen);
}
