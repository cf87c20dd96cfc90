#!/usr/bin/env bash
# Memory over time (issue 10): npm run soak -- --minutes 30 --sessions 5 --rate 10. Arguments go to soak/soak.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
export PUPPETEER_SKIP_DOWNLOAD=1
bash scripts/setup.sh
# tini -s reaps what the browsers leave when no init does (this VM, a bare container), as in scripts/test.sh
exec tini -s -- node --import tsx soak/soak.ts "$@"
