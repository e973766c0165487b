#!/bin/sh
# Installs the real agent binaries that TLS discovery is tested against, from the npm registry only.
#
# Usage: scripts/install-agents.sh [CACHE_DIR]     (default: <repo>/.cache/agents, gitignored)
#        AGENTSIGHT_AGENTS="bun codex" scripts/install-agents.sh    (a subset of: bun claude codex gemini)
# Prints one "name<TAB>path" line per selected binary found. Idempotent: installed packages are not fetched
# again (AGENTSIGHT_AGENTS_UPDATE=1 forces npm to update them).
#
# Why --ignore-scripts: the `bun` and `@anthropic-ai/claude-code` postinstall scripts copy or download the
# native binary into bin/*.exe (the download path leaves the npm registry). The binaries are already shipped
# by the per-platform optional dependencies (@oven/bun-linux-x64, @anthropic-ai/claude-code-linux-x64,
# @openai/codex@<v>-linux-x64), which npm selects by os/cpu/libc, so we read them from there.
set -eu

repo_dir=$(cd "$(dirname "$0")/.." && pwd)
cache_dir=${1:-${AGENTSIGHT_AGENTS_DIR:-$repo_dir/.cache/agents}}
selected=${AGENTSIGHT_AGENTS:-bun claude codex gemini}
packages=
for a in $selected; do
  case "$a" in
    bun) packages="$packages bun" ;;
    claude) packages="$packages @anthropic-ai/claude-code" ;;
    codex) packages="$packages @openai/codex" ;;
    gemini) packages="$packages @google/gemini-cli" ;;
    *) echo "install-agents: unknown agent '$a' (bun claude codex gemini)" >&2; exit 2 ;;
  esac
done
wants() { case " $selected " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

mkdir -p "$cache_dir"
[ -f "$cache_dir/package.json" ] || printf '{ "name": "agentsight-agents", "private": true }\n' >"$cache_dir/package.json"

need_install=0
for p in $packages; do
  [ -f "$cache_dir/node_modules/$p/package.json" ] || need_install=1
done
if [ "$need_install" = 1 ] || [ "${AGENTSIGHT_AGENTS_UPDATE:-0}" = 1 ]; then
  # npm_config_nodedir is set for node-gyp elsewhere in this project; npm itself warns about it.
  env -u npm_config_nodedir npm install --prefix "$cache_dir" --no-audit --no-fund --ignore-scripts \
    --loglevel=error $packages >&2
fi

arch=$(uname -m)
case "$arch" in
  x86_64) npm_arch=x64 ;;
  aarch64) npm_arch=arm64 ;;
  *) echo "install-agents: unsupported arch $arch" >&2; exit 1 ;;
esac
if ldd --version 2>&1 | grep -qi musl; then libc_suffix=-musl; else libc_suffix=; fi
nm="$cache_dir/node_modules"

# Do what the skipped postinstalls would have done locally: put the native binary over the bin/*.exe
# placeholder, so node_modules/.bin/claude and .bin/bun run the real programs (hard link, no copy).
place_native() { # placeholder, native
  [ -f "$2" ] || return 0
  [ "$1" -ef "$2" ] && return 0 # already the same file (hard link)
  cmp -s "$1" "$2" && return 0
  ln -f "$2" "$1" 2>/dev/null || cp -f "$2" "$1"
  chmod +x "$1"
}

print_bin() { # name, candidate paths...
  name=$1; shift
  for c in "$@"; do
    if [ -f "$c" ] && [ -x "$c" ] && [ "$(head -c 4 "$c" | od -An -c | tr -d ' ')" = '177ELF' ]; then
      printf '%s\t%s\n' "$name" "$c"; return 0
    fi
  done
  echo "install-agents: no $name binary among: $*" >&2
  return 1
}

bun_native="$nm/@oven/bun-linux-$npm_arch$libc_suffix/bin/bun"
[ -f "$bun_native" ] || bun_native="$nm/@oven/bun-linux-$npm_arch/bin/bun"
place_native "$nm/bun/bin/bun.exe" "$bun_native"
claude_native="$nm/@anthropic-ai/claude-code-linux-$npm_arch$libc_suffix/claude"
[ -f "$claude_native" ] || claude_native="$nm/@anthropic-ai/claude-code-linux-$npm_arch/claude"
place_native "$nm/@anthropic-ai/claude-code/bin/claude.exe" "$claude_native"

status=0
if wants bun; then print_bin bun "$bun_native" || status=1; fi
if wants claude; then print_bin claude "$claude_native" || status=1; fi
if wants codex; then
  # Codex's platform package is an npm alias (@openai/codex-linux-x64 -> @openai/codex@<v>-linux-x64); the
  # binary sits under vendor/<target triple>/.../codex.
  codex_bin=$(find "$nm/@openai/codex-linux-$npm_arch" -type f -name codex -path '*vendor*' 2>/dev/null | head -n 1)
  print_bin codex "$codex_bin" || status=1
fi
if wants gemini; then
  # Gemini CLI is plain JavaScript run by node: its TLS is node's OpenSSL.
  if [ -f "$nm/@google/gemini-cli/bundle/gemini.js" ]; then
    printf 'gemini\t%s\n' "$nm/@google/gemini-cli/bundle/gemini.js"
  else
    echo "install-agents: no gemini bundle" >&2; status=1
  fi
fi
exit $status
