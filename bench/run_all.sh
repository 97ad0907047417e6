#!/usr/bin/env bash
# Every benchmark behind the README's table, one after another, on a quiet
# machine (each takes the CPU; ~5 minutes in all). Results go to OUT_DIR, one
# file per benchmark. Models are made with make_random_model if absent.
#   bench/run_all.sh [BUILD_DIR] [OUT_DIR] [MODEL_DIR]
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
out=${2:-bench-results}
models=${3:-/tmp/engine_models}
shared=${STEER_SHARED:-../shared}
mkdir -p "$out" "$models"
[ -f "$models/rand-tiny-128k-Q8_0.gguf" ] ||
  "$build/bin/make_random_model" "$models/rand-tiny-128k-Q8_0.gguf" --type Q8_0 --embd 64 --layers 2 --heads 2 \
    --kv-heads 2 --ff 128 --vocab 128256
{ date -u; uptime; } >"$out/when.txt"
scripts/bench_engine.sh "$build" "$models" >"$out/engine.txt" 2>&1
for th in 1 2; do
  "$build/bin/steer" bench -m "$shared/models/stories260K.gguf" --threads "$th" --runs 5 --json >>"$out/stories.txt" 2>&1
done
for t in Q8_0 F32; do
  "$build/bin/steer" bench -m "$models/rand58m-$t.gguf" --threads 1 --runs 5 --json \
    --grammar "$shared/grammar-data/gbnf/json.gbnf" --tokenizer "$shared/vocab/ggml-vocab-llama-spm.gguf" \
    >>"$out/bench_grammar.txt" 2>&1
done
"$build/bench/smc_speed" --reps 3 --particles 32 --max-tokens 32 --grammar "$shared/grammar-data/gbnf/json.gbnf" \
  --big-model "$models/rand-tiny-128k-Q8_0.gguf" --big-tokenizer "$shared/vocab/hf/llama3/tokenizer.json" \
  >"$out/smc.txt" 2>&1
"$build/bin/steer" mask-bench --tokenizer "$shared/vocab/hf/llama3/tokenizer.json" \
  "$shared/grammar-data/maskbench-visible/" >"$out/maskbench.txt" 2>&1
"$build/bench/grammar_mask_bench" >"$out/grammar_mask_bench.txt" 2>&1
"$build/bench/sandbox_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  >"$out/sandbox.txt" 2>&1
{ date -u; uptime; } >>"$out/when.txt"
echo "results in $out/"
