#!/usr/bin/env python3
"""Trains a tiny llama on synthetic JSON documents with the 128,256-token
llama3 vocabulary: a fixture for bench/smc_speed's AWRS-vs-masking comparison,
which needs a model that, like a trained one, puts most of its next-token mass
on tokens a JSON grammar allows (a random-weight model spreads it over all 128k
tokens, so AWRS rejects almost every draw).

  /usr/bin/python3 tools/train/train_json_llama3.py --steer build/bin/steer \\
      --tokenizer ../shared/vocab/hf/llama3/tokenizer.json --out /tmp/engine_models --threads 2

Writes OUT/json-llama3-tiny-F32.gguf (no tokenizer keys: pass the same
tokenizer.json to the benchmark) and OUT/json-llama3-tiny.train.json (config,
loss curve, held-out loss). Documents are random objects (keys from a fixed
word list; strings, numbers, booleans, null, arrays, nested objects), in
compact or indented layout, each as <|begin_of_text|> document
<|end_of_text|>. Tokenization is steer's own (`steer tokenize
--parse-special`). Fixed seeds; 300 steps take
about five minutes on two cores (held-out loss 2.43 nats; uniform is 11.76).
"""
import argparse
import json
import math
import os
import random
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gguf_writer import GgufWriter  # noqa: E402
from model import Config, Llama  # noqa: E402

BOS, EOS = "<|begin_of_text|>", "<|end_of_text|>"
WORDS = ("id name value type count items user email city country price total status created updated "
         "title description url tags enabled level score data list index key label path size mode "
         "version author date time start end first last age phone address zip state code message "
         "error result source target width height color weight order group role owner active").split()


def log(msg):
    print(f"[train-json {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def random_value(rng, depth):
    r = rng.random()
    if depth < 3 and r < 0.15:
        return random_object(rng, depth + 1)
    if depth < 3 and r < 0.25:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if r < 0.5:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))
    if r < 0.7:
        return rng.randint(-100, 100000)
    if r < 0.8:
        return round(rng.uniform(-1000, 1000), rng.randint(1, 3))
    if r < 0.93:
        return rng.random() < 0.5
    return None


def random_object(rng, depth=0):
    keys = rng.sample(WORDS, rng.randint(1, 6 if depth == 0 else 4))
    return {k: random_value(rng, depth) for k in keys}


def corpus(n_docs, seed):
    rng = random.Random(seed)
    docs = []
    for _ in range(n_docs):
        o = random_object(rng)
        docs.append(json.dumps(o) if rng.random() < 0.6 else json.dumps(o, indent=2))
    return docs


def tokenize(steer, tokenizer, docs, chunk_bytes=100_000):
    """Token ids of BOS doc EOS BOS doc EOS ..., in calls of at most chunk_bytes of text
    (a command-line argument is limited to 128 KiB)."""
    ids, part = [], []

    def flush():
        if not part:
            return
        text = "".join(BOS + d + EOS for d in part)
        out = subprocess.run([steer, "tokenize", "--tokenizer", tokenizer, "--no-special", "--parse-special",
                              "--json", "--", text], check=True, capture_output=True, text=True)
        ids.extend(json.loads(out.stdout)["tokens"])
        part.clear()

    size = 0
    for d in docs:
        if size + len(d) > chunk_bytes:
            flush()
            size = 0
        part.append(d)
        size += len(d) + len(BOS) + len(EOS)
    flush()
    return np.array(ids, dtype=np.int64)


def export_gguf(model, path):
    w = GgufWriter()
    model.gguf_header(w, "json-llama3-tiny")
    w.u32("llama.vocab_size", model.cfg.n_vocab)
    for name, arr in model.gguf_tensors():
        w.tensor_f32(name, arr)
    w.write(path)


def main():
    # glibc returns the large logit buffers to the system after every step and
    # page-faults them back in the next (3-4x slower); keep them instead.
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        os.environ["MALLOC_TRIM_THRESHOLD_"] = os.environ["MALLOC_MMAP_THRESHOLD_"] = str(1 << 40)
        os.execv(sys.executable, [sys.executable] + sys.argv)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steer", required=True, help="the steer binary (for tokenization)")
    ap.add_argument("--tokenizer", required=True, help="llama3 tokenizer.json")
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--ctx", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=20261130)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    t0 = time.time()

    docs = corpus(args.docs, args.seed)
    ids = tokenize(args.steer, args.tokenizer, docs)
    split = int(len(ids) * 0.95)
    train_ids, val_ids = torch.from_numpy(ids[:split]), torch.from_numpy(ids[split:])
    log(f"{len(docs)} documents, {sum(map(len, docs))} bytes, {len(ids)} tokens [{time.time() - t0:.0f}s]")

    # The shape of the random 128k model in docs/sampler.md (so the decode
    # cost matches), with tied embeddings.
    cfg = Config(128256, n_embd=64, n_layer=2, n_head=2, n_head_kv=2, n_ff=128, n_ctx=args.ctx)
    model = Llama(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.0)
    rng = np.random.default_rng(args.seed)
    curve = []

    def batch(stream, n):
        starts = torch.from_numpy(rng.integers(0, len(stream) - args.ctx - 1, size=n))
        x = torch.stack([stream[s:s + args.ctx] for s in starts])
        y = torch.stack([stream[s + 1:s + args.ctx + 1] for s in starts])
        return x, y

    for step in range(1, args.steps + 1):
        lr = args.lr * min(1.0, step / 50) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / args.steps)))
        for g in opt.param_groups:
            g["lr"] = lr
        x, y = batch(train_ids, args.batch)
        loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 25 == 0:
            curve.append((step, loss.item()))
            log(f"step {step}/{args.steps}: loss {loss.item():.3f} [{time.time() - t0:.0f}s]")
    model.eval()
    with torch.no_grad():
        x, y = batch(val_ids, 16)
        val_loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten()).item()
    log(f"held-out loss {val_loss:.3f} (uniform {math.log(cfg.n_vocab):.3f})")

    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "json-llama3-tiny-F32.gguf")
    export_gguf(model, path)
    with open(os.path.join(args.out, "json-llama3-tiny.train.json"), "w") as f:
        json.dump({"command": " ".join(sys.argv), "config": cfg.as_dict(), "n_params": model.num_params(),
                   "tokens": int(len(ids)), "steps": args.steps, "batch": args.batch, "val_loss": val_loss,
                   "uniform_loss": math.log(cfg.n_vocab), "curve": curve, "seconds": time.time() - t0}, f, indent=1)
    log(f"wrote {path} [{time.time() - t0:.0f}s]")


if __name__ == "__main__":
    main()
