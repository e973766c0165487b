/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * TLS plaintext records, from uprobes on the TLS library of the traced process (OpenSSL/BoringSSL SSL_read/SSL_write
 * and their _ex variants, aws-lc's EVP_AEAD_CTX_seal/open under rustls). One SSL call of any size becomes one or more
 * chunk records of at most TLS_CHUNK_MAX bytes, each carrying only the bytes it holds. Decoded by
 * src/collector/tls/tls-events.ts.
 */
#ifndef AGENTSIGHT_TLS_H
#define AGENTSIGHT_TLS_H

#include "events.h"

#define EV_TLS_DATA 48
#define EV_TLS_BIND 49
#define EV_TLS_UNBIND 50
/* An SSL* was freed or cleared (SSL_free, SSL_clear; tls_bind_event with fd -1): its connection is over, and malloc
 * hands the address to the next one. Emitted on the TLS ring, after every chunk of that connection. */
#define EV_TLS_FREE 51
/* A handshake is in progress on this SSL* (SSL_do_handshake returned <= 0; tls_bind_event with fd -1). Where SSL_free
 * cannot be found (stripped BoringSSL in Bun), this is what ends a connection whose SSL* address was reused: a client's
 * first handshake step always returns "want read", and an established connection never runs SSL_do_handshake again
 * (BoringSSL's SSL_read/SSL_write call it only while !ssl_can_read/!ssl_can_write; TLS 1.3 has no renegotiation). */
#define EV_TLS_HANDSHAKE 52

/* Bytes per chunk record. Per-CPU scratch values are limited to 32 KiB, and 16 KiB is a TLS record's payload. */
#define TLS_CHUNK_MAX 16384
/* Chunks per call: a call larger than TLS_CHUNK_MAX * TLS_CHUNKS_MAX (64 MiB) is clipped, and the rest counted. */
#define TLS_CHUNKS_MAX 4096

/* tls_data_event.dir */
#define TLS_DIR_WRITE 0 /* the process wrote (sent) this plaintext */
#define TLS_DIR_READ 1  /* the process read (received) it */

/* tls_data_event.api */
#define TLS_API_SSL 1  /* SSL_read/SSL_write(_ex): OpenSSL, BoringSSL; gnutls_record_send/recv; Go (*tls.Conn).Write/Read */
#define TLS_API_AEAD 2 /* aws-lc EVP_AEAD_CTX_seal/open: TLS 1.3 inner plaintext (content ‖ type ‖ padding) */

struct tls_data_event {
	struct event_header hdr;
	__u64 conn;        /* SSL* (or EVP_AEAD_CTX* for TLS_API_AEAD): connection identity within the process */
	__u64 call_ts_ns;  /* entry time of the call this chunk belongs to: groups the chunks of one call */
	__u32 call_len;    /* bytes the call carried */
	__u32 offset;      /* where this chunk starts within the call */
	__u32 len;         /* bytes in this chunk (data follows the struct) */
	__u32 lost_before; /* bytes of this connection lost (ring full, fault) since its previous record */
	__u8 dir;          /* TLS_DIR_* */
	__u8 api;          /* TLS_API_* */
	__u16 _pad;
	__u32 _pad2;
	/* char data[len]; */
};

/* EV_TLS_BIND: an AEAD context was seen sending/receiving on this socket fd (rustls: one context per direction).
 * Sends: one per socket write that follows a seal on the same thread (the seal's plaintext waits for it in user space).
 * Receives: when the context's fd changes (emitted at open entry, before the plaintext).
 * EV_TLS_UNBIND (same struct, conn 0): a socket fd that contexts were bound to was closed (or replaced by dup2/dup3);
 * those bindings no longer hold, because a context's memory and the fd number may both be reused by a new connection. */
struct tls_bind_event {
	struct event_header hdr;
	__u64 conn; /* EVP_AEAD_CTX* (EV_TLS_FREE: SSL*) */
	__s32 fd;
	__u8 dir;
	__u8 _pad[3];
};

#endif
