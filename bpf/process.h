/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* Process lifecycle records: fork, exec (successful and failed), exit. Decoded by src/collector/decode/process-events.ts. */
#ifndef AGENTSIGHT_PROCESS_H
#define AGENTSIGHT_PROCESS_H

#include "events.h"

#define TASK_COMM_LEN 16
/* argv is copied whole up to 16 KiB: agents pass whole prompts on the command line. */
#define ARGV_MAX 16384
/* Absolute paths are rebuilt in the kernel up to 4 KiB (PATH_MAX); longer ones are clipped and flagged. */
#define PATH_MAX_BYTES 4096

/* flags bits for exec records */
#define EXEC_F_ARGV_CLIPPED 0x1
#define EXEC_F_EXE_CLIPPED 0x2
#define EXEC_F_CWD_CLIPPED 0x4
#define EXEC_F_HELD 0x8 /* the process was stopped at this exec until its TLS probes are attached (exec_held) */

/*
 * Exec hold (bpf/process.bpf.c, native/exec-guard.h, src/collector/tls/exec-hold.ts): a traced process that execs a
 * file not yet handled in this capture, big enough to hold a TLS stack, is stopped (SIGSTOP) before its first user
 * instruction and continued by the collector once the file's probes are attached, or by the guard process.
 */
/* exec_hold_ctl: array of __u64, the runtime knob and counters */
enum exec_hold_ctl_index {
	EXEC_HOLD_MIN_BYTES = 0,  /* files at least this big are held; 0 = hold nothing (collector gone or no TLS) */
	EXEC_HOLD_NOT_HELD = 1,   /* execs of unhandled big files not held: job control (another process group), ptrace, failure */
	EXEC_HOLD_TIMEOUTS = 2,   /* held past the guard's bound and continued by it (written by the guard) */
	EXEC_HOLD_ORPHANED = 3,   /* continued by the guard because the collector went away (written by the guard) */
	EXEC_HOLD_CTL_MAX = 4,
};

/* exec_handled key: a file by its kernel identity (inode->i_sb->s_dev in the kernel's encoding, inode->i_ino). */
struct exec_file_key {
	__u64 dev;
	__u64 ino;
};

/* exec_held value, keyed by tgid: one entry per process stopped and not yet continued. */
struct exec_hold {
	__u64 ts_ns;     /* bpf_ktime_get_ns() at the stop */
	__u64 kstart_ns; /* identity of the process with its tgid */
	struct exec_file_key file;
};

/* EV_PROC_FORK: a new process (not a thread) was created. header.tgid = the child. */
struct proc_fork_event {
	struct event_header hdr;
	__u64 kstart_ns;        /* child's task->start_time (CLOCK_MONOTONIC): identity with tgid */
	__u64 parent_kstart_ns; /* parent's group leader start_time */
	__u32 parent_tgid;
	__u32 uid;
	char comm[TASK_COMM_LEN];
};

/*
 * EV_PROC_EXEC (successful exec, from sched_process_exec) and EV_PROC_EXEC_FAILED (execve/execveat returning
 * < 0, from the syscall exit tracepoint). Header followed by payload: exe (exe_len bytes, no NUL), cwd (cwd_len),
 * argv (argv_len bytes, each argument NUL-terminated). For failed execs `exe` is the filename as passed.
 */
struct proc_exec_event {
	struct event_header hdr;
	__u64 kstart_ns;
	__u32 ppid;
	__u32 uid;
	__s32 ret;         /* 0, or -errno for EV_PROC_EXEC_FAILED */
	__u16 exe_len;
	__u16 cwd_len;
	__u32 argv_len;
	__u32 ns_tgid;     /* the process's pid in its own pid namespace (a container's): == tgid on the host; 0 if failed */
	char comm[TASK_COMM_LEN];
	/* char payload[exe_len + cwd_len + argv_len]; */
};

/* EV_PROC_EXIT: the last thread of a process exited. */
struct proc_exit_event {
	struct event_header hdr;
	__u64 kstart_ns;
	__u32 exit_code;   /* wait(2) status: (code << 8) | signal | 0x80 core */
	__u32 _pad;
	__u64 maxrss_kb;   /* peak resident set of the process */
	char comm[TASK_COMM_LEN];
};

#endif
