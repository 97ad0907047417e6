#!/usr/bin/env bash
# The test command: install what is missing, build, run every test except
# those labelled `slow`. Tests that need ../shared skip with a message when it
# is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd build
ctest --output-on-failure -LE slow -j"${STEER_JOBS:-2}" --timeout 600
