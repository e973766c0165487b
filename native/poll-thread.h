// Poll thread: consumes the ring buffers and hands records to JavaScript in batches (one ArrayBuffer per batch,
// never one call per event), in an order JS can rely on (a process's fork and exec before its TLS records). It keeps
// the user-space queue bounded (overflow is dropped and counted), holds batches back while the yield policy says so,
// and tracks which delivered batches JS has committed (the age bound).
#ifndef AGENTSIGHT_POLL_THREAD_H
#define AGENTSIGHT_POLL_THREAD_H

#include <napi.h>

#include <bpf/libbpf.h>
#include <sys/types.h>

#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "loader.h"
#include "yield-policy.h"

namespace agentsight {

// A batch handed to JS: packed records, each [u32 len][u32 ring][len bytes][pad to 8].
struct Batch {
  std::vector<uint8_t> bytes;
  uint32_t records = 0;
  bool new_exe = false;  // holds an exec of a file the collector has not handled yet (YieldPolicy::IsNewExe)
  uint64_t seq = 0;      // delivery order, for the age bound (see UpdateDurability)
};

struct PollOptions {
  size_t batch_bytes = 1 << 20;
  uint32_t batch_records = 4096;
  int poll_ms = 10;
  // Idle back-off: after rounds that found nothing to do the timeout doubles, up to this (see Loop).
  int idle_poll_ms = 250;
  uint64_t queue_cap_bytes = 512ull << 20;  // bytes handed to JS but not yet consumed; past it batches are dropped
};

struct PollCounters {
  std::atomic<uint64_t> queued_bytes{0};
  std::atomic<uint64_t> dropped_batches{0}, dropped_records{0}, dropped_bytes{0};
  std::atomic<uint64_t> delivered_records{0}, delivered_batches{0};  // as JS receives them (its thread)
  std::atomic<uint64_t> released_records{0};  // as the poll thread hands them on (never during a hold)
  std::atomic<bool> holding{false};
  std::atomic<uint64_t> holds{0}, held_ms{0};
  std::atomic<uint64_t> held_batches{0};  // batches kept back by a hold (released in order later)
  std::atomic<uint64_t> max_uncommitted_ms{0};
};

class PollThread {
 public:
  explicit PollThread(YieldPolicy &policy) : policy_(policy) {}

  PollOptions options;
  PollCounters counters;

  bool running() const { return running_; }
  // Consume every ring buffer of these objects (a shared ring once) and start the thread; onBatch(ArrayBuffer, records)
  // is called on the JS thread. Throws when there is no ring.
  void Start(Napi::Env env, Napi::Function on_batch, const std::vector<LoadedObject> &objects);
  // Drain, deliver what is left (queued batches still reach JS) and join.
  void Stop();
  // Free the ring buffer managers and the epoll fd (not the maps: their fds belong to the objects).
  void FreeRings();
  // committed(): JS has committed everything it applied so far.
  void Committed() { committed_seq_ = applied_seq_.load(); }
  // The completeness mark of what JS has applied: CLOCK_MONOTONIC ns before which every record the kernel made has
  // been applied (or counted as dropped). A commit made now holds everything before it. JS thread; 0 until known.
  uint64_t AppliedThroughNs();

 private:
  struct RingCtx {
    PollThread *poll;
    uint32_t ring;
    bool payload;  // a payload ring (TLS): its records are delivered after the event ring's (see DrainOrdered)
  };

  int OnRecord(uint32_t ring, bool payload, void *data, size_t size);
  void Loop();
  bool DrainOrdered();
  bool Idle() const;
  void Flush();
  void Enqueue(Batch *b);
  void Release();
  void Deliver(Batch *b);
  void UpdateDurability(uint64_t now_ms);
  void UpdateHold(bool hold, uint64_t now_ms);

  YieldPolicy &policy_;
  std::vector<RingCtx *> ring_ctxs_;
  std::map<uint32_t, uint32_t> ring_by_id_;  // kernel map id -> ring index
  ring_buffer *rb_ = nullptr;          // the event ring (process, file, network records)
  ring_buffer *rb_payload_ = nullptr;  // payload rings (TLS plaintext)
  int epfd_ = -1;                      // waits on both, and on wake_fd_
  int wake_fd_ = -1;                   // an eventfd Stop() writes: a backed-off wait must not delay the stop
  uint64_t round_records_ = 0;         // records consumed this round (poll thread)
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  bool running_ = false;
  Napi::ThreadSafeFunction tsfn_;
  Batch *current_ = nullptr;
  // Payload records of the current round, delivered after the event records drained after them (DrainOrdered).
  Batch *side_ = nullptr;
  std::vector<Batch *> side_full_;
  size_t side_bytes_ = 0;
  static constexpr size_t kSideCapBytes = 16u << 20;
  // Delivered batches holding an exec JS has not handled: while there is one, the collector does not yield.
  std::atomic<int> new_exe_batches_{0};
  // Holding (YieldPolicy::HoldDecision): batches kept here while the machine is busy; poll thread only.
  std::deque<Batch *> held_;
  uint64_t hold_since_ms_ = 0;
  // The age bound (see UpdateDurability): batches flushed but not yet committed by JS, oldest first, as (seq, ms of
  // flush); only the poll thread touches the deque. JS stores the seq of each batch it has applied and, after a
  // commit, declares everything applied so far committed.
  std::deque<std::pair<uint64_t, uint64_t>> uncommitted_;
  uint64_t next_seq_ = 1;
  std::atomic<uint64_t> applied_seq_{0}, committed_seq_{0};
  uint64_t oldest_uncommitted_ms_ = 0;  // age of the oldest uncommitted batch, this round (0: none)
  // Completeness marks (see AppliedThroughNs): after a round that drained every ring to its end, every record
  // committed to a ring before the round began is in a batch numbered at most the last one enqueued — so (that seq,
  // the round's start) says "applied through here" once JS has applied that batch. Pushed by the poll thread,
  // consumed by the JS thread. A record reserved before the round and submitted after it (a BPF program preempted
  // between the two) is the one exception: microseconds of a program's run.
  std::mutex marks_mu_;
  std::deque<std::pair<uint64_t, uint64_t>> marks_;
  uint64_t through_ns_ = 0;  // JS thread
  void PushMark(uint64_t round_start_ns);
};

}  // namespace agentsight

#endif
