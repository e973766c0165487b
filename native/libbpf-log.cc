#include "libbpf-log.h"

#include <bpf/libbpf.h>
#include <stdio.h>

#include <cstdarg>
#include <mutex>

namespace agentsight {
namespace {

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

}  // namespace

void InstallLibbpfLog() { libbpf_set_print(libbpf_print); }

std::string TakeLibbpfLog() {
  std::lock_guard<std::mutex> lock(g_log_mutex);
  std::string s;
  s.swap(g_log);
  return s;
}

void SetLibbpfLogEcho(bool on) { g_log_echo = on; }

}  // namespace agentsight
