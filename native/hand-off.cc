#include "hand-off.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

namespace agentsight {

bool ForkKeeper(const std::vector<int> &fds) {
  std::vector<int> keep = fds;
  int pfd[2];
  if (keep.empty() || pipe2(pfd, O_CLOEXEC) != 0) return false;
  keep.push_back(pfd[0]);
  std::sort(keep.begin(), keep.end());
  keep.erase(std::unique(keep.begin(), keep.end()), keep.end());
  pid_t pid = fork();
  if (pid == 0) {
    // Only async-signal-safe calls from here: this process has other threads.
    setsid();  // no terminal signals; not in the caller's process group
    unsigned int from = 0;
    for (int fd : keep) {
      if (unsigned(fd) > from) syscall(SYS_close_range, from, unsigned(fd) - 1, 0u);
      from = unsigned(fd) + 1;
    }
    syscall(SYS_close_range, from, ~0u, 0u);
    char c;
    while (read(pfd[0], &c, 1) < 0 && errno == EINTR) {
    }
    _exit(0);
  }
  close(pfd[0]);
  if (pid < 0) {
    close(pfd[1]);
    return false;
  }
  // pfd[1] stays open (close-on-exec) until this process exits: that is the child's signal.
  return true;
}

}  // namespace agentsight
