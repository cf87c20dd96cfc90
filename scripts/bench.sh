#!/usr/bin/env bash
# Runs the benchmarks in bench/ and prints their tables.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
for bench in bench/*.bench.ts; do
  echo "== $bench"
  node --import tsx "$bench"
done
