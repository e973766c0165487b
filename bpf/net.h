/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Network records (types 32..47). Decoded by src/collector/net/net-events.ts; layouts checked against this header by
 * the layout test (CHECKED_LAYOUTS in src/collector/decode/layout.ts).
 */
#ifndef AGENTSIGHT_NET_H
#define AGENTSIGHT_NET_H

#include "events.h"

#define EV_NET_CONNECT 32 /* connect(2) returned; ret 0, -EINPROGRESS (non-blocking) or -errno */
#define EV_NET_BIND 33    /* bind(2) returned */
#define EV_NET_LISTEN 34  /* listen(2) returned; address = the socket's local address */
#define EV_NET_ACCEPT 35  /* accept/accept4 returned a connection; address = the peer */
#define EV_NET_DNS 36     /* a UDP datagram from port 53 received by a traced process (a DNS answer) */
#define EV_NET_TLS_HELLO 37 /* the first bytes a traced process sent on a connected socket were a TLS ClientHello */

#define NET_ADDR_MAX 108 /* sizeof(sun_path) */
#define DNS_COPY_MAX 1536 /* bytes of a DNS answer copied; longer ones are parsed from these (STAT_DNS_CLIPPED) */

/*
 * EV_NET_CONNECT/BIND/LISTEN/ACCEPT. Fixed size. For connect and bind the address is the one the process passed;
 * for listen the socket's local address; for accept the peer's.
 */
struct net_event {
	struct event_header hdr;
	__u64 sock_id;    /* struct sock pointer: key of the byte counters in the sock_bytes map, 0 if unknown */
	__s64 ret;        /* syscall result (accept: the new fd) */
	__s32 fd;         /* the socket's fd (accept: the listening fd) */
	__u16 family;     /* AF_UNIX 1, AF_INET 2, AF_INET6 10, other values as the kernel has them */
	__u16 port;       /* host byte order; 0 for unix */
	__u16 sock_type;  /* SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_SEQPACKET 5, 0 unknown */
	__u16 protocol;   /* IPPROTO_TCP 6, IPPROTO_UDP 17, 0 (unix) */
	__u16 addr_len;   /* bytes used in addr: 4 (IPv4), 16 (IPv6), unix path length (abstract names start with NUL) */
	__u16 _pad;
	__u8 addr[NET_ADDR_MAX];
	__u32 _pad2;
	/*
	 * Final counters of the previous socket at this sock_id (the kernel reuses freed struct sock memory): the
	 * collector polls counters asynchronously, so they are handed over here before the entry restarts at zero.
	 */
	__u64 prev_sent;
	__u64 prev_recv;
};

/* EV_NET_DNS: header followed by len bytes of the datagram (orig_len: its full size). */
struct net_dns_event {
	struct event_header hdr;
	__u32 len;
	__u32 orig_len;
	/* __u8 data[len]; */
};

/*
 * EV_NET_TLS_HELLO: sent once per socket, at its first send, when those bytes are a TLS handshake record holding a
 * ClientHello (16 03 0x .. .. 01). The collector compares such sockets with the TLS plaintext it captured: a TLS
 * connection without plaintext is a loss (tls:not-probed, tls:before-attach, tls:unknown-stack).
 */
struct net_tls_event {
	struct event_header hdr;
	__u64 sock_id;  /* struct sock pointer, as in the connect record */
	__u32 len;      /* bytes of that first send */
	__u16 version;  /* record-layer version of the hello (0x0301 for TLS 1.0-1.3 ClientHellos) */
	__u16 _pad;
};

/* Value of the sock_bytes map (key: struct sock pointer), read by the collector with a map lookup per tick. */
struct sock_bytes {
	__u64 sent;
	__u64 recv;
};

#endif
