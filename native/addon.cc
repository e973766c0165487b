// agentsight native addon: the BpfHost class JavaScript drives (src/native/addon.ts types it), and the clock helpers.
// Each concern lives in its own file; this one reads the arguments and keeps the lifecycle a straight line:
//   load() (loader.cc: open -> configure rodata -> share maps -> load) -> attach()/attachUprobe()
//   -> start() (poll-thread.cc, with yield-policy.cc deciding priorities and holding) -> stop() -> close()
// with one cleanup path in reverse, or handOff() (hand-off.cc) for a process about to exit.
#include <napi.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "../bpf/events.h"
#include "exec-hold.h"
#include "hand-off.h"
#include "libbpf-log.h"
#include "loader.h"
#include "poll-thread.h"
#include "yield-policy.h"

namespace agentsight {
namespace {

class BpfHost : public Napi::ObjectWrap<BpfHost> {
 public:
  static Napi::Object Init(Napi::Env env, Napi::Object exports) {
    Napi::Function fn = DefineClass(env, "BpfHost",
                                    {
                                        InstanceMethod("load", &BpfHost::Load),
                                        InstanceMethod("loadStart", &BpfHost::LoadStart),
                                        InstanceMethod("loadFinish", &BpfHost::LoadFinish),
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
                                        InstanceMethod("execHold", &BpfHost::ExecHoldStart),
                                        InstanceMethod("execHoldStop", &BpfHost::ExecHoldStop),
                                        InstanceMethod("committed", &BpfHost::Committed),
                                        InstanceMethod("appliedThroughNs", &BpfHost::AppliedThroughNs),
                                    });
    exports.Set("BpfHost", fn);
    return exports;
  }

  explicit BpfHost(const Napi::CallbackInfo &info) : Napi::ObjectWrap<BpfHost>(info) {}
  ~BpfHost() override { Cleanup(); }

 private:
  Loader loader_;
  YieldPolicy policy_;
  PollThread poll_{policy_};
  ExecHold exec_hold_;
  bool handed_off_ = false;  // see HandOff

  // load(path, cfg: Buffer, opts: {ringBytes?: {[map]: bytes}, disable?: string[]}) -> {name, programs: [{name, section}]}
  Napi::Value Load(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    std::string path = info[0].As<Napi::String>();
    Napi::Buffer<uint8_t> cfg = info[1].As<Napi::Buffer<uint8_t>>();
    if (poll_.running()) throw Napi::Error::New(env, "load() after start()");
    LoadOptions lo = ParseLoadOptions(env, info);
    return loader_.Load(env, path, cfg.Data(), cfg.Length(), lo);
  }

  // loadStart(paths: string[], cfg: Buffer, opts) starts loading every object at once on threads of their own;
  // loadFinish() waits for them -> [{name, programs} | {error}] in the same order (loader.cc StartLoads).
  Napi::Value LoadStart(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (poll_.running()) throw Napi::Error::New(env, "loadStart() after start()");
    Napi::Array arr = info[0].As<Napi::Array>();
    std::vector<std::string> paths;
    for (uint32_t i = 0; i < arr.Length(); i++) paths.push_back(arr.Get(i).As<Napi::String>());
    Napi::Buffer<uint8_t> cfg = info[1].As<Napi::Buffer<uint8_t>>();
    loader_.StartLoads(env, paths, cfg.Data(), cfg.Length(), ParseLoadOptions(env, info));
    return env.Undefined();
  }

  Napi::Value LoadFinish(const Napi::CallbackInfo &info) { return loader_.FinishLoads(info.Env()); }

  // {ringBytes?: {[map]: bytes}, disable?: string[]} as the third argument of load() and loadStart().
  static LoadOptions ParseLoadOptions(Napi::Env env, const Napi::CallbackInfo &info) {
    Napi::Object opts = info.Length() > 2 && info[2].IsObject() ? info[2].As<Napi::Object>() : Napi::Object::New(env);
    LoadOptions lo;
    if (opts.Has("disable")) {
      Napi::Array dis = opts.Get("disable").As<Napi::Array>();
      for (uint32_t i = 0; i < dis.Length(); i++) lo.disable.push_back(dis.Get(i).As<Napi::String>());
    }
    if (opts.Has("ringBytes")) {
      Napi::Object rb = opts.Get("ringBytes").As<Napi::Object>();
      Napi::Array names = rb.GetPropertyNames();
      for (uint32_t i = 0; i < names.Length(); i++) {
        std::string n = names.Get(i).As<Napi::String>();
        lo.ring_bytes[n] = rb.Get(n).As<Napi::Number>().Uint32Value();
      }
    }
    return lo;
  }

  // attach(progName) -> link id. Uses the program's SEC() (tp, tp_btf, raw_tp …) to attach.
  Napi::Value Attach(const Napi::CallbackInfo &info) {
    return Napi::Number::New(info.Env(), loader_.Attach(info.Env(), info[0].As<Napi::String>()));
  }

  // attachUprobe(progName, binaryPath, fileOffset, retprobe, pid) -> link id. pid -1 = every process.
  Napi::Value AttachUprobe(const Napi::CallbackInfo &info) {
    std::string name = info[0].As<Napi::String>();
    std::string bin = info[1].As<Napi::String>();
    int64_t offset = info[2].As<Napi::Number>().Int64Value();
    bool ret = info[3].As<Napi::Boolean>();
    int pid = info[4].As<Napi::Number>().Int32Value();
    return Napi::Number::New(info.Env(), loader_.AttachUprobe(info.Env(), name, bin, offset, ret, pid));
  }

  Napi::Value Detach(const Napi::CallbackInfo &info) {
    loader_.Detach(info[0].As<Napi::Number>().Uint32Value());
    return info.Env().Undefined();
  }

  Napi::Value MapUpdate(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    int fd = loader_.MapFd(env, info[0].As<Napi::String>());
    auto k = info[1].As<Napi::Buffer<uint8_t>>();
    auto v = info[2].As<Napi::Buffer<uint8_t>>();
    if (bpf_map_update_elem(fd, k.Data(), v.Data(), BPF_ANY))
      throw Napi::Error::New(env, std::string("map update failed: ") + strerror(errno));
    return env.Undefined();
  }

  Napi::Value MapDelete(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    int fd = loader_.MapFd(env, info[0].As<Napi::String>());
    auto k = info[1].As<Napi::Buffer<uint8_t>>();
    return Napi::Boolean::New(env, bpf_map_delete_elem(fd, k.Data()) == 0);
  }

  // mapLookup(map, key, valueSize) -> Buffer | null
  Napi::Value MapLookup(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    int fd = loader_.MapFd(env, info[0].As<Napi::String>());
    auto k = info[1].As<Napi::Buffer<uint8_t>>();
    uint32_t vsize = info[2].As<Napi::Number>().Uint32Value();
    auto v = Napi::Buffer<uint8_t>::New(env, vsize);
    if (bpf_map_lookup_elem(fd, k.Data(), v.Data())) return env.Null();
    return v;
  }

  // percpuSums(map, entries) -> number[]: u64 counters of a per-CPU array summed over CPUs.
  Napi::Value PercpuSums(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    int fd = loader_.MapFd(env, info[0].As<Napi::String>());
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
    if (poll_.running()) throw Napi::Error::New(env, "already started");
    Napi::Function cb = info[0].As<Napi::Function>();
    if (info.Length() > 1 && info[1].IsObject()) {
      Napi::Object o = info[1].As<Napi::Object>();
      PollOptions &p = poll_.options;
      if (o.Has("batchBytes")) p.batch_bytes = o.Get("batchBytes").As<Napi::Number>().Uint32Value();
      if (o.Has("batchRecords")) p.batch_records = o.Get("batchRecords").As<Napi::Number>().Uint32Value();
      if (o.Has("pollMs")) p.poll_ms = o.Get("pollMs").As<Napi::Number>().Int32Value();
      if (o.Has("queueCapBytes")) p.queue_cap_bytes = uint64_t(o.Get("queueCapBytes").As<Napi::Number>().DoubleValue());
    }
    poll_.Start(env, cb, loader_.objects());
    return env.Undefined();
  }

  // stop(unlink = true): stop reading the rings; with unlink, start destroying the links in the background.
  Napi::Value Stop(const Napi::CallbackInfo &info) {
    poll_.Stop();
    if (info.Length() == 0 || !info[0].IsBoolean() || info[0].As<Napi::Boolean>().Value()) loader_.StartUnlinking();
    return info.Env().Undefined();
  }

  void Cleanup() {
    if (handed_off_) return;  // the fds are closed and libbpf's structures abandoned: see HandOff
    exec_hold_.EndGuard(loader_.MapFdOr("exec_hold_ctl"));
    poll_.Stop();
    loader_.JoinUnlinker();
    loader_.DestroyLinks();
    poll_.FreeRings();
    loader_.CloseObjects();
  }

  Napi::Value Close(const Napi::CallbackInfo &info) {
    Cleanup();
    return info.Env().Undefined();
  }

  // handOff() -> bool: see hand-off.h. libbpf's structures and the rings' mappings are abandoned, not freed: their fds
  // are closed. Returns false (after a normal, waiting close) when there is no keeper to be had.
  Napi::Value HandOff(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (handed_off_) return Napi::Boolean::New(env, true);
    exec_hold_.EndGuard(loader_.MapFdOr("exec_hold_ctl"));  // the probes outlive this process in the child: they must hold nothing
    poll_.Stop();
    loader_.JoinUnlinker();
    std::vector<int> fds = loader_.KernelFds();
    if (!ForkKeeper(fds)) {
      Cleanup();
      return Napi::Boolean::New(env, false);
    }
    // The rings stay mapped: the keeper shares this memory and its exit unmaps them (~10 ms here, of 2 × 128 MiB).
    std::sort(fds.begin(), fds.end());
    fds.erase(std::unique(fds.begin(), fds.end()), fds.end());
    for (int fd : fds) close(fd);
    loader_.Abandon();
    handed_off_ = true;
    return Napi::Boolean::New(env, true);
  }

  Napi::Value Stats(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    const PollCounters &p = poll_.counters;
    const YieldCounters &y = policy_.counters;
    Napi::Object o = Napi::Object::New(env);
    o.Set("deliveredRecords", double(p.delivered_records.load()));
    o.Set("releasedRecords", double(p.released_records.load()));
    o.Set("deliveredBatches", double(p.delivered_batches.load()));
    o.Set("droppedBatches", double(p.dropped_batches.load()));
    o.Set("droppedRecords", double(p.dropped_records.load()));
    o.Set("droppedBytes", double(p.dropped_bytes.load()));
    o.Set("queuedBytes", double(p.queued_bytes.load()));
    o.Set("yielding", y.yielding.load());
    o.Set("yieldCatchups", double(y.catchups.load()));
    o.Set("execBoosts", double(y.exec_boosts.load()));
    o.Set("holding", p.holding.load());
    o.Set("holds", double(p.holds.load()));
    o.Set("heldMs", double(p.held_ms.load()));
    o.Set("heldBatches", double(p.held_batches.load()));
    o.Set("ageBoosts", double(y.age_boosts.load()));
    o.Set("urgentBoosts", double(y.urgent_boosts.load()));
    o.Set("maxUncommittedMs", double(p.max_uncommitted_ms.load()));
    return o;
  }

  // setYield(on, {highBytes, lowBytes, untilExitOf, holdBusy, holdMaxMs, durableMs}?): see yield-policy.cc (holdBusy
  // 0 turns holding off). Call it after spawning the traced command: a child forked from a yielding thread would
  // inherit nice 19. untilExitOf: a child pid whose exit ends the yielding.
  Napi::Value SetYield(const Napi::CallbackInfo &info) {
    bool on = info[0].As<Napi::Boolean>();
    if (info.Length() > 1 && info[1].IsObject()) {
      Napi::Object o = info[1].As<Napi::Object>();
      YieldSettings &s = policy_.settings;
      auto num = [&](const char *k) { return o.Get(k).As<Napi::Number>().DoubleValue(); };
      if (o.Get("highBytes").IsNumber()) s.high_bytes = uint64_t(num("highBytes"));
      if (o.Get("lowBytes").IsNumber()) s.low_bytes = uint64_t(num("lowBytes"));
      if (o.Get("untilExitOf").IsNumber()) policy_.SetUntilExitOf(o.Get("untilExitOf").As<Napi::Number>().Int32Value());
      if (o.Get("holdBusy").IsNumber()) s.hold_busy = num("holdBusy");
      if (o.Get("holdMaxMs").IsNumber()) s.hold_max_ms = uint64_t(num("holdMaxMs"));
      if (o.Get("durableMs").IsNumber()) s.durable_ms = uint64_t(num("durableMs"));
    }
    policy_.SetWanted(on);
    return info.Env().Undefined();
  }

  // watchExecs(on): see YieldPolicy::KnownExe.
  Napi::Value WatchExecs(const Napi::CallbackInfo &info) {
    policy_.WatchExecs(info[0].As<Napi::Boolean>().Value());
    return info.Env().Undefined();
  }

  Napi::Value KnownExe(const Napi::CallbackInfo &info) {
    policy_.KnownExe(info[0].As<Napi::String>());
    return info.Env().Undefined();
  }

  // execHold(minBytes, timeoutMs) -> bool: hold traced processes at the exec of an unhandled file of at least minBytes
  // (exec-hold.h).
  Napi::Value ExecHoldStart(const Napi::CallbackInfo &info) {
    uint64_t min_bytes = uint64_t(info[0].As<Napi::Number>().DoubleValue());
    uint64_t timeout_ms = uint64_t(info[1].As<Napi::Number>().DoubleValue());
    bool on = exec_hold_.Start(loader_.MapFdOr("exec_held"), loader_.MapFdOr("exec_hold_ctl"), min_bytes, timeout_ms);
    return Napi::Boolean::New(info.Env(), on);
  }

  // execHoldStop() -> number: hold nothing more and continue every process still held (the capture is ending).
  Napi::Value ExecHoldStop(const Napi::CallbackInfo &info) {
    uint64_t n = exec_hold_.Stop(loader_.MapFdOr("exec_held"), loader_.MapFdOr("exec_hold_ctl"));
    return Napi::Number::New(info.Env(), double(n));
  }

  // committed(): JS has committed everything it applied so far (call right after a successful commit).
  Napi::Value Committed(const Napi::CallbackInfo &info) {
    poll_.Committed();
    return info.Env().Undefined();
  }

  // appliedThroughNs(): CLOCK_MONOTONIC ns (a BigInt; 0n until known) before which every record the kernel made has
  // been applied by JS or counted as dropped: what a commit made now is complete up to.
  Napi::Value AppliedThroughNs(const Napi::CallbackInfo &info) {
    return Napi::BigInt::New(info.Env(), poll_.AppliedThroughNs());
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

// The peer of a connected unix socket, from the kernel (SO_PEERCRED: its pid, uid and gid when it connected), or
// null. The monitor's record socket (src/monitor/record-socket.ts) takes the caller's identity from here, never from
// what the caller says.
Napi::Value PeerCred(const Napi::CallbackInfo &info) {
  ucred c{};
  socklen_t len = sizeof c;
  if (getsockopt(info[0].As<Napi::Number>().Int32Value(), SOL_SOCKET, SO_PEERCRED, &c, &len) != 0) return info.Env().Null();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("pid", double(c.pid));
  o.Set("uid", double(c.uid));
  o.Set("gid", double(c.gid));
  return o;
}

// exitNow(code) -> false, or never returns: for process.exit once everything is written and closed (src/cli/exit-now.ts).
// What node's own exit adds after its 'exit' event (joining its thread pools, OpenSSL's and the C++ runtime's
// cleanups, freeing what the kernel frees anyway) cost `record` ~10 ms of the shell's wait, page faults mostly (pages
// still shared copy-on-write with a forked child). What matters of it is done here: node's ResetStdio (stdio flags and
// terminal mode as they were at start, shared with the shell) and C stdio's buffers. false when this node does not
// export ResetStdio: the caller then exits the usual way.
Napi::Value ExitNow(const Napi::CallbackInfo &info) {
  int code = info[0].As<Napi::Number>().Int32Value();
  auto reset_stdio = reinterpret_cast<void (*)()>(dlsym(RTLD_DEFAULT, "_ZN4node10ResetStdioEv"));
  if (reset_stdio == nullptr) return Napi::Boolean::New(info.Env(), false);
  reset_stdio();
  fflush(nullptr);
  _exit(code);
}

Napi::Value SetLogEcho(const Napi::CallbackInfo &info) {
  SetLibbpfLogEcho(info[0].As<Napi::Boolean>());
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InstallLibbpfLog();
  libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
  BpfHost::Init(env, exports);
  exports.Set("clockOffsetNs", Napi::Function::New(env, ClockOffsetNs));
  exports.Set("monotonicNs", Napi::Function::New(env, MonotonicNs));
  exports.Set("setLogEcho", Napi::Function::New(env, SetLogEcho));
  exports.Set("exitNow", Napi::Function::New(env, ExitNow));
  exports.Set("peerCred", Napi::Function::New(env, PeerCred));
  exports.Set("eventHeaderSize", Napi::Number::New(env, sizeof(event_header)));
  return exports;
}

}  // namespace
}  // namespace agentsight

// NODE_API_MODULE pastes the name into an identifier: it needs an unqualified one.
static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return agentsight::Init(env, exports); }

NODE_API_MODULE(agentsight, InitAddon)
