#!/bin/sh
# Installs the real MCP servers the MCP capture tests run (spawned over stdio by a real agent), from the npm registry
# only, the way install-agents.sh installs agents.
#
# Usage: scripts/install-mcp-servers.sh [CACHE_DIR]   (default: <repo>/.cache/mcp-servers, gitignored)
# Prints one "name<TAB>entry script" line per server. Idempotent: installed packages are not fetched again.
# Versions are pinned: both run on Node 20 (checked: initialize, tools/list, tools/call over stdio).
set -eu

repo_dir=$(cd "$(dirname "$0")/.." && pwd)
cache_dir=${1:-${AGENTSIGHT_MCP_SERVERS_DIR:-$repo_dir/.cache/mcp-servers}}
packages="@modelcontextprotocol/server-filesystem@2026.8.31 @modelcontextprotocol/server-everything@2026.8.31"

mkdir -p "$cache_dir"
[ -f "$cache_dir/package.json" ] || printf '{ "name": "agentsight-mcp-servers", "private": true }\n' >"$cache_dir/package.json"
need_install=0
for p in $packages; do
  [ -f "$cache_dir/node_modules/${p%@*}/package.json" ] || need_install=1
done
if [ "$need_install" = 1 ]; then
  env -u npm_config_nodedir npm install --prefix "$cache_dir" --no-audit --no-fund --ignore-scripts --loglevel=error \
    --save-exact $packages >&2
fi

nm="$cache_dir/node_modules/@modelcontextprotocol"
for s in filesystem everything; do
  entry=$(node -e 'const p=require(process.argv[1]); const b=typeof p.bin==="string"?p.bin:Object.values(p.bin)[0]; process.stdout.write(require("path").resolve(require("path").dirname(process.argv[1]), b))' "$nm/server-$s/package.json")
  [ -f "$entry" ] && printf 'server-%s\t%s\n' "$s" "$entry"
done
