#include "hand-off.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace agentsight {
namespace {

// What the keeper reads, in memory the caller never frees or reuses (see ForkKeeper).
struct KeeperArgs {
  int pipe_rd;
  size_t n;
  int fds[];  // sorted, unique: the fds to keep, pipe_rd among them
};

constexpr size_t kKeeperStack = 64 * 1024;

// The keeper, on its own stack in the caller's address space (CLONE_VM). It writes no memory but that stack: raw
// system calls only, none of which can fail here but read (and a failed one would only set the errno of the thread
// that cloned it, a value nobody reads between its own calls).
int KeeperMain(void *p) {
  const KeeperArgs *k = static_cast<const KeeperArgs *>(p);
  // The handlers are the caller's (node's, in memory the keeper shares): back to the defaults before unblocking, so
  // no handler of the caller ever runs here, and a SIGTERM ends the keeper (its exit then releases the probes).
  struct {
    void *handler;
    unsigned long flags;
    void *restorer;
    uint64_t mask;
  } dfl = {nullptr, 0, nullptr, 0};
  for (int sig = 1; sig <= 64; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) syscall(SYS_rt_sigaction, sig, &dfl, nullptr, sizeof(uint64_t));
  uint64_t none = 0;
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, nullptr, sizeof none);
  syscall(SYS_setsid);  // no terminal signals; not in the caller's process group
  unsigned int from = 0;
  for (size_t i = 0; i < k->n; i++) {
    unsigned int fd = unsigned(k->fds[i]);
    if (fd > from) syscall(SYS_close_range, from, fd - 1, 0u);
    from = fd + 1;
  }
  syscall(SYS_close_range, from, ~0u, 0u);
  char c;
  while (syscall(SYS_read, k->pipe_rd, &c, 1) < 0) {
  }
  syscall(SYS_exit_group, 0);
  return 0;
}

}  // namespace

bool ForkKeeper(const std::vector<int> &fds) {
  std::vector<int> keep = fds;
  int pfd[2];
  if (keep.empty() || pipe2(pfd, O_CLOEXEC) != 0) return false;
  keep.push_back(pfd[0]);
  std::sort(keep.begin(), keep.end());
  keep.erase(std::unique(keep.begin(), keep.end()), keep.end());
  // The keeper shares this process's memory instead of copying its page tables (fork of a ~250 MB node with the rings
  // mapped: ~4 ms, and as much again to unmap the rings here): this process's exit then leaves its memory to the
  // keeper, whose exit frees it after the probes, off the path to the shell's prompt. Stack and arguments live in
  // a mapping that is never unmapped: this process is about to exit.
  size_t args = sizeof(KeeperArgs) + keep.size() * sizeof(int);
  size_t len = kKeeperStack + ((args + 4095) & ~size_t(4095));
  void *mem = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (mem == MAP_FAILED) {
    close(pfd[0]);
    close(pfd[1]);
    return false;
  }
  KeeperArgs *k = reinterpret_cast<KeeperArgs *>(static_cast<char *>(mem) + kKeeperStack);
  k->pipe_rd = pfd[0];
  k->n = keep.size();
  memcpy(k->fds, keep.data(), keep.size() * sizeof(int));
  // Every signal blocked from before the clone until the keeper has reset its handlers (as posix_spawn does).
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = clone(KeeperMain, static_cast<char *>(mem) + kKeeperStack, CLONE_VM | SIGCHLD, k);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  close(pfd[0]);
  if (pid < 0) {
    close(pfd[1]);
    munmap(mem, len);
    return false;
  }
  // pfd[1] stays open (close-on-exec) until this process exits: that is the keeper's signal.
  return true;
}

}  // namespace agentsight
