// Exec hold, the collector's side: tells bpf/process.bpf.c (hold_exec) to stop traced processes at the exec of an
// unhandled file, once the guard process (exec-guard.h) runs: without it a stopped process could outlive us stopped.
#ifndef AGENTSIGHT_EXEC_HOLD_H
#define AGENTSIGHT_EXEC_HOLD_H

#include <cstdint>

namespace agentsight {

class ExecHold {
 public:
  // held_fd: exec_held, ctl_fd: exec_hold_ctl (-1 when not loaded). false: no hold (no maps or no guard).
  bool Start(int held_fd, int ctl_fd, uint64_t min_bytes, uint64_t timeout_ms);
  // Hold nothing more and continue every process still held; returns how many were.
  uint64_t Stop(int held_fd, int ctl_fd);
  // The guard continues whatever is still held and exits once its pipe closes.
  void EndGuard(int ctl_fd);

 private:
  static void SetMinBytes(int ctl_fd, uint64_t v);
  int guard_fd_ = -1;  // write end of the exec guard's pipe
};

}  // namespace agentsight

#endif
