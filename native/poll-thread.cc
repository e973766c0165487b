#include "poll-thread.h"

#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <string>

namespace agentsight {
namespace {

uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000 + uint64_t(ts.tv_nsec);
}

uint64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000 + uint64_t(ts.tv_nsec) / 1000000;
}

}  // namespace

void PollThread::Start(Napi::Env env, Napi::Function on_batch, const std::vector<LoadedObject> &objects) {
  uint32_t ring = 0;
  for (auto &o : objects) {
    bpf_map *m;
    bpf_object__for_each_map(m, o.obj) {
      if (bpf_map__type(m) != BPF_MAP_TYPE_RINGBUF) continue;
      int fd = bpf_map__fd(m);
      if (fd < 0) continue;
      // A shared ring is consumed once. Each object holds it through an fd of its own (bpf_map__reuse_fd dups), so
      // it is known by the kernel's map id, not the fd: by fd it was mapped once per object (live top: 5 extra
      // mappings of the 2 MiB event ring, 4 MiB of RSS each, and 5 epoll entries for one ring).
      bpf_map_info info{};
      uint32_t len = sizeof(info);
      if (bpf_obj_get_info_by_fd(fd, &info, &len)) throw Napi::Error::New(env, std::string("cannot identify ring ") + bpf_map__name(m));
      if (ring_by_id_.count(info.id)) continue;
      bool payload = std::string(bpf_map__name(m)) != "shared_events";
      RingCtx *ctx = new RingCtx{this, ring, payload};
      ring_ctxs_.push_back(ctx);
      auto fn = [](void *c, void *data, size_t size) -> int {
        RingCtx *rc = static_cast<RingCtx *>(c);
        return rc->poll->OnRecord(rc->ring, rc->payload, data, size);
      };
      ring_buffer *&mgr = payload ? rb_payload_ : rb_;
      int err = mgr ? ring_buffer__add(mgr, fd, fn, ctx) : 0;
      if (!mgr) {
        mgr = ring_buffer__new(fd, fn, ctx, nullptr);
        if (!mgr) err = -errno;
      }
      if (err) throw Napi::Error::New(env, std::string("cannot consume ring ") + bpf_map__name(m));
      ring_by_id_[info.id] = ring++;
    }
  }
  if (!rb_) throw Napi::Error::New(env, "no ring buffers loaded");
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) throw Napi::Error::New(env, "epoll_create1 failed");
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event wake{};
  wake.events = EPOLLIN;
  wake.data.fd = wake_fd_;
  if (wake_fd_ < 0 || epoll_ctl(epfd_, EPOLL_CTL_ADD, wake_fd_, &wake) < 0) throw Napi::Error::New(env, "eventfd failed");
  for (ring_buffer *mgr : {rb_, rb_payload_}) {
    if (!mgr) continue;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = -1;  // not wake_fd_
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, ring_buffer__epoll_fd(mgr), &ev) < 0)
      throw Napi::Error::New(env, "epoll_ctl failed");
  }
  tsfn_ = Napi::ThreadSafeFunction::New(env, on_batch, "agentsight-ring", 0, 1);
  current_ = new Batch();
  side_ = new Batch();
  stopping_ = false;
  running_ = true;
  thread_ = std::thread([this] { Loop(); });
}

void PollThread::Stop() {
  if (!running_) return;
  stopping_ = true;
  uint64_t one = 1;
  if (write(wake_fd_, &one, sizeof one) < 0) {
    // cannot fail for an eventfd below its maximum; the loop still ends within idle_poll_ms
  }
  if (thread_.joinable()) thread_.join();
  policy_.Stop();
  // NonBlockingCall never blocks, so joining cannot deadlock; queued batches are still delivered.
  tsfn_.Release();
  running_ = false;
  delete current_;
  current_ = nullptr;
  delete side_;
  side_ = nullptr;
}

void PollThread::FreeRings() {
  if (rb_) ring_buffer__free(rb_);
  rb_ = nullptr;
  if (rb_payload_) ring_buffer__free(rb_payload_);
  rb_payload_ = nullptr;
  if (epfd_ >= 0) close(epfd_);
  epfd_ = -1;
  if (wake_fd_ >= 0) close(wake_fd_);
  wake_fd_ = -1;
  for (auto c : ring_ctxs_) delete c;
  ring_ctxs_.clear();
  ring_by_id_.clear();
}

// Called on the poll thread for every record.
int PollThread::OnRecord(uint32_t ring, bool payload, void *data, size_t size) {
  round_records_++;
  Batch &b = payload ? *side_ : *current_;
  size_t at = b.bytes.size();
  size_t padded = (size + 7) & ~size_t(7);
  b.bytes.resize(at + 8 + padded);
  uint32_t hdr[2] = {uint32_t(size), ring};
  memcpy(b.bytes.data() + at, hdr, 8);
  memcpy(b.bytes.data() + at + 8, data, size);
  b.records++;
  if (policy_.watching_execs() && !b.new_exe && policy_.IsNewExe(data, size)) b.new_exe = true;
  if (b.bytes.size() >= options.batch_bytes || b.records >= options.batch_records) {
    if (!payload) {
      Flush();
    } else {
      side_full_.push_back(side_);
      side_ = new Batch();
    }
  }
  if (payload) {
    // A round holds at most kSideCapBytes of payload: a negative return ends this consume (libbpf has already
    // advanced past the record copied here), the event ring is drained, and the rest waits for the next round.
    side_bytes_ += size;
    if (side_bytes_ >= kSideCapBytes) return -1;
  }
  return 0;
}

void PollThread::Loop() {
  // The poll thread only copies records out of the rings; when the JS thread is busy committing and the traced
  // program is producing, three threads compete for two cores and the kernel rings fill while this one waits for
  // CPU. A higher weight keeps the rings drained (backpressure moves to the 512 MiB user-space queue).
  pid_t tid = static_cast<pid_t>(syscall(SYS_gettid));
  // Raising a priority needs CAP_SYS_NICE: the same privilege that lets the collector come back from yielding.
  policy_.OnPollThread(tid, setpriority(PRIO_PROCESS, static_cast<id_t>(tid), -10) == 0);
  // Idle back-off: a round finds records without a wakeup only if they were submitted with BPF_RB_NO_WAKEUP (below
  // cfg.wakeup_bytes pending), so the timeout bounds how long such records wait. While records arrive, or anything
  // is still pending here (held or queued batches, an exec JS has not handled, batches not yet committed: the hold,
  // the age bound and the exec boost decide per round), rounds come every poll_ms. After a round with nothing at all
  // the timeout doubles, up to idle_poll_ms: at rest (live `top` on a quiet machine) the thread wakes ~5 times a
  // second instead of 100. The first record after a quiet spell waits at most idle_poll_ms unless it wakes the thread
  // itself: a held exec does (BPF_RB_FORCE_WAKEUP: the exec hold and its TLS probes are not delayed), other records
  // only every cfg.wakeup_bytes. Completeness marks are pushed every round, so appliedThroughNs is at most that much
  // older at rest. Stop() wakes the wait through wake_fd_.
  // The exit of the child that ends the yielding (YieldPolicy::Round checks it each round) is no record that wakes
  // this thread, and until that round the JS thread stays at SCHED_IDLE: so the wait includes a pidfd of that child,
  // and without one (pidfd_open failed) rounds stay at poll_ms while yielding.
  int timeout = options.poll_ms;
  int exit_pid = 0, exit_fd = -1;
  auto drop_exit_fd = [&] {
    if (exit_fd < 0) return;
    epoll_ctl(epfd_, EPOLL_CTL_DEL, exit_fd, nullptr);
    close(exit_fd);
    exit_fd = -1;
  };
  while (!stopping_.load()) {
    int want = policy_.until_exit_of();
    if (want != exit_pid) {
      drop_exit_fd();
      exit_pid = want;
      if (want > 0) {
        exit_fd = static_cast<int>(syscall(SYS_pidfd_open, want, 0));
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = exit_fd;
        if (exit_fd >= 0 && epoll_ctl(epfd_, EPOLL_CTL_ADD, exit_fd, &ev) < 0) drop_exit_fd();
      }
    }
    epoll_event evs[4];
    int n = epoll_wait(epfd_, evs, 4, exit_pid > 0 && exit_fd < 0 ? options.poll_ms : timeout);
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < n; i++) {
      uint64_t v;
      if (evs[i].data.fd == wake_fd_ && read(wake_fd_, &v, sizeof v) < 0) {
        // EAGAIN: already read
      }
      // Readable once the child has exited, and from then on: waited on once (exit_pid stays, so not again).
      if (exit_fd >= 0 && evs[i].data.fd == exit_fd) drop_exit_fd();
    }
    // With BPF_RB_NO_WAKEUP the epoll fd may not fire: every round consumes every ring, or records sit in them.
    uint64_t round_start_ns = NowNs();
    round_records_ = 0;
    if (DrainOrdered()) PushMark(round_start_ns);
    UpdateDurability(NowMs());
    uint64_t now_ms = NowMs();
    bool hold = policy_.Round({now_ms, counters.queued_bytes.load(), new_exe_batches_.load() > 0, oldest_uncommitted_ms_});
    UpdateHold(hold, now_ms);
    timeout = Idle() ? std::min(std::max(timeout, 1) * 2, std::max(options.idle_poll_ms, options.poll_ms)) : options.poll_ms;
  }
  drop_exit_fd();
  DrainOrdered();
  Release();
}

// A TLS record must never reach JS before the fork and exec records of its process (it would have no process:
// short-lived HTTPS clients lost theirs), but the rings are independent and the event ring, woken only every
// 64 KiB, was consumed later than the TLS ring. So the payload rings are read first, into side batches, then the
// event ring: every event record committed before a payload record just read (a fork or exec happens before the
// process's TLS calls) is in the ring by then, and is delivered first. Exits may thereby precede their process's
// last TLS records; the collector keeps exited processes findable (ProcessTracker.forRecord).
bool PollThread::DrainOrdered() {
  // A payload consume cut at kSideCapBytes (the callback's -1) leaves records for the next round: no mark then.
  bool complete = true;
  if (rb_payload_ && ring_buffer__consume(rb_payload_) < 0) complete = false;
  if (ring_buffer__consume(rb_) < 0) complete = false;
  Flush();
  for (Batch *b : side_full_) Enqueue(b);
  side_full_.clear();
  if (side_->records > 0) {
    Enqueue(side_);
    side_ = new Batch();
  }
  side_bytes_ = 0;
  return complete;
}

// Nothing consumed this round and nothing waiting here for a later round.
bool PollThread::Idle() const {
  // A hold in force with nothing held is idle too: the next record resets the timeout and is held, and the hold's
  // ends (a quiet machine, the command's exit, hold_max_ms) are then judged every poll_ms again.
  return round_records_ == 0 && held_.empty() && uncommitted_.empty() && new_exe_batches_.load() == 0 &&
         counters.queued_bytes.load() == 0;
}

void PollThread::PushMark(uint64_t round_start_ns) {
  uint64_t seq = next_seq_ - 1;  // the last batch enqueued (0: none yet)
  std::lock_guard<std::mutex> lock(marks_mu_);
  // Rounds that enqueued nothing move the last mark forward (an idle capture keeps one entry).
  if (!marks_.empty() && marks_.back().first == seq) marks_.back().second = round_start_ns;
  else marks_.emplace_back(seq, round_start_ns);
  // A capture whose JS never asks (a bench) must not grow this without bound.
  if (marks_.size() > 65536) marks_.pop_front();
}

uint64_t PollThread::AppliedThroughNs() {
  uint64_t applied = applied_seq_.load();
  std::lock_guard<std::mutex> lock(marks_mu_);
  while (!marks_.empty() && marks_.front().first <= applied) {
    through_ns_ = marks_.front().second;
    marks_.pop_front();
  }
  return through_ns_;
}

void PollThread::Flush() {
  Batch *b = current_;
  if (b->records == 0) return;
  current_ = new Batch();
  Enqueue(b);
}

void PollThread::Enqueue(Batch *b) {
  uint64_t sz = b->bytes.size();
  if (counters.queued_bytes.load() + sz > options.queue_cap_bytes) {
    counters.dropped_batches++;
    counters.dropped_records += b->records;
    counters.dropped_bytes += sz;
    delete b;
    return;
  }
  counters.queued_bytes += sz;
  b->seq = next_seq_++;
  uncommitted_.emplace_back(b->seq, NowMs());
  if (counters.holding.load()) {
    // An exec of a file JS has not handled must reach it now (its TLS probes), after everything before it.
    if (!b->new_exe) {
      counters.held_batches++;
      held_.push_back(b);
      return;
    }
    Release();
  }
  Deliver(b);
}

// Hand held batches to JS in order (poll thread).
void PollThread::Release() {
  counters.holding = false;
  while (!held_.empty()) {
    Batch *h = held_.front();
    held_.pop_front();
    Deliver(h);
  }
}

void PollThread::UpdateHold(bool hold, uint64_t now_ms) {
  if (hold && !counters.holding.load()) {
    counters.holding = true;
    hold_since_ms_ = now_ms;
    counters.holds++;
  } else if (!hold && counters.holding.load()) {
    counters.held_ms += now_ms - hold_since_ms_;
    Release();
  }
}

void PollThread::Deliver(Batch *b) {
  uint64_t sz = b->bytes.size();
  counters.released_records += b->records;
  bool new_exe = b->new_exe;
  if (new_exe) new_exe_batches_++;
  auto status = tsfn_.NonBlockingCall(b, [this](Napi::Env env, Napi::Function fn, Batch *batch) {
    size_t len = batch->bytes.size();
    uint32_t recs = batch->records;
    bool ne = batch->new_exe;
    counters.queued_bytes -= len;
    counters.delivered_records += recs;
    counters.delivered_batches++;
    if (env == nullptr) {  // the function is being torn down
      delete batch;
      if (ne) new_exe_batches_--;
      return;
    }
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(
        env, batch->bytes.data(), len, [](Napi::Env, void *, Batch *bb) { delete bb; }, batch);
    // Returns once JS has handled the batch, exec (and TLS probe attachment) included; even if it throws.
    struct Done {
      std::atomic<int> &n;
      bool on;
      ~Done() {
        if (on) n--;
      }
    } done{new_exe_batches_, ne};
    uint64_t seq = batch->seq;  // the ArrayBuffer owns the batch from here: it may be freed during the call
    fn.Call({ab, Napi::Number::New(env, recs)});
    applied_seq_ = seq;
  });
  if (status != napi_ok) {
    if (new_exe) new_exe_batches_--;
    counters.queued_bytes -= sz;
    counters.dropped_batches++;
    counters.dropped_records += b->records;
    counters.dropped_bytes += sz;
    delete b;
  }
}

// The age bound's bookkeeping (the policy acts on it, YieldPolicy::Round): what a recording killed at any moment
// loses is what JS has not committed — held here, queued for JS, applied but not yet committed — so the poll thread
// tracks the age of the oldest uncommitted batch.
void PollThread::UpdateDurability(uint64_t now_ms) {
  uint64_t done = committed_seq_.load();
  // A capture whose JS never commits (a bench, a test) must not grow this without bound.
  while (!uncommitted_.empty() && (uncommitted_.front().first <= done || uncommitted_.size() > 65536))
    uncommitted_.pop_front();
  oldest_uncommitted_ms_ = uncommitted_.empty() ? 0 : now_ms - uncommitted_.front().second;
  if (oldest_uncommitted_ms_ > counters.max_uncommitted_ms.load()) counters.max_uncommitted_ms = oldest_uncommitted_ms_;
}

}  // namespace agentsight
