#!/usr/bin/env bash
# The main job: build steer (just the binary), then run `steer demo` on the
# model linked into it. Extra arguments go to `steer demo` (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
jobs=${STEER_JOBS:-2}
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs" --target steer
./build/bin/steer --version
exec ./build/bin/steer demo "$@"
