// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Network activity of traced processes: connect/bind/listen/accept from the syscall tracepoints (arguments kept at
 * sys_enter, the record built at sys_exit with the result), DNS answers from recvfrom/recvmsg of UDP port 53, and
 * bytes per socket from the sock_send_length/sock_recv_length tracepoints (6.3+), which fire for every path into a
 * socket (write, writev, send*, read, recv*) without a record per call: the bytes add up in sock_bytes, which the
 * collector reads with one map lookup per live connection per tick.
 */
#include "common.bpf.h"
#include "net.h"

#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define MSG_PEEK 2
#define DNS_PORT_BE 0x3500 /* htons(53) */

struct pending_net {
	__u64 addr;     /* user sockaddr (connect, bind, recvfrom's source) or msghdr (recvmsg) */
	__u64 buf;      /* recvfrom buffer */
	__s32 fd;
	__u32 type;     /* EV_NET_* (EV_NET_DNS for recvfrom/recvmsg) */
	__u32 is_msg;   /* recvmsg: addr is a struct user_msghdr */
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct pending_net);
} pending_net_ops SEC(".maps");

/* Byte counters of sockets traced processes connected or accepted (see the header). LRU: closed sockets age out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct sock_bytes);
} sock_bytes SEC(".maps");

struct dns_scratch {
	struct net_dns_event e;
	__u8 data[2048]; /* DNS_COPY_MAX rounded up to a power of two so a masked length stays inside */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dns_scratch);
} dns_scratch_map SEC(".maps");

static __always_inline int current_traced(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	return tgid != cfg.self_tgid && is_traced(tgid);
}

/* The struct socket behind fd, or NULL when fd is not a socket. */
static __always_inline struct socket *fd_socket(int fd)
{
	if (fd < 0)
		return NULL;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	unsigned int max = BPF_CORE_READ(fdt, max_fds);
	if ((unsigned int)fd >= max)
		return NULL;
	struct file **arr = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]);
	if (!f)
		return NULL;
	__u16 imode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((imode & S_IFMT) != S_IFSOCK)
		return NULL;
	return (struct socket *)BPF_CORE_READ(f, private_data);
}

static __always_inline int remember(__u32 type, int fd, __u64 addr, __u64 buf, __u32 is_msg)
{
	if (!current_traced())
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pending_net p = { .addr = addr, .buf = buf, .fd = fd, .type = type, .is_msg = is_msg };
	bpf_map_update_elem(&pending_net_ops, &tid, &p, BPF_ANY);
	return 0;
}

static __always_inline int take(struct pending_net *out)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pending_net *p = bpf_map_lookup_elem(&pending_net_ops, &tid);
	if (!p) {
		if (current_traced())
			stat_add(STAT_NET_MISSED_ENTRY, 1);
		return 0;
	}
	*out = *p;
	bpf_map_delete_elem(&pending_net_ops, &tid);
	return 1;
}

/* Fill family/port/addr from a user sockaddr. */
static __always_inline void addr_from_user(struct net_event *e, __u64 uaddr)
{
	if (!uaddr)
		return;
	__u16 family = 0;
	bpf_probe_read_user(&family, sizeof(family), (void *)uaddr);
	e->family = family;
	if (family == AF_INET) {
		__u16 port = 0;
		bpf_probe_read_user(&port, 2, (void *)(uaddr + 2));
		e->port = __builtin_bswap16(port);
		bpf_probe_read_user(e->addr, 4, (void *)(uaddr + 4));
		e->addr_len = 4;
	} else if (family == AF_INET6) {
		__u16 port = 0;
		bpf_probe_read_user(&port, 2, (void *)(uaddr + 2));
		e->port = __builtin_bswap16(port);
		bpf_probe_read_user(e->addr, 16, (void *)(uaddr + 8));
		e->addr_len = 16;
	} else if (family == AF_UNIX) {
		/* abstract names start with NUL, so copy the whole sun_path; the collector trims trailing NULs */
		bpf_probe_read_user(e->addr, NET_ADDR_MAX, (void *)(uaddr + 2));
		e->addr_len = NET_ADDR_MAX;
	}
}

/* Fill family/port/addr from the socket itself: local (listen) or peer (accept). */
static __always_inline void addr_from_sock(struct net_event *e, struct sock *sk, int peer)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->family = family;
	if (family == AF_INET) {
		__u32 a = peer ? BPF_CORE_READ(sk, __sk_common.skc_daddr) : BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__builtin_memcpy(e->addr, &a, 4);
		e->addr_len = 4;
	} else if (family == AF_INET6) {
		if (peer)
			BPF_CORE_READ_INTO(&e->addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
		else
			BPF_CORE_READ_INTO(&e->addr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		e->addr_len = 16;
	}
	if (family == AF_INET || family == AF_INET6)
		e->port = peer ? __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport))
			       : BPF_CORE_READ(sk, __sk_common.skc_num);
}

static __always_inline void count_socket(struct net_event *e, struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct sock_bytes *old = bpf_map_lookup_elem(&sock_bytes, &key);
	if (old) {
		e->prev_sent = old->sent;
		e->prev_recv = old->recv;
	}
	struct sock_bytes zero = {};
	bpf_map_update_elem(&sock_bytes, &key, &zero, BPF_ANY); /* a reused pointer starts from zero */
}

static __always_inline int emit_net(long ret)
{
	struct pending_net p;
	if (!take(&p))
		return 0;
	struct net_event e = {};
	fill_header(&e.hdr, p.type, sizeof(e));
	e.ret = ret;
	e.fd = p.fd;
	int sock_fd = p.type == EV_NET_ACCEPT ? (int)ret : p.fd;
	if (p.type == EV_NET_ACCEPT && ret < 0)
		return 0; /* failed accepts (EAGAIN on non-blocking listeners) are not activity */
	struct socket *sock = fd_socket(sock_fd);
	struct sock *sk = NULL;
	if (sock) {
		sk = BPF_CORE_READ(sock, sk);
		e.sock_type = BPF_CORE_READ(sock, type);
		if (sk)
			e.protocol = BPF_CORE_READ(sk, sk_protocol);
	}
	e.sock_id = (__u64)sk;
	if (p.type == EV_NET_CONNECT || p.type == EV_NET_BIND)
		addr_from_user(&e, p.addr);
	else if (sk)
		addr_from_sock(&e, sk, p.type == EV_NET_ACCEPT);
	if (sk && ((p.type == EV_NET_CONNECT && (ret == 0 || ret == -115 /* EINPROGRESS */)) || p.type == EV_NET_ACCEPT))
		count_socket(&e, sk);
	emit(&shared_events, &e, sizeof(e), STAT_RB_FULL);
	return 0;
}

SEC("tp/syscalls/sys_enter_connect")
int handle_sys_enter_connect(struct trace_event_raw_sys_enter *ctx)
{
	return remember(EV_NET_CONNECT, ctx->args[0], ctx->args[1], 0, 0);
}

SEC("tp/syscalls/sys_enter_bind")
int handle_sys_enter_bind(struct trace_event_raw_sys_enter *ctx)
{
	return remember(EV_NET_BIND, ctx->args[0], ctx->args[1], 0, 0);
}

SEC("tp/syscalls/sys_enter_listen")
int handle_sys_enter_listen(struct trace_event_raw_sys_enter *ctx)
{
	return remember(EV_NET_LISTEN, ctx->args[0], 0, 0, 0);
}

SEC("tp/syscalls/sys_enter_accept")
int handle_sys_enter_accept(struct trace_event_raw_sys_enter *ctx)
{
	return remember(EV_NET_ACCEPT, ctx->args[0], 0, 0, 0);
}

SEC("tp/syscalls/sys_enter_accept4")
int handle_sys_enter_accept4(struct trace_event_raw_sys_enter *ctx)
{
	return remember(EV_NET_ACCEPT, ctx->args[0], 0, 0, 0);
}

#define NET_EXIT(name)                                                       \
	SEC("tp/syscalls/sys_exit_" #name)                                   \
	int handle_sys_exit_##name(struct trace_event_raw_sys_exit *ctx)     \
	{                                                                    \
		return emit_net(ctx->ret);                                   \
	}

NET_EXIT(connect)
NET_EXIT(bind)
NET_EXIT(listen)
NET_EXIT(accept)
NET_EXIT(accept4)

/* ---- DNS answers ---- */

SEC("tp/syscalls/sys_enter_recvfrom")
int handle_sys_enter_recvfrom(struct trace_event_raw_sys_enter *ctx)
{
	/* recvfrom(fd, buf, len, flags, src_addr, addrlen) */
	return remember(EV_NET_DNS, ctx->args[0], ctx->args[4], ctx->args[1], 0);
}

SEC("tp/syscalls/sys_enter_recvmsg")
int handle_sys_enter_recvmsg(struct trace_event_raw_sys_enter *ctx)
{
	/* recvmsg(fd, msg, flags) */
	return remember(EV_NET_DNS, ctx->args[0], ctx->args[1], 0, 1);
}

static __always_inline int emit_dns(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pending_net *pp = bpf_map_lookup_elem(&pending_net_ops, &tid);
	if (!pp)
		return 0; /* recv* is frequent; only traced threads have an entry, so no missed-entry count here */
	struct pending_net p = *pp;
	bpf_map_delete_elem(&pending_net_ops, &tid);
	if (ret <= 0)
		return 0;
	struct socket *sock = fd_socket(p.fd);
	if (!sock)
		return 0;
	struct sock *sk = BPF_CORE_READ(sock, sk);
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != 17 /* IPPROTO_UDP */)
		return 0;

	__u64 src = p.addr, buf = p.buf, buf_len = ret;
	if (p.is_msg) {
		/* struct user_msghdr { void *msg_name; int msg_namelen; struct iovec *msg_iov; ... } */
		__u64 name = 0, iov = 0;
		bpf_probe_read_user(&name, 8, (void *)p.addr);
		bpf_probe_read_user(&iov, 8, (void *)(p.addr + 16));
		src = name;
		__u64 iov0[2] = {}; /* struct iovec { void *iov_base; size_t iov_len; } */
		if (iov)
			bpf_probe_read_user(iov0, sizeof(iov0), (void *)iov);
		buf = iov0[0];
		if (iov0[1] < buf_len)
			buf_len = iov0[1];
	}
	int from_dns = BPF_CORE_READ(sk, __sk_common.skc_dport) == DNS_PORT_BE;
	if (!from_dns && src) {
		__u16 port = 0;
		bpf_probe_read_user(&port, 2, (void *)(src + 2));
		from_dns = port == DNS_PORT_BE;
	}
	if (!from_dns || !buf)
		return 0;

	__u32 zero = 0;
	struct dns_scratch *s = bpf_map_lookup_elem(&dns_scratch_map, &zero);
	if (!s) {
		stat_add(STAT_SCRATCH_MISS, 1);
		return 0;
	}
	fill_header(&s->e.hdr, EV_NET_DNS, 0);
	s->e.orig_len = ret;
	__u32 len = buf_len;
	if (len > DNS_COPY_MAX) {
		len = DNS_COPY_MAX;
		stat_add(STAT_DNS_CLIPPED, 1);
	}
	BARRIER_MASK(len, 2047);
	if (bpf_probe_read_user(s->data, len, (void *)buf))
		return 0;
	s->e.len = len;
	__u64 size = sizeof(s->e) + len;
	BARRIER_MASK(size, 4095);
	if (size > sizeof(*s))
		size = sizeof(*s);
	s->e.hdr.size = size;
	emit(&shared_events, s, size, STAT_RB_FULL);
	return 0;
}

SEC("tp/syscalls/sys_exit_recvfrom")
int handle_sys_exit_recvfrom(struct trace_event_raw_sys_exit *ctx)
{
	return emit_dns(ctx->ret);
}

SEC("tp/syscalls/sys_exit_recvmsg")
int handle_sys_exit_recvmsg(struct trace_event_raw_sys_exit *ctx)
{
	return emit_dns(ctx->ret);
}

/* ---- bytes per socket ---- */

/*
 * The user buffer of the send in progress, from the syscall's saved registers (the tracepoint has no message):
 * write/sendto pass it directly, writev/sendmsg through their first iovec. 0 for other paths (io_uring, sendmmsg,
 * splice) and other architectures: such a socket is simply not recognised as TLS.
 */
static __always_inline __u64 send_buffer(void)
{
#if defined(__TARGET_ARCH_x86)
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	long nr = BPF_CORE_READ(regs, orig_ax);
	__u64 a2 = PT_REGS_PARM2_CORE_SYSCALL(regs);
	__u64 iov = 0, base = 0;
	if (nr == 1 /* write */ || nr == 44 /* sendto */)
		return a2;
	if (nr == 20 /* writev */)
		iov = a2;
	else if (nr == 46 /* sendmsg: struct user_msghdr { name; namelen; iov; … } */)
		bpf_probe_read_user(&iov, 8, (void *)(a2 + 16));
	if (iov)
		bpf_probe_read_user(&base, 8, (void *)iov);
	return base;
#else
	return 0;
#endif
}

/* First send of a connected socket: a TLS handshake record (16 03 0x) carrying a ClientHello (type 1) is reported. */
static __always_inline void check_tls_hello(struct sock *sk, int len)
{
	__u64 buf = send_buffer();
	__u8 b[6] = {};
	if (!buf || len < 6 || bpf_probe_read_user(b, sizeof(b), (void *)buf))
		return;
	if (b[0] != 0x16 || b[1] != 3 || b[2] > 4 || b[5] != 1)
		return;
	struct net_tls_event e = {};
	fill_header(&e.hdr, EV_NET_TLS_HELLO, sizeof(e));
	e.sock_id = (__u64)sk;
	e.len = len;
	e.version = (b[1] << 8) | b[2];
	emit(&shared_events, &e, sizeof(e), STAT_RB_FULL);
}

static __always_inline int count_bytes(struct sock *sk, int ret, int sent)
{
	if (ret <= 0 || !current_traced())
		return 0;
	__u64 key = (__u64)sk;
	struct sock_bytes *b = bpf_map_lookup_elem(&sock_bytes, &key);
	if (!b)
		return 0;
	if (sent) {
		/* only the socket's first send is looked at: one read of six user bytes per connection */
		if (__sync_fetch_and_add(&b->sent, ret) == 0)
			check_tls_hello(sk, ret);
	} else {
		__sync_fetch_and_add(&b->recv, ret);
	}
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(handle_sock_send_length, struct sock *sk, int ret, int flags)
{
	return count_bytes(sk, ret, 1);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(handle_sock_recv_length, struct sock *sk, int ret, int flags)
{
	if (flags & MSG_PEEK)
		return 0;
	return count_bytes(sk, ret, 0);
}
