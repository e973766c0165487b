/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Contract shared by every BPF program, the native addon and (checked by test/native/layout.test.ts) the
 * TypeScript decoder: the header every ring-buffer record starts with, and the record type numbers.
 * Only constants and plain structs live here; no BPF or libbpf types, so native/ can include it too.
 */
#ifndef AGENTSIGHT_EVENTS_H
#define AGENTSIGHT_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Record types (event_header.type). Grouped by probe group; numbers are stored nowhere, only decoded live. */
enum event_type {
	EV_PROC_FORK = 1,
	EV_PROC_EXEC = 2,
	EV_PROC_EXIT = 3,
	EV_PROC_EXEC_FAILED = 4,
	/* 16..31: files (bpf/file.h) */
	/* 32..47: network (bpf/net.h) */
	/* 48..63: TLS (bpf/tls.h) */
	/* 64..79: pipes and unix sockets carrying JSON-RPC (bpf/pipe.h) */
};

/* Every record begins with this; `size` is the whole record including the header. 24 bytes. */
struct event_header {
	__u16 type;  /* enum event_type */
	__u16 flags; /* per-type flag bits, see each struct */
	__u32 size;  /* bytes of this record, header included */
	__u64 ts_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC; the collector converts to Unix time once */
	__u32 tgid;  /* process (thread group) id */
	__u32 tid;   /* thread id */
};

/* Indexes into the per-CPU `stats` array every object keeps: losses and clipping, summed by the loader. */
enum stat_index {
	STAT_RB_FULL = 0,         /* bpf_ringbuf_output failed: record dropped */
	STAT_ARGV_CLIPPED = 1,    /* argv longer than ARGV_MAX */
	STAT_PATH_CLIPPED = 2,    /* path deeper/longer than the walk limit */
	STAT_EXEC_MISSED = 3,     /* failed exec whose sys_enter was not seen */
	STAT_SCRATCH_MISS = 4,    /* per-CPU scratch buffer unavailable */
	STAT_TLS_CLIPPED = 5,     /* TLS payload bytes not copied (chunk too large for the ring) */
	STAT_TLS_MISSED_ENTRY = 6, /* return probe without its entry */
	STAT_TLS_RB_FULL = 7,     /* TLS record dropped: TLS ring full */
	STAT_FILE_AGG_FULL = 8,   /* file aggregation map full: event emitted unaggregated */
	STAT_FILE_MISSED_ENTRY = 9, /* no longer counted: file exits read their arguments from the saved registers */
	STAT_NET_MISSED_ENTRY = 10, /* network syscall exit without its sys_enter */
	STAT_DNS_CLIPPED = 11,    /* DNS answer longer than the copy limit: parsed from its first bytes */
	STAT_PIPE_CLIPPED = 12,   /* pipe payload bytes not copied (fault, over 64 MiB, past PIPE_IOV_MAX iovecs) */
	STAT_PIPE_RB_FULL = 13,   /* pipe record dropped: pipe ring full */
	STAT_MAX = 16,
};

/*
 * Load-time configuration: every object has one `const volatile struct agentsight_cfg cfg` in .rodata, written by
 * the loader between open and load so the verifier sees constants.
 */
struct agentsight_cfg {
	__u32 self_tgid;     /* agentsight's own pid: never traced */
	__u32 all_processes; /* 1 = emit process events for every process (system-wide `top`), 0 = traced tree only */
	__u32 wakeup_bytes;  /* wake the consumer only once this much data is pending (per-record wakeups slowed traced programs 2.4-4x) */
	__u32 _pad;
};

#endif
