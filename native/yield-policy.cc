#include "yield-policy.h"

#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>

#include "../bpf/process.h"

namespace agentsight {

void YieldPolicy::OnPollThread(pid_t tid, bool can_renice) {
  poll_tid_ = tid;
  can_renice_ = can_renice;
}

void YieldPolicy::SetWanted(bool on) {
  // Only from the normal policy: a collector someone runs as SCHED_BATCH or real-time is left as it was.
  if (on && sched_getscheduler(0) != SCHED_OTHER) on = false;
  if (on && !wanted_.load()) {
    base_nice_ = getpriority(PRIO_PROCESS, 0);
    started_ = true;
  }
  wanted_ = on;
}

void YieldPolicy::Stop() {
  wanted_ = false;
  if (counters.yielding.load() || urgent_) {
    ApplyNice(base_nice_);
    counters.yielding = false;
    urgent_ = false;
  }
}

// Every thread of this process except the poll thread (the JS thread, V8's GC and compiler workers, libuv's pool)
// gets this nice value. Threads they create later inherit it.
// With idle: SCHED_IDLE as well. Under SCHED_IDLE a thread never preempts a normal one on wakeup, and the
// scheduler counts a CPU running only such threads as idle when it places a waking task, so the traced program
// lands on the collector's core instead of queueing behind it (nice 19 alone still took its slices there).
void YieldPolicy::ApplyNice(int nice, bool idle) {
  DIR *d = opendir("/proc/self/task");
  if (!d) return;
  sched_param sp{};
  while (dirent *e = readdir(d)) {
    pid_t tid = static_cast<pid_t>(atoi(e->d_name));
    if (tid <= 0 || tid == poll_tid_) continue;
    sched_setscheduler(tid, idle ? SCHED_IDLE : SCHED_OTHER, &sp);
    setpriority(PRIO_PROCESS, static_cast<id_t>(tid), nice);
  }
  closedir(d);
}

// The collector yields the CPU to the traced program: while yielding, every thread but the poll thread runs at nice
// 19, so on a busy machine the observed workload (nice 0) gets the cores first and the collector works in the gaps;
// the poll thread keeps draining the kernel rings into the user-space queue. When the queue passes high_bytes the
// collector runs at normal priority until it is back under low_bytes: memory stays bounded and the queue cap (whose
// overflow is counted) is only reached when the collector cannot keep up even at full priority.
//
// The age bound (durability): a recording killed at any moment (kill -9, OOM) loses at most ~1 s of what reached the
// poll thread; what is lost is what JS has not committed. Holding ends at hold_max_ms (HoldDecision), and at
// durable_ms the collector stops yielding (a SCHED_IDLE JS thread on a busy machine may get no CPU for seconds) until
// JS has committed and the oldest uncommitted batch is under 3/5 of it again. JS commits at least every 200 ms of its
// own time while batches arrive (CaptureRunner). The bound holds while the collector keeps up at normal priority.
bool YieldPolicy::Round(const PollRound &r) {
  const uint64_t durable_ms = settings.durable_ms;
  if (!age_boosted_ && r.oldest_uncommitted_ms >= durable_ms) age_boosted_ = true;
  else if (age_boosted_ && r.oldest_uncommitted_ms < durable_ms * 3 / 5) age_boosted_ = false;
  if (!can_renice_) return false;
  // The traced command has exited (a zombie not yet reaped, or reaped already): nothing left to yield to, and the
  // recording should finish at full speed. WNOWAIT leaves the reaping to libuv.
  int pid = yield_pid_.load();
  if (pid > 0 && wanted_.load()) {
    siginfo_t si{};
    int rc = waitid(P_PID, static_cast<id_t>(pid), &si, WEXITED | WNOHANG | WNOWAIT);
    if ((rc == 0 && si.si_pid == pid) || (rc < 0 && errno == ECHILD)) wanted_ = false;
  }
  uint64_t q = r.queued_bytes;
  bool want = wanted_.load();
  // Normal priority was not enough (a producer as fast as tar on a loaded machine): past 8/5 of durable_ms the
  // collector runs above the workload (nice -10, like the poll thread) until it has committed — the bound wins over
  // the workload's speed then. Only while yielding is wanted (record), never for `top`.
  bool urgent = want && r.oldest_uncommitted_ms >= durable_ms * 8 / 5;
  if (urgent && !urgent_) {
    ApplyNice(std::max(-20, base_nice_ - 10));
    urgent_ = true;
    counters.yielding = false;
    counters.urgent_boosts++;
  } else if (urgent_ && (!age_boosted_ || !want)) {
    ApplyNice(base_nice_);
    urgent_ = false;
  }
  bool now = counters.yielding.load();
  bool exec_pending = r.exec_pending;
  if (now && (!want || exec_pending || q > settings.high_bytes || age_boosted_)) {
    ApplyNice(base_nice_);
    counters.yielding = false;
    if (want && exec_pending) counters.exec_boosts++;
    else if (want && age_boosted_) counters.age_boosts++;
    else if (want) counters.catchups++;
  } else if (!now && want && !exec_pending && q < settings.low_bytes && !age_boosted_) {
    ApplyNice(19, true);
    counters.yielding = true;
  }
  // Only a yielding collector holds: one catching up at normal priority gets every batch. Holding stops at half the
  // high mark, so a backlog that keeps growing goes to JS at SCHED_IDLE first and reaches the high mark (a catch-up
  // at normal priority, competing with the traced program) only if that cannot keep up either.
  return HoldDecision(counters.yielding.load() && q <= settings.high_bytes / 2, r);
}

// Holding: measured on this machine kind, any CPU the collector uses while the traced program runs slows the
// program, even at SCHED_IDLE on the other core: a pure spin loop there made `npm ci` 14% slower, the collector's
// ~0.8 s of decoding and SQLite work over an 8 s run ~10%. So while yielding and the rest of the machine is busy
// (other processes used at least hold_busy of all CPUs over the last 100 ms), batches stay in the poll thread's
// queue and JS does nothing; they go to JS, in order, once the machine is quiet (an agent waiting for its model),
// the traced command exits, the backlog passes half the high mark (then at SCHED_IDLE, see Round), a batch holds an
// exec JS must see at once (TLS probes, see PollThread::Enqueue), or hold_max_ms has passed (readers of the recording
// in progress see it at most that late). The queue's memory bound is unchanged.
bool YieldPolicy::HoldDecision(bool may_hold, const PollRound &r) {
  // A command that has just been spawned is taken to be busy (the tar bench's whole run is ~0.5 s): the first
  // sample, one period later, says whether it is.
  if (started_.exchange(false)) {
    machine_busy_ = true;
    cpu_sample_ms_ = 0;
  }
  // No yielding asked (live `top`, `record` after its command exited): nothing can be held, so the machine's CPU is
  // not sampled either (at rest that was two /proc reads every round); the next SetWanted(true) starts afresh above.
  if (!wanted_.load()) return false;
  if (r.now_ms - cpu_sample_ms_ >= kHoldSampleMs) {
    uint64_t busy = 0, total = 0, self = 0;
    if (ReadCpu(busy, total, self) && cpu_sample_ms_ != 0 && total > cpu_total_) {
      double others = double(int64_t(busy - cpu_busy_) - int64_t(self - cpu_self_)) / double(total - cpu_total_);
      machine_busy_ = others >= settings.hold_busy;
    }
    cpu_busy_ = busy;
    cpu_total_ = total;
    cpu_self_ = self;
    cpu_sample_ms_ = r.now_ms;
  }
  // The age bound: no hold while the oldest uncommitted batch (held or not) is hold_max_ms old; it resumes after JS
  // has committed.
  return may_hold && settings.hold_busy > 0 && machine_busy_ && r.oldest_uncommitted_ms < settings.hold_max_ms;
}

// System-wide busy and total CPU ticks (/proc/stat) and this process's own (/proc/self/stat), in clock ticks.
bool YieldPolicy::ReadCpu(uint64_t &busy, uint64_t &total, uint64_t &self) {
  char buf[512];
  FILE *f = fopen("/proc/stat", "re");
  if (!f) return false;
  bool ok = fgets(buf, sizeof buf, f) != nullptr;
  fclose(f);
  unsigned long long v[8] = {};
  if (!ok || sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
                    &v[7]) != 8)
    return false;
  total = 0;
  for (auto x : v) total += x;
  busy = total - v[3] - v[4];  // minus idle and iowait
  f = fopen("/proc/self/stat", "re");
  if (!f) return false;
  ok = fgets(buf, sizeof buf, f) != nullptr;
  fclose(f);
  const char *p = ok ? strrchr(buf, ')') : nullptr;
  unsigned long long ut = 0, st = 0;
  // after ") ": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
  if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) return false;
  self = ut + st;
  return true;
}

// WatchExecs: with TLS capture, a newly exec'd binary gets its uprobes from the JS thread (discovery, attach); until
// that has run, its first TLS calls go unseen. A yielding JS thread (SCHED_IDLE) on a busy machine may get no CPU for
// seconds, so a batch holding an exec of a file not yet handled suspends the yielding until JS has handled that batch
// (PollRound.exec_pending). Each file costs this once: KnownExe() marks it handled.
void YieldPolicy::KnownExe(const std::string &exe) {
  std::lock_guard<std::mutex> lock(known_mu_);
  if (known_exes_.size() < 65536) known_exes_.insert(exe);
}

bool YieldPolicy::IsNewExe(const void *data, size_t size) {
  if (size < sizeof(proc_exec_event)) return false;
  const proc_exec_event *e = static_cast<const proc_exec_event *>(data);
  if (e->hdr.type != EV_PROC_EXEC || sizeof(proc_exec_event) + e->exe_len > size) return false;
  if (e->hdr.flags & EXEC_F_HELD) return true;  // stopped until JS has attached its probes
  std::string exe(reinterpret_cast<const char *>(e + 1), e->exe_len);
  std::lock_guard<std::mutex> lock(known_mu_);
  return known_exes_.count(exe) == 0;
}

}  // namespace agentsight
