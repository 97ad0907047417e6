#!/usr/bin/env bash
# Engine speed on the random 58M llama (issue 3's figures). Makes the models
# with make_random_model if absent, then prints one JSON line per setting.
# Quantized models run with 8-bit activations (steer's default, as llama.cpp)
# and once with --exact-activations; the batch-32 row once more with an F16
# KV cache.
#   scripts/bench_engine.sh [BUILD_DIR] [MODEL_DIR]
set -euo pipefail
build=${1:-build}
dir=${2:-/tmp/steer-bench-models}
mkdir -p "$dir"
for t in F32 F16 Q8_0; do
  [ -f "$dir/rand58m-$t.gguf" ] || "$build/bin/make_random_model" "$dir/rand58m-$t.gguf" --type "$t"
done
steer="$build/bin/steer"
echo "# $(date -u +%FT%TZ) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2) load: $(cut -d' ' -f1-3 /proc/loadavg)"
for t in F32 F16 Q8_0; do
  for th in 1 2; do
    echo -n "$t threads=$th pp128/tg64: "
    "$steer" bench -m "$dir/rand58m-$t.gguf" --threads "$th" --batch 1 --json
  done
done
for th in 1 2; do
  echo -n "Q8_0 --exact-activations threads=$th pp128/tg64: "
  "$steer" bench -m "$dir/rand58m-Q8_0.gguf" --threads "$th" --batch 1 --exact-activations --json
done
for th in 1 2; do
  for b in 1 4 8 16 32 64; do
    echo -n "Q8_0 threads=$th batch=$b: "
    "$steer" bench -m "$dir/rand58m-Q8_0.gguf" --threads "$th" --batch "$b" --json
  done
done
for th in 1 2; do
  echo -n "Q8_0 threads=$th batch=32 --kv-type f32: "
  "$steer" bench -m "$dir/rand58m-Q8_0.gguf" --threads "$th" --batch 32 --kv-type f32 --json
done
echo -n "Q8_0 threads=2 memory, 32 forks of 1024: "
"$steer" bench -m "$dir/rand58m-Q8_0.gguf" --threads 2 --batch 32 --prompt-tokens 1024 --gen-tokens 64 --runs 1 --json
