#!/bin/sh
# Installs the bun runtime of several releases from the npm registry, one directory per version, so TLS discovery
# is tested against the BoringSSL of each Bun minor (every `bun build --compile` agent carries its release's copy).
#
# Usage: scripts/install-bun-versions.sh [CACHE_DIR] [VERSION...]
#   CACHE_DIR default: <repo>/.cache/bun-versions (gitignored); VERSIONS default: the last patch of 1.1 .. 1.4.
# Prints one "version<TAB>path" line per binary. Idempotent: an installed version is not fetched again.
#
# Only the per-platform package (@oven/bun-linux-<arch>) is installed, with --ignore-scripts: it holds the binary;
# the `bun` wrapper package's postinstall would only copy it (see install-agents.sh).
set -eu

repo_dir=$(cd "$(dirname "$0")/.." && pwd)
cache_dir=${1:-${AGENTSIGHT_BUN_VERSIONS_DIR:-$repo_dir/.cache/bun-versions}}
[ $# -gt 0 ] && shift
# The last patch release of each minor on npm when this list was written (`npm view bun versions`).
versions=${*:-1.1.45 1.2.23 1.3.14 1.4.5}

case "$(uname -m)" in
  x86_64) npm_arch=x64 ;;
  aarch64) npm_arch=arm64 ;;
  *) echo "install-bun-versions: unsupported arch $(uname -m)" >&2; exit 1 ;;
esac
pkg=@oven/bun-linux-$npm_arch

status=0
for v in $versions; do
  dir=$cache_dir/$v
  bin=$dir/node_modules/$pkg/bin/bun
  if [ ! -x "$bin" ]; then
    mkdir -p "$dir"
    [ -f "$dir/package.json" ] || printf '{ "name": "agentsight-bun-%s", "private": true }\n' "$v" >"$dir/package.json"
    env -u npm_config_nodedir npm install --prefix "$dir" --no-audit --no-fund --ignore-scripts --loglevel=error \
      "$pkg@$v" >&2 || { echo "install-bun-versions: cannot install $pkg@$v" >&2; status=1; continue; }
  fi
  if [ -x "$bin" ]; then
    printf '%s\t%s\n' "$v" "$bin"
  else
    echo "install-bun-versions: no binary at $bin" >&2; status=1
  fi
done
exit $status
