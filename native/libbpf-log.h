// libbpf's messages are kept (bounded) so a failed load or attach can say why, instead of printing to our users'
// terminal. setLogEcho(true) also copies them, debug level included, to stderr.
#ifndef AGENTSIGHT_LIBBPF_LOG_H
#define AGENTSIGHT_LIBBPF_LOG_H

#include <string>

namespace agentsight {

// Routes libbpf's output here (call once, at module init).
void InstallLibbpfLog();
// The messages since the last call, emptied.
std::string TakeLibbpfLog();
void SetLibbpfLogEcho(bool on);

}  // namespace agentsight

#endif
