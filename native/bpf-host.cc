// agentsight native addon: loads BPF objects, attaches their programs, consumes their ring buffers on a poll
// thread and hands records to JavaScript in batches (one ArrayBuffer per batch, never one call per event).
//
// The lifecycle reads as a straight line: load() (open -> configure rodata -> share maps -> load) ->
// attach()/attachUprobe() -> start() (poll thread) -> stop() -> close(), with one cleanup path in reverse.
// Kernel objects are held only by our fds (nothing is pinned), so a SIGKILL of the process removes them.
#include <napi.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdarg>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_set>
#include <vector>

#include "../bpf/events.h"
#include "../bpf/process.h"
#include "exec-guard.h"

namespace {

// libbpf's messages are kept (bounded) so a failed load can say why, instead of printing to our users' terminal.
std::mutex g_log_mutex;
std::string g_log;
bool g_log_echo = false;

int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args) {
  if (level == LIBBPF_DEBUG && !g_log_echo) return 0;
  char buf[2048];
  vsnprintf(buf, sizeof(buf), fmt, args);
  std::lock_guard<std::mutex> lock(g_log_mutex);
  if (g_log_echo) fputs(buf, stderr);
  g_log += buf;
  if (g_log.size() > 64 * 1024) g_log.erase(0, g_log.size() - 48 * 1024);
  return 0;
}

std::string take_log() {
  std::lock_guard<std::mutex> lock(g_log_mutex);
  std::string s;
  s.swap(g_log);
  return s;
}

// A batch handed to JS: packed records, each [u32 len][u32 ring][len bytes][pad to 8].
struct Batch {
  std::vector<uint8_t> bytes;
  uint32_t records = 0;
  bool new_exe = false;  // holds an exec of a file the collector has not handled yet (see UpdateYield)
  uint64_t seq = 0;       // delivery order, for the commit age bound (see UpdateDurability)
};

struct LoadedObject {
  std::string path;
  bpf_object *obj = nullptr;
};

class BpfHost;

struct RingCtx {
  BpfHost *host;
  uint32_t ring;
  bool payload;  // a payload ring (TLS): its records are delivered after the event ring's (see DrainOrdered)
};

class BpfHost : public Napi::ObjectWrap<BpfHost> {
 public:
  static Napi::Object Init(Napi::Env env, Napi::Object exports) {
    Napi::Function fn = DefineClass(env, "BpfHost",
                                    {
                                        InstanceMethod("load", &BpfHost::Load),
                                        InstanceMethod("attach", &BpfHost::Attach),
                                        InstanceMethod("attachUprobe", &BpfHost::AttachUprobe),
                                        InstanceMethod("detach", &BpfHost::Detach),
                                        InstanceMethod("mapUpdate", &BpfHost::MapUpdate),
                                        InstanceMethod("mapDelete", &BpfHost::MapDelete),
                                        InstanceMethod("mapLookup", &BpfHost::MapLookup),
                                        InstanceMethod("percpuSums", &BpfHost::PercpuSums),
                                        InstanceMethod("start", &BpfHost::Start),
                                        InstanceMethod("stop", &BpfHost::Stop),
                                        InstanceMethod("close", &BpfHost::Close),
                                        InstanceMethod("handOff", &BpfHost::HandOff),
                                        InstanceMethod("stats", &BpfHost::Stats),
                                        InstanceMethod("setYield", &BpfHost::SetYield),
                                        InstanceMethod("watchExecs", &BpfHost::WatchExecs),
                                        InstanceMethod("knownExe", &BpfHost::KnownExe),
                                        InstanceMethod("execHold", &BpfHost::ExecHold),
                                        InstanceMethod("execHoldStop", &BpfHost::ExecHoldStop),
                                        InstanceMethod("committed", &BpfHost::Committed),
                                    });
    exports.Set("BpfHost", fn);
    return exports;
  }

  explicit BpfHost(const Napi::CallbackInfo &info) : Napi::ObjectWrap<BpfHost>(info) {}
  ~BpfHost() override { Cleanup(); }

  // Called on the poll thread for every record.
  int OnRecord(uint32_t ring, bool payload, void *data, size_t size) {
    Batch &b = payload ? *side_ : *current_;
    size_t at = b.bytes.size();
    size_t padded = (size + 7) & ~size_t(7);
    b.bytes.resize(at + 8 + padded);
    uint32_t hdr[2] = {uint32_t(size), ring};
    memcpy(b.bytes.data() + at, hdr, 8);
    memcpy(b.bytes.data() + at + 8, data, size);
    b.records++;
    if (watch_execs_.load() && !b.new_exe && IsNewExe(data, size)) b.new_exe = true;
    if (b.bytes.size() >= batch_bytes_ || b.records >= batch_records_) {
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

 private:
  std::vector<LoadedObject> objects_;
  std::map<std::string, int> shared_fds_;  // shared_* map name -> fd of the first object that created it
  std::vector<bpf_link *> links_;
  std::vector<RingCtx *> ring_ctxs_;
  std::map<int, uint32_t> ring_by_fd_;
  ring_buffer *rb_ = nullptr;          // the event ring (process, file, network records)
  ring_buffer *rb_payload_ = nullptr;  // payload rings (TLS plaintext)
  int epfd_ = -1;                      // waits on both
  // Payload records of the current round, delivered after the event records drained after them (DrainOrdered).
  Batch *side_ = nullptr;
  std::vector<Batch *> side_full_;
  size_t side_bytes_ = 0;
  static constexpr size_t kSideCapBytes = 16u << 20;
  std::thread poller_;
  std::thread unlinker_;  // destroys the links after stop() (see StartUnlinking)
  bool handed_off_ = false;  // see HandOff
  std::atomic<bool> stopping_{false};
  bool running_ = false;
  Napi::ThreadSafeFunction tsfn_;
  Batch *current_ = nullptr;
  size_t batch_bytes_ = 1 << 20;
  uint32_t batch_records_ = 4096;
  int poll_ms_ = 10;
  // Backpressure: bytes handed to JS but not yet consumed. Past the cap, batches are dropped and counted.
  std::atomic<uint64_t> queued_bytes_{0};
  uint64_t queue_cap_bytes_ = 512ull << 20;
  std::atomic<uint64_t> dropped_batches_{0}, dropped_records_{0}, dropped_bytes_{0};
  std::atomic<uint64_t> delivered_records_{0}, delivered_batches_{0};
  // Yielding (see UpdateYield): wanted by JS, applied by the poll thread; counters say how often the backlog
  // forced the collector back to normal priority.
  std::atomic<bool> yield_wanted_{false};
  std::atomic<bool> yielding_{false};
  std::atomic<uint64_t> yield_catchups_{0};
  bool can_renice_ = false;
  int base_nice_ = 0;
  pid_t poll_tid_ = 0;
  std::atomic<int> yield_pid_{0};  // yield until this child exits (0: until setYield(false) or stop)
  // Execs of files the collector has not handled yet: while a batch holding one waits for JS, the collector does not
  // yield (see UpdateYield). known_exes_ is written by JS (knownExe) and read here, hence the mutex.
  std::atomic<bool> watch_execs_{false};
  std::atomic<int> new_exe_batches_{0};
  std::atomic<uint64_t> exec_boosts_{0};
  std::mutex known_mu_;
  std::unordered_set<std::string> known_exes_;
  int guard_fd_ = -1;  // write end of the exec guard's pipe (see exec-guard.h)
  uint64_t yield_high_bytes_ = 64ull << 20;
  uint64_t yield_low_bytes_ = 16ull << 20;
  // Holding (see UpdateHold): batches kept on the poll thread while the machine is busy. held_ and the CPU sample
  // are only touched by the poll thread.
  std::deque<Batch *> held_;
  std::atomic<bool> holding_{false};
  std::atomic<uint64_t> holds_{0}, held_ms_{0};
  double hold_busy_ = 0.25;
  static constexpr uint64_t kHoldSampleMs = 100;  // 100 ms of 2 CPUs is 20 clock ticks: 5% steps
  std::atomic<bool> yield_started_{false};
  uint64_t hold_max_ms_ = 250;  // the oldest held batch's age at most (see UpdateDurability)
  uint64_t hold_since_ms_ = 0;
  bool machine_busy_ = false;
  // Durability (see UpdateDurability): batches flushed but not yet committed by JS, oldest first, as (seq, ms of
  // flush); only the poll thread touches the deque. JS stores the seq of each batch it has applied and, after a
  // commit, declares everything applied so far committed.
  std::deque<std::pair<uint64_t, uint64_t>> uncommitted_;
  uint64_t next_seq_ = 1;
  std::atomic<uint64_t> applied_seq_{0}, committed_seq_{0};
  uint64_t oldest_uncommitted_ms_ = 0;  // age of the oldest uncommitted batch, this loop (0: none)
  uint64_t durable_ms_ = 400;           // past this age the collector stops yielding (see UpdateDurability)
  bool age_boosted_ = false;
  bool urgent_ = false;  // running above the workload to commit (see UpdateYield)
  std::atomic<uint64_t> urgent_boosts_{0};
  std::atomic<uint64_t> age_boosts_{0}, max_uncommitted_ms_{0};
  uint64_t cpu_sample_ms_ = 0, cpu_busy_ = 0, cpu_total_ = 0, cpu_self_ = 0;

  bpf_object *FindObject(const std::string &name) {
    for (auto &o : objects_)
      if (bpf_object__name(o.obj) == name) return o.obj;
    return nullptr;
  }

  bpf_program *FindProgram(const std::string &name) {
    for (auto &o : objects_) {
      bpf_program *p = bpf_object__find_program_by_name(o.obj, name.c_str());
      if (p) return p;
    }
    return nullptr;
  }

  bpf_map *FindMap(const std::string &name) {
    for (auto &o : objects_) {
      bpf_map *m = bpf_object__find_map_by_name(o.obj, name.c_str());
      if (m && bpf_map__fd(m) >= 0) return m;
    }
    return nullptr;
  }

  // Write the `cfg` variable in .rodata: its offset comes from the object's BTF, so objects need no skeleton.
  static std::string SetConfig(bpf_object *obj, const uint8_t *cfg, size_t len) {
    bpf_map *rodata = nullptr;
    bpf_map *m;
    bpf_object__for_each_map(m, obj) {
      const char *n = bpf_map__name(m);
      size_t nl = strlen(n);
      if (nl >= 7 && strcmp(n + nl - 7, ".rodata") == 0) rodata = m;
    }
    if (!rodata) return "object has no .rodata (no `cfg`)";
    const btf *b = bpf_object__btf(obj);
    if (!b) return "object has no BTF";
    int sec_id = btf__find_by_name_kind(b, ".rodata", BTF_KIND_DATASEC);
    if (sec_id < 0) return "no .rodata datasec in BTF";
    const btf_type *sec = btf__type_by_id(b, sec_id);
    const btf_var_secinfo *vs = btf_var_secinfos(sec);
    for (int i = 0; i < btf_vlen(sec); i++, vs++) {
      const btf_type *var = btf__type_by_id(b, vs->type);
      if (strcmp(btf__name_by_offset(b, var->name_off), "cfg") != 0) continue;
      if (vs->size != len) return "cfg size " + std::to_string(vs->size) + " != " + std::to_string(len);
      size_t sz = 0;
      const uint8_t *cur = static_cast<const uint8_t *>(bpf_map__initial_value(rodata, &sz));
      if (!cur || vs->offset + len > sz) return "cannot read .rodata";
      std::vector<uint8_t> data(cur, cur + sz);
      memcpy(data.data() + vs->offset, cfg, len);
      if (bpf_map__set_initial_value(rodata, data.data(), sz)) return "cannot write .rodata";
      return "";
    }
    return "no `cfg` variable in .rodata";
  }

  // load(path, cfg: Buffer, opts: {ringBytes?: {[map]: bytes}, disable?: string[]}) -> {name, programs: [{name, section}]}
  Napi::Value Load(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    std::string path = info[0].As<Napi::String>();
    Napi::Buffer<uint8_t> cfg = info[1].As<Napi::Buffer<uint8_t>>();
    Napi::Object opts = info.Length() > 2 && info[2].IsObject() ? info[2].As<Napi::Object>() : Napi::Object::New(env);
    if (running_) throw Napi::Error::New(env, "load() after start()");
    take_log();

    bpf_object *obj = bpf_object__open_file(path.c_str(), nullptr);
    if (!obj || libbpf_get_error(obj)) {
      int err = errno;
      throw Napi::Error::New(env, "cannot open BPF object " + path + ": " + strerror(err) + "\n" + take_log());
    }
    std::string err = SetConfig(obj, cfg.Data(), cfg.Length());
    if (!err.empty()) {
      bpf_object__close(obj);
      throw Napi::Error::New(env, path + ": " + err);
    }
    if (opts.Has("disable")) {
      Napi::Array dis = opts.Get("disable").As<Napi::Array>();
      for (uint32_t i = 0; i < dis.Length(); i++) {
        std::string n = dis.Get(i).As<Napi::String>();
        bpf_program *p = bpf_object__find_program_by_name(obj, n.c_str());
        if (p) bpf_program__set_autoload(p, false);
      }
    }
    Napi::Object ringBytes = opts.Has("ringBytes") ? opts.Get("ringBytes").As<Napi::Object>() : Napi::Object::New(env);
    bpf_map *m;
    bpf_object__for_each_map(m, obj) {
      std::string n = bpf_map__name(m);
      auto it = shared_fds_.find(n);
      if (it != shared_fds_.end()) {
        if (bpf_map__reuse_fd(m, it->second)) {
          bpf_object__close(obj);
          throw Napi::Error::New(env, path + ": cannot share map " + n);
        }
      } else if (bpf_map__type(m) == BPF_MAP_TYPE_RINGBUF && ringBytes.Has(n)) {
        bpf_map__set_max_entries(m, ringBytes.Get(n).As<Napi::Number>().Uint32Value());
      }
    }
    if (bpf_object__load(obj)) {
      int e = errno;
      std::string log = take_log();
      bpf_object__close(obj);
      Napi::Error error = Napi::Error::New(env, "cannot load BPF object " + path + ": " + strerror(e));
      error.Set("log", Napi::String::New(env, log));
      throw error;
    }
    bpf_object__for_each_map(m, obj) {
      std::string n = bpf_map__name(m);
      if (n.rfind("shared_", 0) == 0 && !shared_fds_.count(n)) shared_fds_[n] = bpf_map__fd(m);
    }
    objects_.push_back({path, obj});

    Napi::Object out = Napi::Object::New(env);
    out.Set("name", bpf_object__name(obj));
    Napi::Array progs = Napi::Array::New(env);
    bpf_program *p;
    uint32_t i = 0;
    bpf_object__for_each_program(p, obj) {
      Napi::Object po = Napi::Object::New(env);
      po.Set("name", bpf_program__name(p));
      po.Set("section", bpf_program__section_name(p));
      po.Set("loaded", bpf_program__autoload(p));
      progs.Set(i++, po);
    }
    out.Set("programs", progs);
    return out;
  }

  // attach(progName) -> link id. Uses the program's SEC() (tp, tp_btf, raw_tp …) to attach.
  Napi::Value Attach(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    std::string name = info[0].As<Napi::String>();
    bpf_program *p = FindProgram(name);
    if (!p) throw Napi::Error::New(env, "no BPF program " + name);
    take_log();
    bpf_link *l = bpf_program__attach(p);
    if (!l || libbpf_get_error(l)) {
      int e = errno;
      throw Napi::Error::New(env, "cannot attach " + name + ": " + strerror(e) + " " + take_log());
    }
    links_.push_back(l);
    return Napi::Number::New(env, links_.size() - 1);
  }

  // attachUprobe(progName, binaryPath, fileOffset, retprobe, pid) -> link id. pid -1 = every process.
  Napi::Value AttachUprobe(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    std::string name = info[0].As<Napi::String>();
    std::string bin = info[1].As<Napi::String>();
    int64_t offset = info[2].As<Napi::Number>().Int64Value();
    bool ret = info[3].As<Napi::Boolean>();
    int pid = info[4].As<Napi::Number>().Int32Value();
    bpf_program *p = FindProgram(name);
    if (!p) throw Napi::Error::New(env, "no BPF program " + name);
    LIBBPF_OPTS(bpf_uprobe_opts, o, .retprobe = ret);
    take_log();
    bpf_link *l = bpf_program__attach_uprobe_opts(p, pid, bin.c_str(), size_t(offset), &o);
    if (!l || libbpf_get_error(l)) {
      int e = errno;
      throw Napi::Error::New(env, "cannot attach uprobe " + name + " at " + bin + "+0x" +
                                      [&] { char b[32]; snprintf(b, sizeof b, "%llx", (unsigned long long)offset); return std::string(b); }() +
                                      ": " + strerror(e) + " " + take_log());
    }
    links_.push_back(l);
    return Napi::Number::New(env, links_.size() - 1);
  }

  Napi::Value Detach(const Napi::CallbackInfo &info) {
    uint32_t id = info[0].As<Napi::Number>().Uint32Value();
    if (id < links_.size() && links_[id]) {
      bpf_link__destroy(links_[id]);
      links_[id] = nullptr;
    }
    return info.Env().Undefined();
  }

  int MapFd(Napi::Env env, const std::string &name) {
    bpf_map *m = FindMap(name);
    if (!m) throw Napi::Error::New(env, "no BPF map " + name);
    return bpf_map__fd(m);
  }

  Napi::Value MapUpdate(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    int fd = MapFd(env, info[0].As<Napi::String>());
    auto k = info[1].As<Napi::Buffer<uint8_t>>();
    auto v = info[2].As<Napi::Buffer<uint8_t>>();
    if (bpf_map_update_elem(fd, k.Data(), v.Data(), BPF_ANY))
      throw Napi::Error::New(env, std::string("map update failed: ") + strerror(errno));
    return env.Undefined();
  }

  Napi::Value MapDelete(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    int fd = MapFd(env, info[0].As<Napi::String>());
    auto k = info[1].As<Napi::Buffer<uint8_t>>();
    return Napi::Boolean::New(env, bpf_map_delete_elem(fd, k.Data()) == 0);
  }

  // mapLookup(map, key, valueSize) -> Buffer | null
  Napi::Value MapLookup(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    int fd = MapFd(env, info[0].As<Napi::String>());
    auto k = info[1].As<Napi::Buffer<uint8_t>>();
    uint32_t vsize = info[2].As<Napi::Number>().Uint32Value();
    auto v = Napi::Buffer<uint8_t>::New(env, vsize);
    if (bpf_map_lookup_elem(fd, k.Data(), v.Data())) return env.Null();
    return v;
  }

  // percpuSums(map, entries) -> number[]: u64 counters of a per-CPU array summed over CPUs.
  Napi::Value PercpuSums(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    int fd = MapFd(env, info[0].As<Napi::String>());
    uint32_t n = info[1].As<Napi::Number>().Uint32Value();
    int ncpu = libbpf_num_possible_cpus();
    std::vector<uint64_t> vals(ncpu > 0 ? ncpu : 1);
    Napi::Array out = Napi::Array::New(env, n);
    for (uint32_t k = 0; k < n; k++) {
      uint64_t sum = 0;
      if (bpf_map_lookup_elem(fd, &k, vals.data()) == 0)
        for (auto v : vals) sum += v;
      out.Set(k, Napi::Number::New(env, double(sum)));
    }
    return out;
  }

  // start(onBatch(ArrayBuffer, records), {batchBytes, batchRecords, pollMs, queueCapBytes})
  Napi::Value Start(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (running_) throw Napi::Error::New(env, "already started");
    Napi::Function cb = info[0].As<Napi::Function>();
    if (info.Length() > 1 && info[1].IsObject()) {
      Napi::Object o = info[1].As<Napi::Object>();
      if (o.Has("batchBytes")) batch_bytes_ = o.Get("batchBytes").As<Napi::Number>().Uint32Value();
      if (o.Has("batchRecords")) batch_records_ = o.Get("batchRecords").As<Napi::Number>().Uint32Value();
      if (o.Has("pollMs")) poll_ms_ = o.Get("pollMs").As<Napi::Number>().Int32Value();
      if (o.Has("queueCapBytes")) queue_cap_bytes_ = uint64_t(o.Get("queueCapBytes").As<Napi::Number>().DoubleValue());
    }
    uint32_t ring = 0;
    for (auto &o : objects_) {
      bpf_map *m;
      bpf_object__for_each_map(m, o.obj) {
        if (bpf_map__type(m) != BPF_MAP_TYPE_RINGBUF) continue;
        int fd = bpf_map__fd(m);
        if (fd < 0 || ring_by_fd_.count(fd)) continue;  // a shared ring is consumed once
        bool payload = std::string(bpf_map__name(m)) != "shared_events";
        RingCtx *ctx = new RingCtx{this, ring, payload};
        ring_ctxs_.push_back(ctx);
        auto fn = [](void *c, void *data, size_t size) -> int {
          RingCtx *rc = static_cast<RingCtx *>(c);
          return rc->host->OnRecord(rc->ring, rc->payload, data, size);
        };
        ring_buffer *&mgr = payload ? rb_payload_ : rb_;
        int err = mgr ? ring_buffer__add(mgr, fd, fn, ctx) : 0;
        if (!mgr) {
          mgr = ring_buffer__new(fd, fn, ctx, nullptr);
          if (!mgr) err = -errno;
        }
        if (err) throw Napi::Error::New(env, std::string("cannot consume ring ") + bpf_map__name(m));
        ring_by_fd_[fd] = ring++;
      }
    }
    if (!rb_) throw Napi::Error::New(env, "no ring buffers loaded");
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) throw Napi::Error::New(env, "epoll_create1 failed");
    for (ring_buffer *mgr : {rb_, rb_payload_}) {
      if (!mgr) continue;
      epoll_event ev{};
      ev.events = EPOLLIN;
      if (epoll_ctl(epfd_, EPOLL_CTL_ADD, ring_buffer__epoll_fd(mgr), &ev) < 0) throw Napi::Error::New(env, "epoll_ctl failed");
    }
    tsfn_ = Napi::ThreadSafeFunction::New(env, cb, "agentsight-ring", 0, 1);
    current_ = new Batch();
    side_ = new Batch();
    stopping_ = false;
    running_ = true;
    poller_ = std::thread([this] { PollLoop(); });
    return env.Undefined();
  }

  void PollLoop() {
    // The poll thread only copies records out of the rings; when the JS thread is busy committing and the traced
    // program is producing, three threads compete for two cores and the kernel rings fill while this one waits for
    // CPU. A higher weight keeps the rings drained (backpressure moves to the 512 MiB user-space queue).
    poll_tid_ = static_cast<pid_t>(syscall(SYS_gettid));
    // Raising a priority needs CAP_SYS_NICE: the same privilege that lets the collector come back from yielding.
    can_renice_ = setpriority(PRIO_PROCESS, static_cast<id_t>(poll_tid_), -10) == 0;
    while (!stopping_.load()) {
      epoll_event evs[2];
      int n = epoll_wait(epfd_, evs, 2, poll_ms_);
      if (n < 0 && errno != EINTR) break;
      // With BPF_RB_NO_WAKEUP the epoll fd may not fire: every round consumes every ring, or records sit in them.
      DrainOrdered();
      UpdateDurability();
      UpdateYield();
    }
    DrainOrdered();
    Release();
  }

  // A TLS record must never reach JS before the fork and exec records of its process (it would have no process:
  // short-lived HTTPS clients lost theirs), but the rings are independent and the event ring, woken only every
  // 64 KiB, was consumed later than the TLS ring. So the payload rings are read first, into side batches, then the
  // event ring: every event record committed before a payload record just read (a fork or exec happens before the
  // process's TLS calls) is in the ring by then, and is delivered first. Exits may thereby precede their process's
  // last TLS records; the collector keeps exited processes findable (ProcessTracker.forRecord).
  void DrainOrdered() {
    if (rb_payload_) ring_buffer__consume(rb_payload_);
    ring_buffer__consume(rb_);
    Flush();
    for (Batch *b : side_full_) Enqueue(b);
    side_full_.clear();
    if (side_->records > 0) {
      Enqueue(side_);
      side_ = new Batch();
    }
    side_bytes_ = 0;
  }

  void Flush() {
    Batch *b = current_;
    if (b->records == 0) return;
    current_ = new Batch();
    Enqueue(b);
  }

  void Enqueue(Batch *b) {
    uint64_t sz = b->bytes.size();
    if (queued_bytes_.load() + sz > queue_cap_bytes_) {
      dropped_batches_++;
      dropped_records_ += b->records;
      dropped_bytes_ += sz;
      delete b;
      return;
    }
    queued_bytes_ += sz;
    b->seq = next_seq_++;
    uncommitted_.emplace_back(b->seq, NowMs());
    if (holding_.load()) {
      // An exec of a file JS has not handled must reach it now (its TLS probes), after everything before it.
      if (!b->new_exe) {
        held_.push_back(b);
        return;
      }
      Release();
    }
    Deliver(b);
  }

  // Hand held batches to JS in order (poll thread).
  void Release() {
    holding_ = false;
    while (!held_.empty()) {
      Batch *h = held_.front();
      held_.pop_front();
      Deliver(h);
    }
  }

  void Deliver(Batch *b) {
    uint64_t sz = b->bytes.size();
    bool new_exe = b->new_exe;
    if (new_exe) new_exe_batches_++;
    auto status = tsfn_.NonBlockingCall(b, [this](Napi::Env env, Napi::Function fn, Batch *batch) {
      size_t len = batch->bytes.size();
      uint32_t recs = batch->records;
      bool ne = batch->new_exe;
      queued_bytes_ -= len;
      delivered_records_ += recs;
      delivered_batches_++;
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
      queued_bytes_ -= sz;
      dropped_batches_++;
      dropped_records_ += b->records;
      dropped_bytes_ += sz;
      delete b;
    }
  }

  // Every thread of this process except the poll thread (the JS thread, V8's GC and compiler workers, libuv's pool)
  // gets this nice value. Threads they create later inherit it.
  // With idle: SCHED_IDLE as well. Under SCHED_IDLE a thread never preempts a normal one on wakeup, and the
  // scheduler counts a CPU running only such threads as idle when it places a waking task, so the traced program
  // lands on the collector's core instead of queueing behind it (nice 19 alone still took its slices there).
  void ApplyNice(int nice, bool idle = false) {
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

  // The collector yields the CPU to the traced program: while yielding, every thread but this one runs at nice 19,
  // so on a busy machine the observed workload (nice 0) gets the cores first and the collector works in the gaps;
  // this thread keeps draining the kernel rings into the user-space queue. When the queue passes yield_high_bytes_
  // the collector runs at normal priority until it is back under yield_low_bytes_: memory stays bounded and the
  // queue cap (whose overflow is counted) is only reached when the collector cannot keep up even at full priority.
  void UpdateYield() {
    if (!can_renice_) return;
    // The traced command has exited (a zombie not yet reaped, or reaped already): nothing left to yield to, and the
    // recording should finish at full speed. WNOWAIT leaves the reaping to libuv.
    int pid = yield_pid_.load();
    if (pid > 0 && yield_wanted_.load()) {
      siginfo_t si{};
      int r = waitid(P_PID, static_cast<id_t>(pid), &si, WEXITED | WNOHANG | WNOWAIT);
      if ((r == 0 && si.si_pid == pid) || (r < 0 && errno == ECHILD)) yield_wanted_ = false;
    }
    uint64_t q = queued_bytes_.load();
    bool want = yield_wanted_.load();
    // Normal priority was not enough (a producer as fast as tar on a loaded machine): past 8/5 of durable_ms_ the
    // collector runs above the workload (nice -10, like the poll thread) until it has committed — the bound wins over
    // the workload's speed then (see UpdateDurability). Only while yielding is wanted (record), never for `top`.
    bool urgent = want && oldest_uncommitted_ms_ >= durable_ms_ * 8 / 5;
    if (urgent && !urgent_) {
      ApplyNice(std::max(-20, base_nice_ - 10));
      urgent_ = true;
      yielding_ = false;
      urgent_boosts_++;
    } else if (urgent_ && (!age_boosted_ || !want)) {
      ApplyNice(base_nice_);
      urgent_ = false;
    }
    bool now = yielding_.load();
    bool exec_pending = new_exe_batches_.load() > 0;
    if (now && (!want || exec_pending || q > yield_high_bytes_ || age_boosted_)) {
      ApplyNice(base_nice_);
      yielding_ = false;
      if (want && exec_pending) exec_boosts_++;
      else if (want && age_boosted_) age_boosts_++;
      else if (want) yield_catchups_++;
    } else if (!now && want && !exec_pending && q < yield_low_bytes_ && !age_boosted_) {
      ApplyNice(19, true);
      yielding_ = true;
    }
    // Only a yielding collector holds: one catching up at normal priority gets every batch. Holding stops at half the
    // high mark, so a backlog that keeps growing goes to JS at SCHED_IDLE first and reaches the high mark (a catch-up
    // at normal priority, competing with the traced program) only if that cannot keep up either.
    UpdateHold(yielding_.load() && q <= yield_high_bytes_ / 2);
  }

  // Holding: measured on this machine kind, any CPU the collector uses while the traced program runs slows the
  // program, even at SCHED_IDLE on the other core: a pure spin loop there made `npm ci` 14% slower, the collector's
  // ~0.8 s of decoding and SQLite work over an 8 s run ~10%. So while yielding and the rest of the machine is busy
  // (other processes used at least hold_busy_ of all CPUs over the last 100 ms), batches stay in this thread's
  // queue and JS does nothing; they go to JS, in order, once the machine is quiet (an agent waiting for its model),
  // the traced command exits, the backlog passes half the high mark (then at SCHED_IDLE, see UpdateYield), a batch
  // holds an exec JS must see at once (TLS probes), or hold_max_ms_ has passed (readers of the recording in progress
  // see it at most that late). The queue's memory bound is unchanged.
  void UpdateHold(bool may_hold) {
    uint64_t now_ms = NowMs();
    // A command that has just been spawned is taken to be busy (the tar bench's whole run is ~0.5 s): the first
    // sample, one period later, says whether it is.
    if (yield_started_.exchange(false)) {
      machine_busy_ = true;
      cpu_sample_ms_ = 0;
    }
    if (now_ms - cpu_sample_ms_ >= kHoldSampleMs) {
      uint64_t busy = 0, total = 0, self = 0;
      if (ReadCpu(busy, total, self) && cpu_sample_ms_ != 0 && total > cpu_total_) {
        double others = double(int64_t(busy - cpu_busy_) - int64_t(self - cpu_self_)) / double(total - cpu_total_);
        machine_busy_ = others >= hold_busy_;
      }
      cpu_busy_ = busy;
      cpu_total_ = total;
      cpu_self_ = self;
      cpu_sample_ms_ = now_ms;
    }
    // The age bound: no hold while the oldest uncommitted batch (held or not) is hold_max_ms_ old; it resumes after
    // JS has committed (UpdateDurability).
    bool hold = may_hold && hold_busy_ > 0 && machine_busy_ && oldest_uncommitted_ms_ < hold_max_ms_;
    if (hold && !holding_.load()) {
      holding_ = true;
      hold_since_ms_ = now_ms;
      holds_++;
    } else if (!hold && holding_.load()) {
      held_ms_ += now_ms - hold_since_ms_;
      Release();
    }
  }

  // Durability: a recording killed at any moment (kill -9, OOM) loses at most ~1 s of what reached the poll thread.
  // What is lost is what was not committed: held here, queued for JS, applied but not yet committed. So the age of
  // the oldest uncommitted batch is bounded: holding ends at hold_max_ms_ (UpdateHold), and at durable_ms_ the
  // collector stops yielding (a SCHED_IDLE JS thread on a busy machine may get no CPU for seconds) until JS has
  // committed and the oldest uncommitted batch is under 3/5 of it again. JS commits at least every 200 ms of its own
  // time while batches arrive (CaptureRunner). The bound holds while the collector keeps up at normal priority.
  void UpdateDurability() {
    uint64_t done = committed_seq_.load();
    // A capture whose JS never commits (a bench, a test) must not grow this without bound.
    while (!uncommitted_.empty() && (uncommitted_.front().first <= done || uncommitted_.size() > 65536)) uncommitted_.pop_front();
    uint64_t now_ms = NowMs();
    oldest_uncommitted_ms_ = uncommitted_.empty() ? 0 : now_ms - uncommitted_.front().second;
    if (oldest_uncommitted_ms_ > max_uncommitted_ms_.load()) max_uncommitted_ms_ = oldest_uncommitted_ms_;
    if (!age_boosted_ && oldest_uncommitted_ms_ >= durable_ms_) age_boosted_ = true;
    else if (age_boosted_ && oldest_uncommitted_ms_ < durable_ms_ * 3 / 5) age_boosted_ = false;
  }

  static uint64_t NowMs() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000 + uint64_t(ts.tv_nsec) / 1000000;
  }

  // committed(): JS has committed everything it applied so far (call right after a successful commit).
  Napi::Value Committed(const Napi::CallbackInfo &info) {
    committed_seq_ = applied_seq_.load();
    return info.Env().Undefined();
  }

  // System-wide busy and total CPU ticks (/proc/stat) and this process's own (/proc/self/stat), in clock ticks.
  static bool ReadCpu(uint64_t &busy, uint64_t &total, uint64_t &self) {
    char buf[512];
    FILE *f = fopen("/proc/stat", "re");
    if (!f) return false;
    bool ok = fgets(buf, sizeof buf, f) != nullptr;
    fclose(f);
    unsigned long long v[8] = {};
    if (!ok || sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8) return false;
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

  // setYield(on, {highBytes, lowBytes, untilExitOf, holdBusy, holdMaxMs}?): see UpdateYield and UpdateHold (holdBusy
  // 0 turns holding off). Call it after spawning the traced command: a child forked from a yielding thread would
  // inherit nice 19. untilExitOf: a child pid whose exit ends the yielding.
  Napi::Value SetYield(const Napi::CallbackInfo &info) {
    bool on = info[0].As<Napi::Boolean>();
    if (info.Length() > 1 && info[1].IsObject()) {
      Napi::Object o = info[1].As<Napi::Object>();
      if (o.Get("highBytes").IsNumber()) yield_high_bytes_ = uint64_t(o.Get("highBytes").As<Napi::Number>().DoubleValue());
      if (o.Get("lowBytes").IsNumber()) yield_low_bytes_ = uint64_t(o.Get("lowBytes").As<Napi::Number>().DoubleValue());
      if (o.Get("untilExitOf").IsNumber()) yield_pid_ = o.Get("untilExitOf").As<Napi::Number>().Int32Value();
      if (o.Get("holdBusy").IsNumber()) hold_busy_ = o.Get("holdBusy").As<Napi::Number>().DoubleValue();
      if (o.Get("holdMaxMs").IsNumber()) hold_max_ms_ = uint64_t(o.Get("holdMaxMs").As<Napi::Number>().DoubleValue());
      if (o.Get("durableMs").IsNumber()) durable_ms_ = uint64_t(o.Get("durableMs").As<Napi::Number>().DoubleValue());
    }
    // Only from the normal policy: a collector someone runs as SCHED_BATCH or real-time is left as it was.
    if (on && sched_getscheduler(0) != SCHED_OTHER) on = false;
    if (on && !yield_wanted_.load()) {
      base_nice_ = getpriority(PRIO_PROCESS, 0);
      yield_started_ = true;
    }
    yield_wanted_ = on;
    return info.Env().Undefined();
  }

  // Is this record an exec of a file JS has not handled? Called on the poll thread for every record while watching.
  bool IsNewExe(const void *data, size_t size) {
    if (size < sizeof(proc_exec_event)) return false;
    const proc_exec_event *e = static_cast<const proc_exec_event *>(data);
    if (e->hdr.type != EV_PROC_EXEC || sizeof(proc_exec_event) + e->exe_len > size) return false;
    if (e->hdr.flags & EXEC_F_HELD) return true;  // stopped until JS has attached its probes
    std::string exe(reinterpret_cast<const char *>(e + 1), e->exe_len);
    std::lock_guard<std::mutex> lock(known_mu_);
    return known_exes_.count(exe) == 0;
  }

  // watchExecs(on): with TLS capture, a newly exec'd binary gets its uprobes from the JS thread (discovery, attach);
  // until that has run, its first TLS calls go unseen. A yielding JS thread (SCHED_IDLE) on a busy machine may get no
  // CPU for seconds, so a batch holding an exec of a file not yet handled suspends the yielding until JS has handled
  // that batch (UpdateYield). Each file costs this once: knownExe() marks it handled.
  Napi::Value WatchExecs(const Napi::CallbackInfo &info) {
    watch_execs_ = info[0].As<Napi::Boolean>().Value();
    return info.Env().Undefined();
  }

  Napi::Value KnownExe(const Napi::CallbackInfo &info) {
    std::string exe = info[0].As<Napi::String>();
    std::lock_guard<std::mutex> lock(known_mu_);
    if (known_exes_.size() < 65536) known_exes_.insert(exe);
    return info.Env().Undefined();
  }

  int MapFdOr(const char *name) {
    bpf_map *m = FindMap(name);
    return m ? bpf_map__fd(m) : -1;
  }

  void SetHoldMinBytes(uint64_t v) {
    int ctl = MapFdOr("exec_hold_ctl");
    uint32_t k = EXEC_HOLD_MIN_BYTES;
    if (ctl >= 0) bpf_map_update_elem(ctl, &k, &v, BPF_ANY);
  }

  // execHold(minBytes, timeoutMs) -> bool: hold traced processes at the exec of an unhandled file of at least minBytes
  // (bpf/process.bpf.c hold_exec). Only once the guard runs: without it a stopped process could outlive us stopped.
  Napi::Value ExecHold(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    uint64_t min_bytes = uint64_t(info[0].As<Napi::Number>().DoubleValue());
    uint64_t timeout_ms = uint64_t(info[1].As<Napi::Number>().DoubleValue());
    int held = MapFdOr("exec_held"), ctl = MapFdOr("exec_hold_ctl");
    if (held < 0 || ctl < 0) return Napi::Boolean::New(env, false);
    if (guard_fd_ < 0) guard_fd_ = exec_guard::Start(held, ctl, timeout_ms);
    if (guard_fd_ < 0) return Napi::Boolean::New(env, false);
    SetHoldMinBytes(min_bytes);
    return Napi::Boolean::New(env, true);
  }

  // execHoldStop() -> number: hold nothing more and continue every process still held (the capture is ending).
  Napi::Value ExecHoldStop(const Napi::CallbackInfo &info) {
    SetHoldMinBytes(0);
    int held = MapFdOr("exec_held");
    uint64_t n = held >= 0 ? exec_guard::Sweep(held, 0) : 0;
    return Napi::Number::New(info.Env(), double(n));
  }

  // The guard continues whatever is still held and exits once its pipe closes.
  void EndGuard() {
    if (guard_fd_ < 0) return;
    SetHoldMinBytes(0);
    close(guard_fd_);
    guard_fd_ = -1;
  }

  Napi::Value Stats(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("deliveredRecords", double(delivered_records_.load()));
    o.Set("deliveredBatches", double(delivered_batches_.load()));
    o.Set("droppedBatches", double(dropped_batches_.load()));
    o.Set("droppedRecords", double(dropped_records_.load()));
    o.Set("droppedBytes", double(dropped_bytes_.load()));
    o.Set("queuedBytes", double(queued_bytes_.load()));
    o.Set("yielding", yielding_.load());
    o.Set("yieldCatchups", double(yield_catchups_.load()));
    o.Set("execBoosts", double(exec_boosts_.load()));
    o.Set("holding", holding_.load());
    o.Set("holds", double(holds_.load()));
    o.Set("heldMs", double(held_ms_.load()));
    o.Set("ageBoosts", double(age_boosts_.load()));
    o.Set("urgentBoosts", double(urgent_boosts_.load()));
    o.Set("maxUncommittedMs", double(max_uncommitted_ms_.load()));
    return o;
  }

  void StopPolling() {
    if (!running_) return;
    stopping_ = true;
    if (poller_.joinable()) poller_.join();
    // Whatever is still queued is applied at normal priority: the recording finishes as fast as it can.
    yield_wanted_ = false;
    if (yielding_.load() || urgent_) {
      ApplyNice(base_nice_);
      yielding_ = false;
      urgent_ = false;
    }
    // NonBlockingCall never blocks, so joining cannot deadlock; queued batches are still delivered.
    tsfn_.Release();
    running_ = false;
    delete current_;
    current_ = nullptr;
    delete side_;
    side_ = nullptr;
  }

  // Once the rings are no longer read, the programs' output goes nowhere: their links are destroyed on a thread of their
  // own while JS applies the last batches and finishes the recording, and close() waits for it. Link ids stay valid
  // (the slots are emptied, not removed), and links attached after stop() are destroyed by close().
  void StartUnlinking() {
    if (unlinker_.joinable()) return;
    std::vector<bpf_link *> doomed;
    for (auto &l : links_) {
      if (l) doomed.push_back(l);
      l = nullptr;
    }
    if (doomed.empty()) return;
    try {
      unlinker_ = std::thread([doomed]() mutable { DestroyLinks(doomed); });
    } catch (const std::system_error &) {
      DestroyLinks(doomed);
    }
  }

  // stop(unlink = true): stop reading the rings; with unlink, start destroying the links in the background.
  Napi::Value Stop(const Napi::CallbackInfo &info) {
    StopPolling();
    if (info.Length() == 0 || !info[0].IsBoolean() || info[0].As<Napi::Boolean>().Value()) StartUnlinking();
    return info.Env().Undefined();
  }

  // Destroying a link waits for RCU grace periods in the kernel: ~16-20 ms per perf-event tracepoint or uprobe here,
  // seconds for `record`'s ~80 tracepoints plus its TLS uprobes one after another. Grace periods that callers wait for
  // at the same time are shared, so a few threads destroy them at once (tracepoints are still released one at a time:
  // the kernel holds event_mutex across the wait); every one is gone before this returns.
  static void DestroyLinks(std::vector<bpf_link *> &links) {
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i = next++; i < links.size(); i = next++)
        if (links[i]) bpf_link__destroy(links[i]);
    };
    size_t n = std::min<size_t>(32, links.size() / 2);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < n; i++) {
      try {
        threads.emplace_back(work);
      } catch (const std::system_error &) {
        break;  // no thread to be had: this one does the rest
      }
    }
    work();
    for (auto &t : threads) t.join();
    links.clear();
  }

  void Cleanup() {
    if (handed_off_) return;  // the fds are closed and libbpf's structures abandoned: see HandOff
    EndGuard();
    StopPolling();
    if (unlinker_.joinable()) unlinker_.join();
    DestroyLinks(links_);
    if (rb_) ring_buffer__free(rb_);
    rb_ = nullptr;
    if (rb_payload_) ring_buffer__free(rb_payload_);
    rb_payload_ = nullptr;
    if (epfd_ >= 0) close(epfd_);
    epfd_ = -1;
    for (auto c : ring_ctxs_) delete c;
    ring_ctxs_.clear();
    ring_by_fd_.clear();
    for (auto it = objects_.rbegin(); it != objects_.rend(); ++it) bpf_object__close(it->obj);
    objects_.clear();
    shared_fds_.clear();
  }

  Napi::Value Close(const Napi::CallbackInfo &info) {
    Cleanup();
    return info.Env().Undefined();
  }

  // handOff(): release the kernel side without waiting for it, for a process about to exit. Destroying ~80 tracepoint
  // links waits for an RCU grace period each (serialized by the kernel's event_mutex): `record` sat 1.7 s after its
  // summary before the shell got its prompt back. Here a forked child takes a copy of every link, program and map fd
  // and waits for this process to exit (a pipe only this process writes); this process then closes its own copies,
  // which are no longer the last references and cost nothing, and the child's exit does the slow teardown unwatched.
  // The probes stay attached for that second or two, feeding rings no one reads. The child runs only async-signal-
  // safe calls (this process has other threads). libbpf's structures are abandoned, not freed: their fds are closed.
  // Returns false (after a normal, waiting close) when there is no child to be had.
  Napi::Value HandOff(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (handed_off_) return Napi::Boolean::New(env, true);
    EndGuard();  // the probes outlive this process in the child: they must hold nothing
    StopPolling();
    if (unlinker_.joinable()) unlinker_.join();
    std::vector<int> keep;
    for (auto *l : links_)
      if (l && bpf_link__fd(l) >= 0) keep.push_back(bpf_link__fd(l));
    for (auto &o : objects_) {
      bpf_program *p;
      bpf_object__for_each_program(p, o.obj) if (bpf_program__fd(p) >= 0) keep.push_back(bpf_program__fd(p));
      bpf_map *m;
      bpf_object__for_each_map(m, o.obj) if (bpf_map__fd(m) >= 0) keep.push_back(bpf_map__fd(m));
    }
    int pfd[2];
    if (keep.empty() || pipe2(pfd, O_CLOEXEC) != 0) {
      Cleanup();
      return Napi::Boolean::New(env, false);
    }
    keep.push_back(pfd[0]);
    std::sort(keep.begin(), keep.end());
    keep.erase(std::unique(keep.begin(), keep.end()), keep.end());
    pid_t pid = fork();
    if (pid == 0) {
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
      Cleanup();
      return Napi::Boolean::New(env, false);
    }
    // pfd[1] stays open (close-on-exec) until this process exits: that is the child's signal.
    if (rb_) ring_buffer__free(rb_);
    rb_ = nullptr;
    if (rb_payload_) ring_buffer__free(rb_payload_);
    rb_payload_ = nullptr;
    if (epfd_ >= 0) close(epfd_);
    epfd_ = -1;
    for (int fd : keep)
      if (fd != pfd[0]) close(fd);
    links_.clear();
    objects_.clear();
    shared_fds_.clear();
    handed_off_ = true;
    return Napi::Boolean::New(env, true);
  }
};

// Unix-epoch ns minus CLOCK_MONOTONIC ns: BPF timestamps (bpf_ktime_get_ns) become wall time with one addition.
Napi::Value ClockOffsetNs(const Napi::CallbackInfo &info) {
  timespec mono1, real, mono2;
  clock_gettime(CLOCK_MONOTONIC, &mono1);
  clock_gettime(CLOCK_REALTIME, &real);
  clock_gettime(CLOCK_MONOTONIC, &mono2);
  int64_t m1 = int64_t(mono1.tv_sec) * 1000000000 + mono1.tv_nsec;
  int64_t m2 = int64_t(mono2.tv_sec) * 1000000000 + mono2.tv_nsec;
  int64_t r = int64_t(real.tv_sec) * 1000000000 + real.tv_nsec;
  return Napi::BigInt::New(info.Env(), r - (m1 + (m2 - m1) / 2));
}

Napi::Value MonotonicNs(const Napi::CallbackInfo &info) {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return Napi::BigInt::New(info.Env(), int64_t(t.tv_sec) * 1000000000 + t.tv_nsec);
}

Napi::Value SetLogEcho(const Napi::CallbackInfo &info) {
  g_log_echo = info[0].As<Napi::Boolean>();
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  libbpf_set_print(libbpf_print);
  libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
  BpfHost::Init(env, exports);
  exports.Set("clockOffsetNs", Napi::Function::New(env, ClockOffsetNs));
  exports.Set("monotonicNs", Napi::Function::New(env, MonotonicNs));
  exports.Set("setLogEcho", Napi::Function::New(env, SetLogEcho));
  exports.Set("eventHeaderSize", Napi::Number::New(env, sizeof(event_header)));
  return exports;
}

}  // namespace

NODE_API_MODULE(agentsight, Init)
