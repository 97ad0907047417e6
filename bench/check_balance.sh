#!/usr/bin/env bash
# The check_balance experiment (issue 4) through the `steer sample` CLI:
# `--method exact`, `lcd` and `smc` at N = 10, 100, 1000 under a small
# grammar and --max-ident-len, on a real model. Prints a markdown table: the
# total-variation distance to exact (mean over SEEDS seeds; lcd's samples
# count equally, SMC's by their weights), resampling steps per run, and the
# most frequent completions (pooled over seeds). SMC runs twice: with the
# default ESS threshold (0.5) and resampling at every step (threshold 1). bench/check_balance.cc does the same in-process.
#
#   bench/check_balance.sh            # env: STEER MODEL SEEDS PROMPT GRAMMAR MAX_IDENT MAX_TOKENS
set -euo pipefail
cd "$(dirname "$0")/.."
STEER=${STEER:-build/bin/steer}
MODEL=${MODEL:-../shared/models/stories260K.gguf}
SEEDS=${SEEDS:-10}
PROMPT=${PROMPT:-Once upon a time, there was a little girl named}
GRAMMAR=${GRAMMAR:-'root ::= " " [A-Z] [a-z]* "."'}
MAX_IDENT=${MAX_IDENT:-3}
MAX_TOKENS=${MAX_TOKENS:-4}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%s\n' "$GRAMMAR" >"$tmp/g.gbnf"
common=(sample -m "$MODEL" -p "$PROMPT" --grammar "$tmp/g.gbnf" --max-ident-len "$MAX_IDENT"
  --max-tokens "$MAX_TOKENS" --end complete --threads 1 --json -q)

start_ns=$(date +%s%N)
"$STEER" "${common[@]}" --method exact --exact-max-nodes 100000000 >"$tmp/exact.jsonl"
exact_ms=$((($(date +%s%N) - start_ns) / 1000000))
for n in 10 100 1000; do
  for ((seed = 0; seed < SEEDS; ++seed)); do
    "$STEER" "${common[@]}" --method lcd --samples "$n" --seed "$seed" >"$tmp/lcd-$n-$seed.jsonl"
    "$STEER" "${common[@]}" --method smc --particles "$n" --seed "$seed" >"$tmp/smc-$n-$seed.jsonl"
    "$STEER" "${common[@]}" --method smc --particles "$n" --seed "$seed" --ess-threshold 1 \
      >"$tmp/smc1-$n-$seed.jsonl"
  done
done

python3 - "$tmp" "$SEEDS" "$PROMPT" "$GRAMMAR" "$MAX_IDENT" "$MAX_TOKENS" "$exact_ms" <<'EOF'
import json, math, sys
from collections import defaultdict
tmp, seeds, prompt, grammar, max_ident, max_tokens, exact_ms = sys.argv[1:]
seeds = int(seeds)

def read(path):
    lines = [json.loads(l) for l in open(path)]
    return lines[:-1], lines[-1]

def tv(a, b):
    return 0.5 * sum(abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in set(a) | set(b))

def top(d, n=3):
    best = sorted(d.items(), key=lambda kv: -kv[1])[:n]
    return ", ".join("`%s` %.3f" % (k, v) for k, v in best)

samples, summary = read(f"{tmp}/exact.jsonl")
exact = {s["text"]: math.exp(s["log_weight"]) for s in samples}
print(f"prompt `{prompt}`, grammar `{grammar}`, --max-ident-len {max_ident}, --end complete, "
      f"--max-tokens {max_tokens}; exact: {summary['nodes']} prefixes in {int(exact_ms) / 1000:.1f} s wall\n")
print(f"| method | N | TV to exact (mean of {seeds} seeds) | mean log Ẑ | resamples per run | "
      "most frequent completions |")
print("|---|---:|---:|---:|---:|---|")
print(f"| exact | - | 0 | {summary['log_z']:.3f} | - | {top(exact)} |")
names = {"lcd": "lcd", "smc": "smc", "smc1": "smc, --ess-threshold 1"}
for method in ("lcd", "smc", "smc1"):
    for n in (10, 100, 1000):
        tvs, log_zs, pooled, resamples = [], [], defaultdict(float), 0
        for seed in range(seeds):
            samples, summary = read(f"{tmp}/{method}-{n}-{seed}.jsonl")
            d = defaultdict(float)
            for s in samples:
                d[s["text"]] += 1.0 / len(samples) if method == "lcd" else math.exp(s["log_weight"])
            tvs.append(tv(d, exact))
            log_zs.append(summary["log_z"] if summary["log_z"] is not None else -math.inf)
            resamples += summary["resamples"]
            for k, v in d.items():
                pooled[k] += v / seeds
        print(f"| {names[method]} | {n} | {sum(tvs) / seeds:.3f} | {sum(log_zs) / seeds:.3f} | "
              f"{resamples / seeds:.1f} | {top(pooled)} |")
EOF
