// Yield policy: how much CPU the collector takes from the traced program. While `record` runs a command, every
// thread but the poll thread yields (nice 19, SCHED_IDLE); the policy decides, once per poll round, when to come
// back to normal priority (backlog, an exec JS must see at once, the age bound), when to run above the workload (the
// age bound at risk) and whether the poll thread should hold batches back from JS while the machine is busy.
// The poll thread reports what it sees (PollRound) and acts on the answer; the policy owns the priorities.
#ifndef AGENTSIGHT_YIELD_POLICY_H
#define AGENTSIGHT_YIELD_POLICY_H

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_set>

namespace agentsight {

// What the poll thread knows at the end of a round.
struct PollRound {
  uint64_t now_ms;
  uint64_t queued_bytes;           // handed to JS, not yet consumed
  bool exec_pending;               // a delivered batch holds an exec JS has not handled yet
  uint64_t oldest_uncommitted_ms;  // age of the oldest batch JS has not committed (0: none)
};

// Set from JS (setYield); read on the poll thread.
struct YieldSettings {
  uint64_t high_bytes = 64ull << 20;  // backlog past which the collector catches up at normal priority
  uint64_t low_bytes = 16ull << 20;   // ... until it is back under this
  double hold_busy = 0.25;            // share of all CPUs other processes use for the machine to count as busy
  uint64_t hold_max_ms = 250;         // the oldest held batch's age at most
  uint64_t durable_ms = 400;          // past this age the collector stops yielding (the age bound)
};

struct YieldCounters {
  std::atomic<bool> yielding{false};
  std::atomic<uint64_t> catchups{0};      // the backlog forced the collector back to normal priority
  std::atomic<uint64_t> exec_boosts{0};   // ... an exec JS had to see at once did
  std::atomic<uint64_t> age_boosts{0};    // ... the age bound did
  std::atomic<uint64_t> urgent_boosts{0}; // the collector ran above the workload to commit
};

class YieldPolicy {
 public:
  YieldSettings settings;
  YieldCounters counters;

  // The poll thread's id (it is never reniced) and whether it could raise its own priority: the privilege that lets
  // the collector come back from yielding.
  void OnPollThread(pid_t tid, bool can_renice);
  // setYield(on): call after spawning the traced command (a child forked from a yielding thread would inherit nice 19).
  void SetWanted(bool on);
  void SetUntilExitOf(int pid) { yield_pid_ = pid; }
  // The child whose exit ends the yielding, while it still may (0: none): the poll thread waits on it too.
  int until_exit_of() const { return wanted_.load() ? yield_pid_.load() : 0; }
  // Once per poll round: applies the priorities; returns whether the poll thread should hold batches.
  bool Round(const PollRound &r);
  // The capture stops: whatever is still queued is applied at normal priority.
  void Stop();

  // Exec watching (see yield-policy.cc WatchExecs).
  void WatchExecs(bool on) { watch_execs_ = on; }
  bool watching_execs() const { return watch_execs_.load(); }
  void KnownExe(const std::string &exe);
  // Is this record an exec of a file JS has not handled? Poll thread, every record while watching.
  bool IsNewExe(const void *data, size_t size);

 private:
  void ApplyNice(int nice, bool idle = false);
  bool HoldDecision(bool may_hold, const PollRound &r);
  static bool ReadCpu(uint64_t &busy, uint64_t &total, uint64_t &self);

  static constexpr uint64_t kHoldSampleMs = 100;  // 100 ms of 2 CPUs is 20 clock ticks: 5% steps
  std::atomic<bool> wanted_{false};
  std::atomic<int> yield_pid_{0};  // yield until this child exits (0: until setYield(false) or stop)
  std::atomic<bool> started_{false};
  bool can_renice_ = false;
  int base_nice_ = 0;
  pid_t poll_tid_ = 0;
  bool age_boosted_ = false;
  bool urgent_ = false;  // running above the workload to commit
  // CPU sample for the hold decision (poll thread only).
  bool machine_busy_ = false;
  uint64_t cpu_sample_ms_ = 0, cpu_busy_ = 0, cpu_total_ = 0, cpu_self_ = 0;
  // Execs of files JS has not handled yet. known_exes_ is written by JS (knownExe) and read on the poll thread.
  std::atomic<bool> watch_execs_{false};
  std::mutex known_mu_;
  std::unordered_set<std::string> known_exes_;
};

}  // namespace agentsight

#endif
