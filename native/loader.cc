#include "loader.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <algorithm>
#include <atomic>
#include <system_error>

#include <unistd.h>

#include "libbpf-log.h"

namespace agentsight {
namespace {

// Write the `cfg` variable in .rodata: its offset comes from the object's BTF, so objects need no skeleton.
std::string SetConfig(bpf_object *obj, const uint8_t *cfg, size_t len) {
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

std::string path_prefix(const std::string &path) { return path + ": "; }

}  // namespace

Napi::Object Loader::Load(Napi::Env env, const std::string &path, const uint8_t *cfg, size_t cfg_len,
                          const LoadOptions &opts) {
  TakeLibbpfLog();
  bpf_object *obj = bpf_object__open_file(path.c_str(), nullptr);
  if (!obj || libbpf_get_error(obj)) {
    int err = errno;
    throw Napi::Error::New(env, "cannot open BPF object " + path + ": " + strerror(err) + "\n" + TakeLibbpfLog());
  }
  std::string err = Configure(obj, cfg, cfg_len, opts);
  if (!err.empty()) {
    bpf_object__close(obj);
    throw Napi::Error::New(env, path + ": " + err);
  }
  if (bpf_object__load(obj)) {
    int e = errno;
    std::string log = TakeLibbpfLog();
    bpf_object__close(obj);
    Napi::Error error = Napi::Error::New(env, "cannot load BPF object " + path + ": " + strerror(e));
    error.Set("log", Napi::String::New(env, log));
    throw error;
  }
  bpf_map *m;
  bpf_object__for_each_map(m, obj) {
    std::string n = bpf_map__name(m);
    if (n.rfind("shared_", 0) == 0 && !shared_fds_.count(n)) shared_fds_[n] = bpf_map__fd(m);
  }
  objects_.push_back({path, obj});
  return Describe(env, obj);
}

// cfg in .rodata, programs left out, shared_* maps reused, ring sizes: everything between open and load.
std::string Loader::Configure(bpf_object *obj, const uint8_t *cfg, size_t cfg_len, const LoadOptions &opts) {
  std::string err = SetConfig(obj, cfg, cfg_len);
  if (!err.empty()) return err;
  for (const std::string &n : opts.disable) {
    bpf_program *p = bpf_object__find_program_by_name(obj, n.c_str());
    if (p) bpf_program__set_autoload(p, false);
  }
  bpf_map *m;
  bpf_object__for_each_map(m, obj) {
    std::string n = bpf_map__name(m);
    auto it = shared_fds_.find(n);
    if (it != shared_fds_.end()) {
      if (bpf_map__reuse_fd(m, it->second)) return "cannot share map " + n;
    } else if (bpf_map__type(m) == BPF_MAP_TYPE_RINGBUF) {
      auto rb = opts.ring_bytes.find(n);
      if (rb != opts.ring_bytes.end()) bpf_map__set_max_entries(m, rb->second);
    }
  }
  return "";
}

// The shared_* maps of an object that no object has created yet, created here from its definitions (what
// bpf_object__load would do, without the BTF of key and value, which nothing reads), so that no object has to load
// before the others can share them.
std::string Loader::CreateSharedMaps(bpf_object *obj, const LoadOptions &opts) {
  bpf_map *m;
  bpf_object__for_each_map(m, obj) {
    std::string n = bpf_map__name(m);
    if (n.rfind("shared_", 0) != 0 || shared_fds_.count(n)) continue;
    uint32_t max_entries = bpf_map__max_entries(m);
    auto rb = opts.ring_bytes.find(n);
    if (bpf_map__type(m) == BPF_MAP_TYPE_RINGBUF && rb != opts.ring_bytes.end()) max_entries = rb->second;
    LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = bpf_map__map_flags(m), .map_extra = bpf_map__map_extra(m),
                .numa_node = bpf_map__numa_node(m));
    int fd = bpf_map_create(bpf_map__type(m), n.c_str(), bpf_map__key_size(m), bpf_map__value_size(m), max_entries,
                            &mo);
    if (fd < 0) return "cannot create map " + n + ": " + strerror(errno);
    own_map_fds_.push_back(fd);
    shared_fds_[n] = fd;
  }
  return "";
}

void Loader::StartLoads(Napi::Env env, const std::vector<std::string> &paths, const uint8_t *cfg, size_t cfg_len,
                        const LoadOptions &opts) {
  if (!pending_.empty()) throw Napi::Error::New(env, "loads already started");
  for (const std::string &path : paths) {
    PendingLoad p;
    p.path = path;
    p.obj = bpf_object__open_file(path.c_str(), nullptr);
    if (!p.obj || libbpf_get_error(p.obj)) {
      p.obj = nullptr;
      p.error = "cannot open BPF object " + path + ": " + strerror(errno);
    }
    pending_.push_back(std::move(p));
  }
  // Every shared map first (process.bpf.o declares them all; any object may), then each object takes them.
  for (auto &p : pending_) {
    if (!p.obj) continue;
    std::string err = CreateSharedMaps(p.obj, opts);
    if (err.empty()) err = Configure(p.obj, cfg, cfg_len, opts);
    if (!err.empty()) {
      bpf_object__close(p.obj);
      p.obj = nullptr;
      p.error = path_prefix(p.path) + err;
    }
  }
  for (auto &p : pending_) {
    if (!p.obj) continue;
    PendingLoad *slot = &p;
    auto load = [slot] {
      if (bpf_object__load(slot->obj)) {
        slot->error = "cannot load BPF object " + slot->path + ": " + strerror(errno);
        bpf_object__close(slot->obj);
        slot->obj = nullptr;
      }
    };
    try {
      load_threads_.emplace_back(load);
    } catch (const std::system_error &) {
      load();  // no thread to be had: this one loads it
    }
  }
}

void Loader::JoinLoads() {
  for (auto &t : load_threads_) t.join();
  load_threads_.clear();
}

Napi::Array Loader::FinishLoads(Napi::Env env) {
  JoinLoads();
  Napi::Array out = Napi::Array::New(env);
  uint32_t i = 0;
  for (auto &p : pending_) {
    if (p.obj) {
      objects_.push_back({p.path, p.obj});
      out.Set(i++, Describe(env, p.obj));
    } else {
      Napi::Object e = Napi::Object::New(env);
      e.Set("error", p.error);
      out.Set(i++, e);
    }
  }
  pending_.clear();
  TakeLibbpfLog();  // the threads' messages, interleaved: a failed object is loaded again alone for its own
  return out;
}

Napi::Object Loader::Describe(Napi::Env env, bpf_object *obj) {
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

uint32_t Loader::Attach(Napi::Env env, const std::string &name) {
  bpf_program *p = FindProgram(name);
  if (!p) throw Napi::Error::New(env, "no BPF program " + name);
  TakeLibbpfLog();
  bpf_link *l = bpf_program__attach(p);
  if (!l || libbpf_get_error(l)) {
    int e = errno;
    throw Napi::Error::New(env, "cannot attach " + name + ": " + strerror(e) + " " + TakeLibbpfLog());
  }
  links_.push_back(l);
  return uint32_t(links_.size() - 1);
}

uint32_t Loader::AttachUprobe(Napi::Env env, const std::string &name, const std::string &bin, int64_t offset, bool ret,
                              int pid) {
  bpf_program *p = FindProgram(name);
  if (!p) throw Napi::Error::New(env, "no BPF program " + name);
  LIBBPF_OPTS(bpf_uprobe_opts, o, .retprobe = ret);
  TakeLibbpfLog();
  bpf_link *l = bpf_program__attach_uprobe_opts(p, pid, bin.c_str(), size_t(offset), &o);
  if (!l || libbpf_get_error(l)) {
    int e = errno;
    char hex[32];
    snprintf(hex, sizeof hex, "%llx", (unsigned long long)offset);
    throw Napi::Error::New(env, "cannot attach uprobe " + name + " at " + bin + "+0x" + hex + ": " + strerror(e) + " " +
                                    TakeLibbpfLog());
  }
  links_.push_back(l);
  return uint32_t(links_.size() - 1);
}

void Loader::Detach(uint32_t id) {
  if (id < links_.size() && links_[id]) {
    bpf_link__destroy(links_[id]);
    links_[id] = nullptr;
  }
}

bpf_program *Loader::FindProgram(const std::string &name) {
  for (auto &o : objects_) {
    bpf_program *p = bpf_object__find_program_by_name(o.obj, name.c_str());
    if (p) return p;
  }
  return nullptr;
}

bpf_map *Loader::FindMap(const std::string &name) {
  for (auto &o : objects_) {
    bpf_map *m = bpf_object__find_map_by_name(o.obj, name.c_str());
    if (m && bpf_map__fd(m) >= 0) return m;
  }
  return nullptr;
}

int Loader::MapFd(Napi::Env env, const std::string &name) {
  bpf_map *m = FindMap(name);
  if (!m) throw Napi::Error::New(env, "no BPF map " + name);
  return bpf_map__fd(m);
}

int Loader::MapFdOr(const char *name) {
  bpf_map *m = FindMap(name);
  return m ? bpf_map__fd(m) : -1;
}

// Once the rings are no longer read, the programs' output goes nowhere: their links are destroyed on a thread of their
// own while JS applies the last batches and finishes the recording, and close() waits for it. Link ids stay valid
// (the slots are emptied, not removed), and links attached after stop() are destroyed by close().
void Loader::StartUnlinking() {
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

void Loader::JoinUnlinker() {
  if (unlinker_.joinable()) unlinker_.join();
}

void Loader::DestroyLinks() { DestroyLinks(links_); }

// Destroying a link waits for RCU grace periods in the kernel: ~16-20 ms per perf-event tracepoint or uprobe here,
// seconds for `record`'s ~80 tracepoints plus its TLS uprobes one after another. Grace periods that callers wait for
// at the same time are shared, so a few threads destroy them at once (tracepoints are still released one at a time:
// the kernel holds event_mutex across the wait); every one is gone before this returns.
void Loader::DestroyLinks(std::vector<bpf_link *> &links) {
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

void Loader::CloseObjects() {
  JoinLoads();
  for (auto &p : pending_)
    if (p.obj) bpf_object__close(p.obj);
  pending_.clear();
  for (auto it = objects_.rbegin(); it != objects_.rend(); ++it) bpf_object__close(it->obj);
  objects_.clear();
  for (int fd : own_map_fds_) close(fd);
  own_map_fds_.clear();
  shared_fds_.clear();
}

std::vector<int> Loader::KernelFds() const {
  std::vector<int> fds;
  for (auto *l : links_)
    if (l && bpf_link__fd(l) >= 0) fds.push_back(bpf_link__fd(l));
  for (auto &o : objects_) {
    bpf_program *p;
    bpf_object__for_each_program(p, o.obj) if (bpf_program__fd(p) >= 0) fds.push_back(bpf_program__fd(p));
    bpf_map *m;
    bpf_object__for_each_map(m, o.obj) if (bpf_map__fd(m) >= 0) fds.push_back(bpf_map__fd(m));
  }
  fds.insert(fds.end(), own_map_fds_.begin(), own_map_fds_.end());
  return fds;
}

void Loader::Abandon() {
  own_map_fds_.clear();
  links_.clear();
  objects_.clear();
  shared_fds_.clear();
}

}  // namespace agentsight
