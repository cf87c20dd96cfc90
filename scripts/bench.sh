#!/usr/bin/env bash
# Runs the benchmarks in bench/ and prints their tables. Arguments go to every bench:
#   npm run bench                          this checkout
#   npm run bench -- --baseline <git ref>  sessions bench: this checkout against the ref, built in a temporary worktree
set -euo pipefail
cd "$(dirname "$0")/.."
export PUPPETEER_SKIP_DOWNLOAD=1

if [ -L node_modules ]; then
  # node_modules belongs to another checkout (a git worktree sharing it): setup.sh could decide to npm ci over it
  # (its freshness test compares mtimes, and a worktree's package-lock.json is as new as the checkout), so only
  # build here and ask for what setup.sh would install.
  echo "bench: node_modules is a link to $(readlink node_modules): not reinstalling it, only building" >&2
  for tool in tini "${CHROME_BIN:-/usr/lib/chromium/chromium}"; do
    command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool is missing: run scripts/setup.sh in a checkout of its own" >&2; exit 1; }
  done
  if [ ! -f dist/main.js ] || [ -n "$(find src package.json tsconfig.json -newer dist/main.js -print -quit)" ]; then
    echo "bench: building (tsc)" >&2
    npx tsc -p tsconfig.json >&2
  fi
else
  bash scripts/setup.sh
fi

# tini -s adopts and reaps the children of browsers the sessions bench kills on purpose (crash recovery); without an
# init that reaps (this VM, a bare container) they would linger as zombies. As in scripts/test.sh.
for bench in bench/*.bench.ts; do
  echo "== $bench"
  tini -s -- node --import tsx "$bench" "$@"
done
