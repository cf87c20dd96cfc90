#!/usr/bin/env bash
# Starts the wamux server; flags pass through: npm start -- --port 9000 --sandbox
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PUPPETEER_SKIP_DOWNLOAD=1
exec node dist/main.js "$@"
