#!/usr/bin/env bash
# Runs every test: type check, unit, integration (real Chromium + sandbox) and end-to-end (real server process).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PUPPETEER_SKIP_DOWNLOAD=1

echo "== type check"
npx tsc -p tsconfig.test.json --noEmit

echo "== tests"
# One file at a time: the end-to-end files each drive several Chromium browsers on a 2-core machine.
# tini -s adopts and reaps the children of browsers the tests kill on purpose; without an init that reaps
# (this VM, a bare container) they would linger as zombies.
# Arguments name test files to run instead of all of them (npm run test:container).
if [ $# -gt 0 ]; then files=("$@"); else files=(test/unit/*.test.ts test/integration/*.test.ts test/e2e/*.test.ts); fi
exec tini -s -- node --import tsx --test --test-concurrency=1 --test-timeout=600000 "${files[@]}"
