/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Bytes written by traced processes into pipes and unix stream sockets that carry JSON-RPC (MCP over stdio: an agent
 * writes requests into its server's stdin, the server writes responses to its stdout). Only writes are captured: every
 * byte of the conversation is written once, by one traced process, so capturing reads too would copy it twice. A
 * write of any size becomes one or more chunk records of at most PIPE_CHUNK_MAX bytes. Decoded by
 * src/collector/mcp/pipe-events.ts.
 */
#ifndef AGENTSIGHT_PIPE_H
#define AGENTSIGHT_PIPE_H

#include "events.h"

/* 64..79: pipes and unix sockets carrying JSON-RPC */
#define EV_PIPE_DATA 64

/* Bytes per chunk record (a per-CPU scratch value holds one). */
#define PIPE_CHUNK_MAX 16384
/* Chunks per write: a write larger than PIPE_CHUNK_MAX * PIPE_CHUNKS_MAX (64 MiB) is clipped, and the rest counted. */
#define PIPE_CHUNKS_MAX 4096
/* iovecs read per writev/sendmsg: bytes in later ones are counted as lost. */
#define PIPE_IOV_MAX 64

/* pipe_data_event.kind */
#define PIPE_KIND_FIFO 1 /* a pipe (pipe(2), pipe2(2), a named FIFO) */
#define PIPE_KIND_UNIX 2 /* a unix stream socket (socketpair: libuv gives child processes these as stdio) */
#define PIPE_KIND_TCP 3  /* a TCP socket whose first write was plaintext HTTP/1.1 (MCP's streamable HTTP) */

struct pipe_data_event {
	struct event_header hdr;
	__u64 ino;         /* the inode the reading end sees: a pipe's inode (both ends share it), a unix socket's peer */
	__u64 stdin_ino;   /* inode of the writer's own fd 0: pairs a server's replies with what its client writes to its stdin;
	                    * for PIPE_KIND_TCP the socket's ports instead: local << 16 | remote */
	__u64 call_ts_ns;  /* time of the write syscall's exit: groups the chunks of one call */
	__u32 call_len;    /* bytes the call wrote */
	__u32 offset;      /* where this chunk starts within the call */
	__u32 len;         /* bytes in this chunk (data follows the struct) */
	__u32 lost_before; /* bytes of this stream lost (ring full, fault, clipped) since its previous record */
	__s32 fd;          /* the fd written */
	__u8 kind;         /* PIPE_KIND_* */
	__u8 _pad[3];
	/* char data[len]; */
};

#endif
