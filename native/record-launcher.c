// agentsight-launch: `agentsight record -- CMD` through a running monitor, without starting node.
//
// Why C: the monitor answers a hand-off in tens of milliseconds, but node alone takes ~100 ms to start on a small VM
// and the CLI (commander, the command tree) more: 0.6-0.9 s from `agentsight record` to the command. This program
// asks the monitor over the user's socket (src/monitor/record-socket.ts) to record *this process*, then execve's the
// command in place: the same pid, already traced by the kernel when the answer comes, so not one instruction of the
// command runs untraced, and its exit status or signal is the shell's directly (no parent waiting for it).
//
// It handles only what the monitor can do on its own (monitorCanRecord in src/cli/record-via-monitor.ts):
//   agentsight-launch NODE BIN record [-q|--quiet]... [--] CMD [ARGS...]
// In every other case — other options, no socket, a refusal, no answer, AGENTSIGHT_NO_MONITOR=1, root under sudo —
// it execs `NODE BIN record ...` with the argv unchanged, which behaves exactly as without this program. It never
// redacts anything: the command line goes over the socket (0600, the user's) and the monitor redacts it before it
// is stored, with the same code as every other command line (src/collector/process/redact-command.ts).
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

// As ANSWER_MS in record-via-monitor.ts: the monitor answers in milliseconds; a monitor that hangs costs this once.
#define ANSWER_MS 5000
#define DEFAULT_MONITOR_DIR "/var/lib/agentsight"

static char **fallback_argv;

// Everything not handled here: the node CLI with the argv it was given (argv[1] is node, argv[2] the bin script).
static void fallback(void) {
  execvp(fallback_argv[0], fallback_argv);
  fprintf(stderr, "agentsight: cannot run %s: %s\n", fallback_argv[0], strerror(errno));
  _exit(127);
}

// resolveInPath of src/cli/privileges.ts: a name with a slash must exist; otherwise the first regular file with an
// execute bit along PATH. Returns a malloc'd path or NULL (then node says why, in its words).
static char *resolve_in_path(const char *cmd) {
  struct stat st;
  if (strchr(cmd, '/')) return stat(cmd, &st) == 0 ? strdup(cmd) : NULL;
  const char *path = getenv("PATH");
  if (!path) path = "/usr/local/bin:/usr/bin:/bin";
  size_t clen = strlen(cmd);
  for (const char *p = path;; p++) {
    const char *end = strchrnul(p, ':');
    size_t dlen = (size_t)(end - p);
    char *full = malloc(dlen + clen + 3);
    if (!full) return NULL;
    if (dlen == 0) strcpy(full, ".");
    else memcpy(full, p, dlen), full[dlen] = 0;
    strcat(full, "/");
    strcat(full, cmd);
    if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111)) return full;
    free(full);
    if (*end == 0) return NULL;
    p = end;
  }
}

// A growable buffer for the request; every append is bounded by its own length computation.
struct buf {
  char *s;
  size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = (b->len + n + 1) * 2;
    char *t = realloc(b->s, cap);
    if (!t) fallback();
    b->s = t;
    b->cap = cap;
  }
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = 0;
}

static void puts_(struct buf *b, const char *s) { put(b, s, strlen(s)); }

// A JSON string: quote, backslash and control bytes escaped (at most 6 bytes per byte, each appended on its own);
// other bytes as they are (node decodes the line as UTF-8, as it decodes its own argv).
static void put_json_string(struct buf *b, const char *s) {
  put(b, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    char esc[8];
    if (*p == '"' || *p == '\\') {
      esc[0] = '\\', esc[1] = (char)*p;
      put(b, esc, 2);
    } else if (*p < 0x20) {
      snprintf(esc, sizeof esc, "\\u%04x", *p);
      put(b, esc, 6);
    } else {
      put(b, (const char *)p, 1);
    }
  }
  put(b, "\"", 1);
}

// The value of "key": in the monitor's one-line answer ({"ok":true,"session":N,"file":"..."}: JSON.stringify, so no
// spaces). Strings are unescaped into out (bounded by outlen); returns 0 when the key is absent.
static int answer_field(const char *line, const char *key, char *out, size_t outlen) {
  char pat[32];
  snprintf(pat, sizeof pat, "\"%s\":", key);
  const char *v = strstr(line, pat);
  if (!v) return 0;
  v += strlen(pat);
  size_t n = 0;
  if (*v != '"') {
    while (*v && *v != ',' && *v != '}' && n + 1 < outlen) out[n++] = *v++;
    out[n] = 0;
    return 1;
  }
  for (v++; *v && *v != '"' && n + 1 < outlen; v++) {
    if (*v == '\\' && v[1]) {
      v++;
      if (*v == 'u') {  // \uXXXX: kept as '?' unless ASCII (a path the monitor made: digits, letters, '-')
        unsigned code = 0;
        if (sscanf(v + 1, "%4x", &code) == 1 && strlen(v + 1) >= 4) v += 4;
        out[n++] = code && code < 0x80 ? (char)code : '?';
        continue;
      }
      out[n++] = *v == 'n' ? '\n' : *v == 't' ? '\t' : *v;
    } else {
      out[n++] = *v;
    }
  }
  out[n] = 0;
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: agentsight-launch NODE BIN record [-q] [--] CMD [ARGS...] (run by bin/agentsight)\n");
    return 2;
  }
  fallback_argv = argv + 1;
  if (strcmp(argv[3], "record") != 0) fallback();

  // record [-q|--quiet]... [--] CMD ARGS: anything else (another option, --help, no command) is node's to parse.
  int quiet = 0, i = 4;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) quiet = 1;
    else if (strcmp(argv[i], "--") == 0) {
      i++;
      break;
    } else if (argv[i][0] == '-') fallback();
    else {
      // Without `--` commander parses options after the command too (`record ls -l`): only plain words are ours.
      for (int j = i; j < argc; j++)
        if (argv[j][0] == '-') fallback();
      break;
    }
  }
  if (i >= argc) fallback();
  char **cmd = argv + i;

  const char *no = getenv("AGENTSIGHT_NO_MONITOR");
  if (no && strcmp(no, "1") == 0) fallback();
  // Under sudo the standalone recorder runs the command as the invoking user: not the monitor's case.
  uid_t uid = getuid();
  if (uid == 0 && getenv("SUDO_UID")) fallback();

  const char *dir = getenv("AGENTSIGHT_MONITOR_DIR");
  if (!dir || !*dir) dir = DEFAULT_MONITOR_DIR;
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  int n = snprintf(addr.sun_path, sizeof addr.sun_path, "%s/%u/record.sock", dir, (unsigned)uid);
  if (n < 0 || (size_t)n >= sizeof addr.sun_path) fallback();
  char *resolved = resolve_in_path(cmd[0]);
  if (!resolved) fallback();

  // CLOEXEC: the command must not inherit the connection (the monitor ends the session at this pid's exit, not at
  // the socket's close, but a stray fd in the command would be a leak all the same).
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) fallback();

  // {op:'record', exec:true, pid, argv, argv0, path, cwd}: exec says this pid becomes the command (its session ends
  // when it exits). The monitor takes the caller's uid and pid from the socket (SO_PEERCRED), not from this line.
  struct buf req = {0};
  char num[32];
  snprintf(num, sizeof num, "%d", (int)getpid());
  puts_(&req, "{\"op\":\"record\",\"exec\":true,\"pid\":");
  puts_(&req, num);
  puts_(&req, ",\"argv\":[");
  for (char **a = cmd; *a; a++) {
    if (a != cmd) puts_(&req, ",");
    put_json_string(&req, *a);
  }
  puts_(&req, "],\"argv0\":");
  put_json_string(&req, cmd[0]);
  puts_(&req, ",\"path\":");
  put_json_string(&req, getenv("PATH") ? getenv("PATH") : "");
  char *cwd = getcwd(NULL, 0);
  puts_(&req, ",\"cwd\":");
  put_json_string(&req, cwd ? cwd : "/");
  puts_(&req, "}\n");
  for (size_t off = 0; off < req.len;) {
    ssize_t w = write(fd, req.s + off, req.len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) fallback();
    off += (size_t)w;
  }

  // One answer line, within ANSWER_MS. Bounded: an answer longer than the buffer is not one we understand.
  char ans[8192];
  size_t got = 0;
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  while (!memchr(ans, '\n', got)) {
    clock_gettime(CLOCK_MONOTONIC, &t);
    long left = ANSWER_MS - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (left <= 0 || got + 1 >= sizeof ans) fallback();
    int r = poll(&p, 1, (int)left);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) fallback();
    ssize_t rd = read(fd, ans + got, sizeof ans - 1 - got);
    if (rd < 0 && errno == EINTR) continue;
    if (rd <= 0) fallback();
    got += (size_t)rd;
  }
  ans[got] = 0;
  // A refusal: node asks again and says why in its words ("the monitor cannot record this (…)"), then records alone.
  // JSON.stringify({ok, …}) puts ok first: a prefix, never a match inside some string of the answer.
  if (strncmp(ans, "{\"ok\":true,", 11) != 0) {
    close(fd);
    fallback();
  }
  char session[32] = "?", file[4096] = "?";
  answer_field(ans, "session", session, sizeof session);
  answer_field(ans, "file", file, sizeof file);
  if (!quiet) fprintf(stderr, "agentsight: recorded by the monitor as session %s in %s (agentsight report --monitor)\n", session, file);

  // The command, in this process: execvp with a path runs it as is, or through /bin/sh when it has no #! (ENOEXEC),
  // as node's spawn did. The socket closes with the exec (CLOEXEC).
  execvp(resolved, cmd);
  int e = errno;
  fprintf(stderr, "agentsight: %s: %s\n", cmd[0], strerror(e));
  return e == ENOENT ? 127 : 126;
}
