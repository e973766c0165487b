#include "exec-hold.h"

#include <bpf/bpf.h>
#include <unistd.h>

#include "exec-guard.h"

namespace agentsight {

void ExecHold::SetMinBytes(int ctl_fd, uint64_t v) {
  uint32_t k = EXEC_HOLD_MIN_BYTES;
  if (ctl_fd >= 0) bpf_map_update_elem(ctl_fd, &k, &v, BPF_ANY);
}

bool ExecHold::Start(int held_fd, int ctl_fd, uint64_t min_bytes, uint64_t timeout_ms) {
  if (held_fd < 0 || ctl_fd < 0) return false;
  if (guard_fd_ < 0) guard_fd_ = exec_guard::Start(held_fd, ctl_fd, timeout_ms);
  if (guard_fd_ < 0) return false;
  SetMinBytes(ctl_fd, min_bytes);
  return true;
}

uint64_t ExecHold::Stop(int held_fd, int ctl_fd) {
  SetMinBytes(ctl_fd, 0);
  return held_fd >= 0 ? exec_guard::Sweep(held_fd, 0) : 0;
}

void ExecHold::EndGuard(int ctl_fd) {
  if (guard_fd_ < 0) return;
  SetMinBytes(ctl_fd, 0);
  close(guard_fd_);
  guard_fd_ = -1;
}

}  // namespace agentsight
