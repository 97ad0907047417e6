#!/usr/bin/env bash
# The main job: build steer, then run its demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
./build/bin/steer --version
./build/bin/steer --help
