#!/usr/bin/env bash
# The whole test suite, runnable from a fresh clone as root:  bash scripts/test.sh
# Installs what is missing (Open vSwitch, ping, npm packages), builds the hooks,
# then runs unit tests and the behaviour tests against real Open vSwitch.
# Extra arguments go to tap (e.g. a test file, or --reporter=tap).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup-host.sh
npm run build
npx tap "$@"
