// Exec guard: a small process that makes sure no process the collector stopped at an exec (bpf/process.bpf.c
// hold_exec) stays stopped. The collector continues each one itself once the file's TLS probes are attached; the
// guard covers what it cannot: a collector that is slow past the bound (discovery is synchronous JS), that is itself
// stopped (Ctrl-Z of `record`), or that is gone (kill -9, crash). Forked once per capture, it owns copies of two map
// fds only: exec_held (tgid -> when stopped) and exec_hold_ctl (the knob and counters).
//
//  - every kPollMs: a process held longer than the bound is continued (SIGCONT) and counted (EXEC_HOLD_TIMEOUTS);
//  - when the collector's end of the pipe closes (normal close, hand-off, or its death): the knob is set to 0 so the
//    kernel holds nothing more, every held process is continued (EXEC_HOLD_ORPHANED), a few times over in case an
//    exec was being held in that same instant, and the guard exits.
//
// Only entries of exec_held are continued: a process stopped by someone else (job control, a debugger) is never
// in it, so it is never resumed by us. The child runs only async-signal-safe calls (the collector has threads).
#ifndef AGENTSIGHT_EXEC_GUARD_H
#define AGENTSIGHT_EXEC_GUARD_H

#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include "../bpf/process.h"

namespace exec_guard {

constexpr int kPollMs = 100;

inline uint64_t MonotonicNs() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return uint64_t(t.tv_sec) * 1000000000ull + uint64_t(t.tv_nsec);
}

inline void CtlAdd(int ctl_fd, uint32_t idx, uint64_t n) {
  uint64_t v = 0;
  if (bpf_map_lookup_elem(ctl_fd, &idx, &v)) v = 0;
  v += n;
  bpf_map_update_elem(ctl_fd, &idx, &v, BPF_ANY);
}

// Continue every held process stopped before `before_ns` (0: all); returns how many. The entry is deleted first: a
// failed delete means the collector (or a concurrent sweep) took it, and only the taker sends SIGCONT.
inline uint64_t Sweep(int held_fd, uint64_t before_ns) {
  uint32_t keys[256];
  size_t n = 0;
  uint32_t key, next;
  bool first = true;
  while (n < 256 && bpf_map_get_next_key(held_fd, first ? nullptr : &key, &next) == 0) {
    keys[n++] = next;
    key = next;
    first = false;
  }
  uint64_t done = 0;
  for (size_t i = 0; i < n; i++) {
    exec_hold h;
    if (bpf_map_lookup_elem(held_fd, &keys[i], &h)) continue;
    if (before_ns && h.ts_ns >= before_ns) continue;
    if (bpf_map_delete_elem(held_fd, &keys[i])) continue;
    kill(pid_t(keys[i]), SIGCONT);
    done++;
  }
  return done;
}

[[noreturn]] inline void Run(int held_fd, int ctl_fd, int pipe_rd, uint64_t timeout_ms) {
  for (;;) {
    pollfd p = {pipe_rd, POLLIN, 0};
    int r = poll(&p, 1, kPollMs);
    if (r > 0) break;  // EOF (or anything) on a pipe the collector never writes to: it closed its end or died
    uint64_t now = MonotonicNs();
    uint64_t bound = timeout_ms * 1000000ull;
    if (now > bound) {
      uint64_t n = Sweep(held_fd, now - bound);
      if (n) CtlAdd(ctl_fd, EXEC_HOLD_TIMEOUTS, n);
    }
  }
  uint32_t k = EXEC_HOLD_MIN_BYTES;
  uint64_t zero = 0;
  bpf_map_update_elem(ctl_fd, &k, &zero, BPF_ANY);
  // A program that read the knob just before it changed may still be holding one: sweep again for a while.
  for (int i = 0; i < 10; i++) {
    uint64_t n = Sweep(held_fd, 0);
    if (n) CtlAdd(ctl_fd, EXEC_HOLD_ORPHANED, n);
    timespec ts = {0, 100 * 1000000L};
    nanosleep(&ts, nullptr);
  }
  _exit(0);
}

// Forks the guard (double fork: it is reparented to init, nobody has to reap it) and returns the write end of its
// pipe (close-on-exec): closing it, or this process's death, ends the guard. -1 when no guard could be started.
inline int Start(int held_fd, int ctl_fd, uint64_t timeout_ms) {
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    if (fork() != 0) _exit(0);
    setsid();  // no terminal signals (Ctrl-C, Ctrl-Z of `record`)
    if (chdir("/")) {
    }
    int keep[3] = {held_fd, ctl_fd, pfd[0]};  // no allocation in the child: another thread may hold malloc's lock
    std::sort(keep, keep + 3);
    unsigned from = 0;
    for (int fd : keep) {
      if (unsigned(fd) > from) syscall(SYS_close_range, from, unsigned(fd) - 1, 0u);
      from = unsigned(fd) + 1;
    }
    syscall(SYS_close_range, from, ~0u, 0u);
    Run(held_fd, ctl_fd, pfd[0], timeout_ms);
  }
  close(pfd[0]);
  if (pid < 0) {
    close(pfd[1]);
    return -1;
  }
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return pfd[1];
}

}  // namespace exec_guard

#endif
