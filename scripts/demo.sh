#!/usr/bin/env bash
# End-to-end demo, runnable from a fresh clone as root:  bash scripts/demo.sh
# Installs what is missing, builds the hooks, then runs scripts/demo.ts on the
# test harness's sandbox (two OVS instances in network namespaces).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup-host.sh
npm run build
npx tsx scripts/demo.ts
