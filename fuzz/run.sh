#!/usr/bin/env bash
# Usage: fuzz/run.sh TARGET [SECONDS] [libFuzzer flags...]
# Builds TARGET (e.g. gguf_fuzz) with clang in build-fuzz/ and runs it for
# SECONDS (default 60). The corpus grows in fuzz/corpus-NAME/ (git-ignored),
# seeded from fuzz/seeds/NAME/ when that exists; crashes are written to
# fuzz/crash-<kind>-<sha> (git-ignored). Example: fuzz/run.sh gguf_fuzz 600
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: fuzz/run.sh TARGET [SECONDS] [libFuzzer flags...]}
secs=${2:-60}
shift $(($# >= 2 ? 2 : 1))
name=${target%_fuzz}

CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSTEER_FUZZ=ON -DSTEER_BUILD_TESTS=OFF -DSTEER_BUILD_BENCH=OFF >/dev/null
nice cmake --build build-fuzz -j2 --target "$target"

corpus=fuzz/corpus-$name
mkdir -p "$corpus"
dirs=("$corpus")
[[ -d fuzz/seeds/$name ]] && dirs+=("fuzz/seeds/$name")
exec "build-fuzz/fuzz/$target" -max_total_time="$secs" -artifact_prefix=fuzz/crash- \
  -print_final_stats=1 "$@" "${dirs[@]}"
