#!/bin/sh
# Writes dist/build-info.json: the commit this build came from (with "-dirty" for uncommitted changes) and the date,
# for `agentsight --version`. Outside a git checkout (a package being rebuilt) the commit is "unknown".
set -e
cd "$(dirname "$0")/.."
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ "$commit" != unknown ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then commit="$commit-dirty"; fi
mkdir -p dist
printf '{"commit":"%s","date":"%s"}\n' "$commit" "$(date -u +%Y-%m-%d)" > dist/build-info.json
