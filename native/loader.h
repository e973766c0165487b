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
  static void DestroyLinks(std::vector<bpf_link *> &links);

  std::vector<LoadedObject> objects_;
  std::map<std::string, int> shared_fds_;  // shared_* map name -> fd of the first object that created it
  std::vector<bpf_link *> links_;
  std::thread unlinker_;  // destroys the links after stop() (see StartUnlinking)
};

}  // namespace agentsight

#endif
