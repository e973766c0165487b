// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * TLS plaintext capture with uprobes. Programs are generic SEC("uprobe")/SEC("uretprobe"): user space attaches them
 * at file offsets found by TLS discovery (src/collector/tls/discovery), system-wide per binary, and the traced set
 * filters here. Payloads go to their own ring so a burst cannot crowd out process and file records.
 *
 * Every byte of every call is copied, in chunks of TLS_CHUNK_MAX under bpf_loop; what cannot be copied (ring full,
 * page fault) is counted globally and per connection (`lost_before` on the connection's next record).
 */
#include "common.bpf.h"
#include "tls.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024 * 1024); /* resized by the loader */
} tls_events SEC(".maps");

/* Arguments saved at entry, consumed by the return probe of the same thread. */
struct tls_call {
	__u64 conn;
	__u64 buf;
	__u64 len_ptr; /* size_t *: _ex variants' written/readbytes, AEAD open's out_len */
	__u64 ts_ns;
	__u64 sp; /* the stack pointer at entry: its return comes back with sp + 8 (x86-64: ret pops the address) */
	__u32 num;
	__u8 dir;
	__u8 api;
	__u8 ex;
	__u8 _pad;
};

/*
 * A thread's TLS calls in progress, innermost last. Calls nest: node's SSL_read runs the handshake-done callback,
 * whose JavaScript writes the pending request with SSL_write before SSL_read returns; one slot per thread lost the
 * outer call's entry (its return found none: tls:missed-entry, and its bytes were not emitted). A return is paired
 * with the frame entered at its stack pointer, so a call that never returned (longjmp, a thread that died and whose
 * tid came back) cannot take another's place: its frame is dropped when a call it cannot enclose starts or an outer
 * call returns past it. Deeper than TLS_CALL_DEPTH: counted, not kept.
 */
#define TLS_CALL_DEPTH 4
_Static_assert(TLS_CALL_DEPTH == 4, "the frame index is masked with 3 (BARRIER_MASK) below");
struct tls_call_stack {
	__u32 depth; /* calls entered and not yet returned (may exceed TLS_CALL_DEPTH) */
	__u32 _pad;
	struct tls_call frames[TLS_CALL_DEPTH];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32); /* tid */
	__type(value, struct tls_call_stack);
} tls_calls SEC(".maps");

struct conn_key {
	__u32 tgid;
	__u32 _pad;
	__u64 conn;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct conn_key);
	__type(value, __u64);
} tls_lost SEC(".maps");

struct tls_scratch {
	struct tls_data_event e;
	char data[TLS_CHUNK_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tls_scratch);
} tls_scratch_map SEC(".maps");

/* rustls/aws-lc connection identity (see discovery README): a seal is followed on the same thread by the socket write
 * that sends it; an open is preceded on the same thread by the socket read that received it. A context's address is
 * reused by malloc once its connection is dropped, and the socket's fd number by the next connect, so neither alone
 * names a connection: every send is confirmed with its fd (the seal's plaintext is emitted before the write that tells
 * where it goes), and closing a bound fd ends its bindings (EV_TLS_UNBIND). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);   /* tid */
	__type(value, __u64); /* seal ctx waiting for its write */
} seal_pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);   /* tid */
	__type(value, __s32); /* fd of the read in progress */
} read_fd_pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);   /* tid */
	__type(value, __s32); /* fd of the last read that returned data */
} last_read_fd SEC(".maps");

/* A socket fd's binding epoch: a new one when it is created and each time the fd is closed, so every binding made before
 * a close is stale at once, whichever contexts (handshake, application, key update) it covered. */
struct fd_key {
	__u32 tgid;
	__s32 fd;
};

struct fd_state {
	__u64 epoch; /* bpf_ktime_get_ns() when set: never repeats, even after an LRU eviction */
	__u32 bound; /* a context was bound since the epoch began: its close is reported */
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct fd_key);
	__type(value, struct fd_state);
} fd_states SEC(".maps");

struct ctx_binding {
	__s32 fd;
	__u32 _pad;
	__u64 epoch;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct conn_key);
	__type(value, struct ctx_binding); /* where the ctx was last bound: a bind record is emitted when this changes */
} ctx_fd SEC(".maps");

struct emit_ctx {
	struct tls_scratch *s;
	__u64 buf;
	__u32 total;
	__u32 off;
	__u32 tgid;
	__u32 _pad;
	__u64 conn;
};

static __always_inline void add_lost(__u32 tgid, __u64 conn, __u64 bytes)
{
	struct conn_key k = { .tgid = tgid, .conn = conn };
	__u64 *v = bpf_map_lookup_elem(&tls_lost, &k);
	if (v)
		__sync_fetch_and_add(v, bytes);
	else
		bpf_map_update_elem(&tls_lost, &k, &bytes, BPF_ANY);
}

static __always_inline __u32 take_lost(__u32 tgid, __u64 conn)
{
	struct conn_key k = { .tgid = tgid, .conn = conn };
	__u64 *v = bpf_map_lookup_elem(&tls_lost, &k);
	if (!v || *v == 0)
		return 0;
	__u64 n = *v;
	bpf_map_delete_elem(&tls_lost, &k);
	return n > 0xffffffff ? 0xffffffff : (__u32)n;
}

static long emit_chunk(__u32 i, void *c)
{
	struct emit_ctx *x = c;
	__u32 off = x->off;
	if (off >= x->total)
		return 1;
	__u32 n = x->total - off;
	if (n > TLS_CHUNK_MAX)
		n = TLS_CHUNK_MAX;
	struct tls_scratch *s = x->s;
	s->e.offset = off;
	s->e.lost_before = take_lost(x->tgid, x->conn);
	__u64 size = n;
	BARRIER_MASK(size, 32767);
	if (size > TLS_CHUNK_MAX)
		size = TLS_CHUNK_MAX;
	s->e.len = size;
	x->off = off + n;
	if (bpf_probe_read_user(s->data, size, (void *)(x->buf + off))) {
		stat_add(STAT_TLS_CLIPPED, 1);
		add_lost(x->tgid, x->conn, n + s->e.lost_before);
		return 0;
	}
	s->e.hdr.size = sizeof(s->e) + size;
	if (bpf_ringbuf_output(&tls_events, s, sizeof(s->e) + size, wakeup_flags(&tls_events, sizeof(s->e) + size))) {
		stat_add(STAT_TLS_RB_FULL, 1);
		add_lost(x->tgid, x->conn, n + s->e.lost_before);
	}
	return 0;
}

static __always_inline void emit_data(__u64 conn, __u64 buf, __u64 len, __u8 dir, __u8 api, __u64 call_ts)
{
	if (len == 0 || !buf)
		return;
	__u32 zero = 0;
	struct tls_scratch *s = bpf_map_lookup_elem(&tls_scratch_map, &zero);
	if (!s) {
		stat_add(STAT_SCRATCH_MISS, 1);
		return;
	}
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	__u64 max = (__u64)TLS_CHUNK_MAX * TLS_CHUNKS_MAX;
	if (len > max) {
		stat_add(STAT_TLS_CLIPPED, 1);
		add_lost(tgid, conn, len - max);
		len = max;
	}
	fill_header(&s->e.hdr, EV_TLS_DATA, 0);
	s->e.conn = conn;
	s->e.call_ts_ns = call_ts;
	s->e.call_len = len;
	s->e.dir = dir;
	s->e.api = api;
	s->e._pad = 0;
	s->e._pad2 = 0;
	struct emit_ctx x = { .s = s, .buf = buf, .total = len, .off = 0, .tgid = tgid, .conn = conn };
	bpf_loop(TLS_CHUNKS_MAX, emit_chunk, &x, 0);
}

static __always_inline int save_call(struct pt_regs *ctx, __u64 conn, __u64 buf, __u32 num, __u64 len_ptr, __u8 dir, __u8 api, __u8 ex)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_traced(id >> 32))
		return 0;
	__u32 tid = (__u32)id;
	struct tls_call c = {
		.conn = conn, .buf = buf, .len_ptr = len_ptr, .ts_ns = bpf_ktime_get_ns(), .sp = PT_REGS_SP(ctx), .num = num, .dir = dir, .api = api, .ex = ex,
	};
	struct tls_call_stack *st = bpf_map_lookup_elem(&tls_calls, &tid);
	if (!st) {
		struct tls_call_stack empty = {};
		bpf_map_update_elem(&tls_calls, &tid, &empty, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&tls_calls, &tid);
		if (!st)
			return 0;
	}
	__u32 d = st->depth;
	/* Frames that cannot enclose this call (entered at or below its stack pointer) never returned: drop them. */
#pragma unroll
	for (int i = 0; i < TLS_CALL_DEPTH; i++) {
		if (d == 0 || d > TLS_CALL_DEPTH)
			break;
		__u32 top = d - 1;
		BARRIER_MASK(top, 3); /* TLS_CALL_DEPTH - 1, spelled out for the asm */
		if (st->frames[top].sp > c.sp)
			break;
		d--;
	}
	if (d >= TLS_CALL_DEPTH) {
		stat_add(STAT_TLS_MISSED_ENTRY, 1); /* nested too deep to keep: its bytes are lost, and counted */
		return 0;
	}
	__u32 at = d;
	BARRIER_MASK(at, 3);
	st->frames[at] = c;
	st->depth = at + 1;
	return 0;
}

static __always_inline int finish_call(struct pt_regs *ctx, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct tls_call_stack *st = bpf_map_lookup_elem(&tls_calls, &tid);
	__u64 sp = PT_REGS_SP(ctx) - 8;
	int found = -1;
	if (st) {
		/* The innermost frame entered at this stack pointer; those above it never returned. */
		__u32 depth = st->depth;
#pragma unroll
		for (int i = TLS_CALL_DEPTH - 1; i >= 0; i--) {
			if (found < 0 && (__u32)i < depth && st->frames[i].sp == sp)
				found = i;
		}
	}
	if (!st || found < 0) {
		if (is_traced(id >> 32))
			stat_add(STAT_TLS_MISSED_ENTRY, 1);
		return 0;
	}
	__u32 at = found;
	BARRIER_MASK(at, 3);
	struct tls_call c = st->frames[at];
	st->depth = found;
	if (found == 0)
		bpf_map_delete_elem(&tls_calls, &tid);
	__u64 len = 0;
	if (c.ex) { /* SSL_*_ex and AEAD open: 1 = success, length through a size_t * */
		if ((int)ret != 1 || !c.len_ptr)
			return 0;
		if (bpf_probe_read_user(&len, sizeof(len), (void *)c.len_ptr))
			return 0;
	} else { /* SSL_read/SSL_write: bytes, <= 0 while the handshake runs or on would-block */
		if ((int)ret <= 0)
			return 0;
		len = (__u32)(int)ret;
		if (c.num && len > c.num)
			len = c.num;
	}
	emit_data(c.conn, c.buf, len, c.dir, c.api, c.ts_ns);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(uprobe_ssl_write, void *ssl, const void *buf, int num)
{
	return save_call(ctx, (__u64)ssl, (__u64)buf, num, 0, TLS_DIR_WRITE, TLS_API_SSL, 0);
}

SEC("uprobe")
int BPF_KPROBE(uprobe_ssl_read, void *ssl, void *buf, int num)
{
	return save_call(ctx, (__u64)ssl, (__u64)buf, num, 0, TLS_DIR_READ, TLS_API_SSL, 0);
}

SEC("uprobe")
int BPF_KPROBE(uprobe_ssl_write_ex, void *ssl, const void *buf, __u64 num, __u64 *written)
{
	return save_call(ctx, (__u64)ssl, (__u64)buf, 0, (__u64)written, TLS_DIR_WRITE, TLS_API_SSL, 1);
}

SEC("uprobe")
int BPF_KPROBE(uprobe_ssl_read_ex, void *ssl, void *buf, __u64 num, __u64 *readbytes)
{
	return save_call(ctx, (__u64)ssl, (__u64)buf, 0, (__u64)readbytes, TLS_DIR_READ, TLS_API_SSL, 1);
}

/* SSL_free(SSL *) and SSL_clear(SSL *): the connection on this SSL* ended (see EV_TLS_FREE). */
SEC("uprobe")
int BPF_KPROBE(uprobe_ssl_free, void *ssl)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!ssl || !is_traced(id >> 32))
		return 0;
	struct tls_bind_event e = {};
	fill_header(&e.hdr, EV_TLS_FREE, sizeof(e));
	e.conn = (__u64)ssl;
	e.fd = -1;
	emit(&tls_events, &e, sizeof(e), STAT_TLS_RB_FULL);
	return 0;
}

/* SSL_do_handshake(SSL *): runs inside SSL_write/SSL_read (whose arguments wait in tls_calls), so its own map. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);   /* tid */
	__type(value, __u64); /* SSL* */
} handshake_calls SEC(".maps");

SEC("uprobe")
int BPF_KPROBE(uprobe_ssl_handshake, void *ssl)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!ssl || !is_traced(id >> 32))
		return 0;
	__u32 tid = (__u32)id;
	__u64 conn = (__u64)ssl;
	bpf_map_update_elem(&handshake_calls, &tid, &conn, BPF_ANY);
	return 0;
}

/* A result <= 0 means the handshake is still running (see EV_TLS_HANDSHAKE). */
SEC("uretprobe")
int BPF_KRETPROBE(uretprobe_ssl_handshake, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *cp = bpf_map_lookup_elem(&handshake_calls, &tid);
	if (!cp)
		return 0;
	__u64 conn = *cp;
	bpf_map_delete_elem(&handshake_calls, &tid);
	if ((int)ret > 0)
		return 0;
	struct tls_bind_event e = {};
	fill_header(&e.hdr, EV_TLS_HANDSHAKE, sizeof(e));
	e.conn = conn;
	e.fd = -1;
	emit(&tls_events, &e, sizeof(e), STAT_TLS_RB_FULL);
	return 0;
}

/* One return program serves every variant: the entry saved which one it was. */
SEC("uretprobe")
int BPF_KRETPROBE(uretprobe_tls_call, long ret)
{
	return finish_call(ctx, ret);
}

/* EVP_AEAD_CTX_seal(ctx, out, out_len*, max_out, nonce, nonce_len, in, in_len, ad, ad_len): the plaintext is the
 * 7th/8th arguments, on the stack at entry (rsp = return address). Emitted at entry: it is not modified by seal. */
SEC("uprobe")
int BPF_KPROBE(uprobe_aead_seal, void *actx)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_traced(id >> 32))
		return 0;
	__u64 sp = PT_REGS_SP(ctx);
	__u64 in = 0, in_len = 0;
	if (bpf_probe_read_user(&in, sizeof(in), (void *)(sp + 8)) || bpf_probe_read_user(&in_len, sizeof(in_len), (void *)(sp + 16)))
		return 0;
	__u32 tid = (__u32)id;
	__u64 c = (__u64)actx;
	bpf_map_update_elem(&seal_pending, &tid, &c, BPF_ANY);
	emit_data(c, in, in_len, TLS_DIR_WRITE, TLS_API_AEAD, bpf_ktime_get_ns());
	return 0;
}

static __always_inline void emit_bind(__u32 type, __u64 conn, __s32 fd, __u8 dir)
{
	struct tls_bind_event e = {};
	fill_header(&e.hdr, type, sizeof(e));
	e.conn = conn;
	e.fd = fd;
	e.dir = dir;
	emit(&tls_events, &e, sizeof(e), STAT_TLS_RB_FULL);
}

/* Record that conn now runs on fd; report it when that changed (or the fd was closed since), or always (sends: see
 * tls.h). */
static __always_inline void bind_ctx(__u64 conn, __s32 fd, __u8 dir, __u8 always)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	struct fd_key fk = { .tgid = tgid, .fd = fd };
	struct fd_state *st = bpf_map_lookup_elem(&fd_states, &fk);
	if (!st) {
		struct fd_state n = { .epoch = bpf_ktime_get_ns() };
		bpf_map_update_elem(&fd_states, &fk, &n, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&fd_states, &fk);
	}
	__u64 epoch = 0;
	if (st) {
		st->bound = 1;
		epoch = st->epoch;
	}
	struct conn_key k = { .tgid = tgid, .conn = conn };
	struct ctx_binding *prev = bpf_map_lookup_elem(&ctx_fd, &k);
	if (prev && st && prev->fd == fd && prev->epoch == epoch && !always)
		return;
	struct ctx_binding b = { .fd = fd, .epoch = epoch };
	bpf_map_update_elem(&ctx_fd, &k, &b, BPF_ANY);
	emit_bind(EV_TLS_BIND, conn, fd, dir);
}

/* A traced process closed fd: if contexts were bound to it, every such binding is stale, here and in user space. */
static __always_inline int on_fd_gone(__s32 fd)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	if (!is_traced(tgid))
		return 0;
	struct fd_key fk = { .tgid = tgid, .fd = fd };
	struct fd_state *st = bpf_map_lookup_elem(&fd_states, &fk);
	if (!st || !st->bound)
		return 0;
	st->epoch = bpf_ktime_get_ns();
	st->bound = 0;
	emit_bind(EV_TLS_UNBIND, 0, fd, 0);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(uprobe_aead_open, void *actx, void *out, __u64 *out_len)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_traced(id >> 32))
		return 0;
	__u32 tid = (__u32)id;
	__s32 *fd = bpf_map_lookup_elem(&last_read_fd, &tid);
	if (fd)
		bind_ctx((__u64)actx, *fd, TLS_DIR_READ, 0);
	return save_call(ctx, (__u64)actx, (__u64)out, 0, (__u64)out_len, TLS_DIR_READ, TLS_API_AEAD, 1);
}

/* The socket writes, reads and closes that tie AEAD contexts to connections. Attached only when an aws-lc target is
 * found (programs named lazy_* are not attached at start-up). */
static __always_inline int on_send(__s32 fd)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	__u64 *c = bpf_map_lookup_elem(&seal_pending, &tid);
	if (!c)
		return 0;
	__u64 conn = *c;
	bpf_map_delete_elem(&seal_pending, &tid);
	bind_ctx(conn, fd, TLS_DIR_WRITE, 1);
	return 0;
}

SEC("tp/syscalls/sys_enter_writev")
int lazy_sys_enter_writev(struct trace_event_raw_sys_enter *ctx) { return on_send((__s32)ctx->args[0]); }
SEC("tp/syscalls/sys_enter_write")
int lazy_sys_enter_write(struct trace_event_raw_sys_enter *ctx) { return on_send((__s32)ctx->args[0]); }
SEC("tp/syscalls/sys_enter_sendto")
int lazy_sys_enter_sendto(struct trace_event_raw_sys_enter *ctx) { return on_send((__s32)ctx->args[0]); }
SEC("tp/syscalls/sys_enter_sendmsg")
int lazy_sys_enter_sendmsg(struct trace_event_raw_sys_enter *ctx) { return on_send((__s32)ctx->args[0]); }

SEC("tp/syscalls/sys_enter_close")
int lazy_sys_enter_close(struct trace_event_raw_sys_enter *ctx) { return on_fd_gone((__s32)ctx->args[0]); }
SEC("tp/syscalls/sys_enter_dup2")
int lazy_sys_enter_dup2(struct trace_event_raw_sys_enter *ctx) { return on_fd_gone((__s32)ctx->args[1]); }
SEC("tp/syscalls/sys_enter_dup3")
int lazy_sys_enter_dup3(struct trace_event_raw_sys_enter *ctx) { return on_fd_gone((__s32)ctx->args[1]); }

static __always_inline int on_recv_enter(__s32 fd)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_traced(id >> 32))
		return 0;
	__u32 tid = (__u32)id;
	bpf_map_update_elem(&read_fd_pending, &tid, &fd, BPF_ANY);
	return 0;
}

static __always_inline int on_recv_exit(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__s32 *fd = bpf_map_lookup_elem(&read_fd_pending, &tid);
	if (!fd)
		return 0;
	__s32 f = *fd;
	bpf_map_delete_elem(&read_fd_pending, &tid);
	if (ret > 0)
		bpf_map_update_elem(&last_read_fd, &tid, &f, BPF_ANY);
	return 0;
}

SEC("tp/syscalls/sys_enter_recvfrom")
int lazy_sys_enter_recvfrom(struct trace_event_raw_sys_enter *ctx) { return on_recv_enter((__s32)ctx->args[0]); }
SEC("tp/syscalls/sys_exit_recvfrom")
int lazy_sys_exit_recvfrom(struct trace_event_raw_sys_exit *ctx) { return on_recv_exit(ctx->ret); }
SEC("tp/syscalls/sys_enter_read")
int lazy_sys_enter_read(struct trace_event_raw_sys_enter *ctx) { return on_recv_enter((__s32)ctx->args[0]); }
SEC("tp/syscalls/sys_exit_read")
int lazy_sys_exit_read(struct trace_event_raw_sys_exit *ctx) { return on_recv_exit(ctx->ret); }
SEC("tp/syscalls/sys_enter_recvmsg")
int lazy_sys_enter_recvmsg(struct trace_event_raw_sys_enter *ctx) { return on_recv_enter((__s32)ctx->args[0]); }
SEC("tp/syscalls/sys_exit_recvmsg")
int lazy_sys_exit_recvmsg(struct trace_event_raw_sys_exit *ctx) { return on_recv_exit(ctx->ret); }

/*
 * Go crypto/tls: (*Conn).Write / (*Conn).Read(c *Conn, b []byte) (n int, err error) under Go's register ABI (Go >=
 * 1.17, amd64): c in RAX, b as RBX=ptr, RCX=len (RDI=cap); n returns in RAX. No uretprobe: it rewrites the return
 * address on a goroutine stack that the runtime moves (and Go crashes), so user space puts a uprobe on every RET of
 * the function instead. Entry and RET are paired by goroutine (the g pointer in R14), not by thread: a goroutine that
 * blocks in Read resumes on whichever thread the scheduler picks.
 */
struct go_key {
	__u32 tgid;
	__u32 dir;
	__u64 g;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct go_key);
	__type(value, struct tls_call);
} go_calls SEC(".maps");

static __always_inline int go_entry(struct pt_regs *ctx, __u8 dir)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_traced(id >> 32))
		return 0;
	struct go_key k = { .tgid = id >> 32, .dir = dir, .g = ctx->r14 };
	__u64 len = ctx->cx;
	struct tls_call c = {
		.conn = ctx->ax, .buf = ctx->bx, .ts_ns = bpf_ktime_get_ns(), .num = len > 0xffffffff ? 0xffffffff : (__u32)len,
		.dir = dir, .api = TLS_API_SSL,
	};
	bpf_map_update_elem(&go_calls, &k, &c, BPF_ANY);
	return 0;
}

static __always_inline int go_return(struct pt_regs *ctx, __u8 dir)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct go_key k = { .tgid = id >> 32, .dir = dir, .g = ctx->r14 };
	struct tls_call *cp = bpf_map_lookup_elem(&go_calls, &k);
	if (!cp) {
		if (is_traced(id >> 32))
			stat_add(STAT_TLS_MISSED_ENTRY, 1);
		return 0;
	}
	struct tls_call c = *cp;
	bpf_map_delete_elem(&go_calls, &k);
	long n = (long)ctx->ax;
	if (n <= 0)
		return 0;
	__u64 len = (__u64)n;
	if (len > c.num)
		len = c.num;
	emit_data(c.conn, c.buf, len, c.dir, c.api, c.ts_ns);
	return 0;
}

SEC("uprobe")
int uprobe_go_write(struct pt_regs *ctx) { return go_entry(ctx, TLS_DIR_WRITE); }
SEC("uprobe")
int uprobe_go_write_ret(struct pt_regs *ctx) { return go_return(ctx, TLS_DIR_WRITE); }
SEC("uprobe")
int uprobe_go_read(struct pt_regs *ctx) { return go_entry(ctx, TLS_DIR_READ); }
SEC("uprobe")
int uprobe_go_read_ret(struct pt_regs *ctx) { return go_return(ctx, TLS_DIR_READ); }

/* (*Conn).Close(c *Conn): c (RAX) ends its connection; the collector frees its memory for the next *Conn. */
SEC("uprobe")
int uprobe_go_close(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!ctx->ax || !is_traced(id >> 32))
		return 0;
	struct tls_bind_event e = {};
	fill_header(&e.hdr, EV_TLS_FREE, sizeof(e));
	e.conn = ctx->ax;
	e.fd = -1;
	emit(&tls_events, &e, sizeof(e), STAT_TLS_RB_FULL);
	return 0;
}
