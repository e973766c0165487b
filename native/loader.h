// Loader: opens BPF objects, writes their `cfg`, shares the shared_* maps between them, loads them, attaches their
// programs and answers map reads and writes by name. Kernel objects are held only by our fds (nothing is pinned), so
// a SIGKILL of the process removes them.
#ifndef AGENTSIGHT_LOADER_H
#define AGENTSIGHT_LOADER_H

#include <napi.h>

#include <bpf/libbpf.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

namespace agentsight {

struct LoadedObject {
  std::string path;
  bpf_object *obj = nullptr;
};

// An object being loaded on a thread of its own (Loader::StartLoads).
struct PendingLoad {
  std::string path;
  bpf_object *obj = nullptr;
  std::string error;  // set when it failed: JS loads it again, alone, with Load()
};

struct LoadOptions {
  std::map<std::string, uint32_t> ring_bytes;  // ring buffer map name -> size
  std::vector<std::string> disable;            // programs not to load
};

class Loader {
 public:
  // Open, configure, share maps, load. Returns the object's name and its programs; throws with libbpf's log.
  Napi::Object Load(Napi::Env env, const std::string &path, const uint8_t *cfg, size_t cfg_len, const LoadOptions &opts);
  // Attach by the program's SEC() (tp, tp_btf, raw_tp …); returns a link id.
  uint32_t Attach(Napi::Env env, const std::string &name);
  // pid -1: every process.
  uint32_t AttachUprobe(Napi::Env env, const std::string &name, const std::string &bin, int64_t offset, bool ret,
                        int pid);
  void Detach(uint32_t id);

  int MapFd(Napi::Env env, const std::string &name);  // throws when there is no such map
  int MapFdOr(const char *name);                      // -1 when there is no such map

  // Open every object, create the shared_* maps once, then load the objects all at once, one thread each
  // (libbpf parses the kernel's BTF for each object and the verifier runs per program: seconds of CPU that no longer
  // wait for one another). FinishLoads joins and answers, in the order given, what Load() answers, or {error} for an
  // object that failed (closed again; JS loads it alone with Load(), which tells why with libbpf's log).
  void StartLoads(Napi::Env env, const std::vector<std::string> &paths, const uint8_t *cfg, size_t cfg_len,
                  const LoadOptions &opts);
  Napi::Array FinishLoads(Napi::Env env);
  void JoinLoads();

  const std::vector<LoadedObject> &objects() const { return objects_; }

  // Destroy every link on a thread of its own (see loader.cc); ids stay valid, their slots emptied.
  void StartUnlinking();
  void JoinUnlinker();
  // Destroy the links (waiting for the kernel) and close the objects, in reverse load order.
  void DestroyLinks();
  void CloseObjects();
  // Every link, program and map fd, for the hand-off's child.
  std::vector<int> KernelFds() const;
  // Forget everything without freeing: the fds are closed by the caller (hand-off).
  void Abandon();

 private:
  bpf_program *FindProgram(const std::string &name);
  bpf_map *FindMap(const std::string &name);
  std::string Configure(bpf_object *obj, const uint8_t *cfg, size_t cfg_len, const LoadOptions &opts);
  std::string CreateSharedMaps(bpf_object *obj, const LoadOptions &opts);
  static Napi::Object Describe(Napi::Env env, bpf_object *obj);
  static void DestroyLinks(std::vector<bpf_link *> &links);

  std::vector<LoadedObject> objects_;
  std::map<std::string, int> shared_fds_;  // shared_* map name -> fd of the first object that created it
  std::vector<int> own_map_fds_;           // shared_* maps StartLoads created before any object (closed last)
  std::vector<PendingLoad> pending_;
  std::vector<std::thread> load_threads_;
  std::vector<bpf_link *> links_;
  std::thread unlinker_;  // destroys the links after stop() (see StartUnlinking)
};

}  // namespace agentsight

#endif
