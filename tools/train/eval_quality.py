#!/usr/bin/env python3
"""Generation quality of steer's model on held-out standard-library code.

Takes single-line function headers (`def name(...):`) from the files the
training run held out (split=val in steer-code.train.json's manifest), keeps
those the demo grammar (models/python_function.gbnf) accepts as a beginning,
and completes each:
  - unconstrained: `steer generate -n 64` (its default temperature 0.8,
    top-k 40, top-p 0.95); the completed function is the header plus the
    indented lines that follow it, cut at the first unindented line, and,
    when the 64 tokens ran out first, without the last (partial) line;
  - under the grammar: `steer demo --methods smc` (32 particles, at most 64
    tokens, stop when the function is complete; no identifier limit in
    effect), the highest-weight completion.
A completed function counts when `ast.parse` accepts it: parsing only, no
code runs, so no sandbox is needed. Writes a JSON report (--out) that
tools/train/model_card.py puts into the model card.

  python3 tools/train/eval_quality.py --steer build/bin/steer --n 40 \\
      --out models/steer-code.quality.json
"""
import argparse
import ast
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import time

HEADER_RE = re.compile(r"^[ \t]*(def [A-Za-z_][A-Za-z0-9_]*\(.*\)(?: -> [^:]+)?:)[ \t]*$")


def headers_from(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = HEADER_RE.match(line.rstrip("\n"))
            if m:
                out.append(m.group(1))
    return out


def grammar_accepts_prefix(steer, grammar, text):
    r = subprocess.run([steer, "check", "--grammar", grammar], input=text.encode(), capture_output=True)
    return r.returncode in (0, 3)  # in the language, or a proper prefix of it


def completed_function(header, completion, ran_out):
    lines = (header + completion).split("\n")
    body = []
    ended = False
    for line in lines[1:]:
        if line.strip() and not line[0].isspace():
            ended = True
            break
        body.append(line)
    if ran_out and not ended and body:
        body.pop()  # cut mid-line by the token limit
    while body and not body[-1].strip():
        body.pop()
    return "\n".join([lines[0]] + body) + "\n"


def parses(text):
    try:
        ast.parse(text)
        return True
    except (SyntaxError, ValueError):
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steer", default="build/bin/steer")
    ap.add_argument("--model", default="", help="GGUF (default: steer's embedded model)")
    ap.add_argument("--train-json", default="models/steer-code.train.json")
    ap.add_argument("--grammar", default="models/python_function.gbnf")
    ap.add_argument("--n", type=int, default=40, help="headers to complete")
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    t0 = time.time()
    report = json.load(open(args.train_json))
    manifest = report["manifest"]
    root = manifest["root"]
    val = [e for e in manifest["files"] if e["split"] == "val"]
    candidates = []
    for e in val:
        path = os.path.join(root, e["path"])
        if not os.path.exists(path):
            continue
        data = open(path, "rb").read()
        if hashlib.sha256(data).hexdigest() != e["sha256"]:
            print(f"warning: {path} differs from the manifest; skipped", file=sys.stderr)
            continue
        candidates += [(e["path"], h) for h in headers_from(path)]
    rng = random.Random(args.seed)
    rng.shuffle(candidates)
    model = ["-m", args.model] if args.model else []
    cases = []
    for rel, header in candidates:
        if len(cases) == args.n:
            break
        if not grammar_accepts_prefix(args.steer, args.grammar, header):
            continue
        seed = str(args.seed + len(cases))
        gen = subprocess.run([args.steer, "generate", *model, "-p", header, "-n", str(args.tokens),
                              "--seed", seed, "--threads", "1", "--json"], capture_output=True, text=True)
        if gen.returncode != 0:
            sys.exit(f"steer generate failed: {gen.stderr}")
        g = json.loads(gen.stdout)
        free = completed_function(header, g["text"], len(g["tokens"]) >= args.tokens)
        demo = subprocess.run([args.steer, "demo", *model, "-p", header, "--methods", "smc", "--particles", "32",
                               "--runs", "1", "--max-tokens", str(args.tokens), "--max-ident-len", "1000",
                               "--seed", seed, "--json"], capture_output=True, text=True)
        if demo.returncode != 0:
            sys.exit(f"steer demo failed: {demo.stderr}")
        rows = [json.loads(l) for l in demo.stdout.splitlines()]
        texts = sorted((r for r in rows if "text" in r), key=lambda r: -r["weight"])
        constrained = header + texts[0]["text"] if texts else None
        case = {"file": rel, "header": header, "unconstrained": free, "unconstrained_parses": parses(free),
                "grammar": constrained, "grammar_finished": constrained is not None,
                "grammar_parses": constrained is not None and parses(constrained)}
        cases.append(case)
        print(f"[{len(cases)}/{args.n}] {rel}: {header[:60]} free={case['unconstrained_parses']} "
              f"grammar={case['grammar_parses'] if constrained else 'unfinished'}", file=sys.stderr)
    n = len(cases)
    finished = [c for c in cases if c["grammar_finished"]]
    summary = {
        "headers": n,
        "val_files": len(val),
        "tokens": args.tokens,
        "seed": args.seed,
        "unconstrained_parse_fraction": sum(c["unconstrained_parses"] for c in cases) / max(n, 1),
        "grammar_finished_fraction": len(finished) / max(n, 1),
        "grammar_parse_fraction": sum(c["grammar_parses"] for c in finished) / max(len(finished), 1),
        "command": " ".join(["python3"] + sys.argv),
        "seconds": time.time() - t0,
        "cases": cases,
    }
    print(json.dumps({k: v for k, v in summary.items() if k != "cases"}, indent=1))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(summary, f, indent=1)
    if finished and summary["grammar_parse_fraction"] < 1.0:
        sys.exit("error: a grammar-constrained completion does not parse")


if __name__ == "__main__":
    main()
