// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Benchmark-only event source (loaded by `npm run bench`, never by record/top): every getppid(2) of a traced process
 * emits one exec record through the real ring, so the whole path — ring, native batches, decode, process model,
 * SQLite rows — is measured at rates real workloads cannot produce on demand.
 */
#include "common.bpf.h"
#include "process.h"

/* exe "/bench" (6 bytes), cwd "/" (1), argv "/\0bench\0" (8): the fields are back to back, without separators. */
#define BENCH_PAYLOAD "/bench//\0bench\0"
#define BENCH_PAYLOAD_LEN 15

struct bench_record {
	struct proc_exec_event e;
	char payload[16];
};

SEC("tp/syscalls/sys_enter_getppid")
int handle_bench_getppid(void *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (!is_traced(tgid))
		return 0;
	struct bench_record r = {};
	fill_header(&r.e.hdr, EV_PROC_EXEC, sizeof(r.e) + BENCH_PAYLOAD_LEN);
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	r.e.kstart_ns = task_kstart(task);
	r.e.ppid = BPF_CORE_READ(task, real_parent, tgid);
	r.e.exe_len = 6;
	r.e.cwd_len = 1;
	r.e.argv_len = 8;
	__builtin_memcpy(r.payload, BENCH_PAYLOAD, BENCH_PAYLOAD_LEN);
	__builtin_memcpy(r.e.comm, "bench", 6);
	emit(&shared_events, &r, sizeof(r.e) + BENCH_PAYLOAD_LEN, STAT_RB_FULL);
	return 0;
}
