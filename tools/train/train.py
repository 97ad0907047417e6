#!/usr/bin/env python3
"""Trains steer's embedded code model on the Python standard library.

Reproducible: fixed seeds, a manifest of every input file (path, sha256), and
this command line recorded in the outputs. Run with Debian's interpreter, which
has python3-torch and numpy (scripts/setup-train.sh installs them):

  /usr/bin/python3 tools/train/train.py --out models --minutes 60

Outputs (in --out):
  steer-code-<N>M.gguf      llama architecture, F32, gpt2-style BPE tokenizer
  steer-code.reference.json the tool's own logits for 5 prompts (steer's tests
                            compare against them)
  steer-code.train.json     manifest, config, loss curves, throughput
  steer-code-loss.png       training and validation loss
"""
import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
import corpus  # noqa: E402
from gguf_writer import GgufWriter  # noqa: E402
from model import Config, Llama  # noqa: E402

EOT = "<|endoftext|>"
REFERENCE_PROMPTS = [
    "def check_balance(account_",
    "import os\n\n\ndef main():\n    ",
    "class Stack:\n    def __init__(self):\n        self.",
    "for i in range(10):\n    print(",
    "    return {'name': name, 'value': value}\n",
]


def log(msg):
    print(f"[train {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="models", help="output folder")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--vocab", type=int, default=4096, help="vocabulary size incl. 256 bytes and <|endoftext|>")
    ap.add_argument("--n-embd", type=int, default=192)
    ap.add_argument("--n-layer", type=int, default=5)
    ap.add_argument("--n-head", type=int, default=6)
    ap.add_argument("--n-head-kv", type=int, default=2)
    ap.add_argument("--n-ff", type=int, default=512)
    ap.add_argument("--ctx", type=int, default=256, help="training context length")
    ap.add_argument("--batch", type=int, default=24)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--minutes", type=float, default=60, help="wall-clock training budget")
    ap.add_argument("--max-steps", type=int, default=100000)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--holdout-per-256", type=int, default=13, help="~5%% of files held out")
    return ap.parse_args()


def encode_files(enc, texts, eot_id):
    ids = []
    for t in texts:
        ids.append(eot_id)
        ids.extend(enc.encode(t))
    return np.asarray(ids, dtype=np.int64)


def batch_at(stream, starts, ctx):
    x = np.stack([stream[s:s + ctx] for s in starts])
    y = np.stack([stream[s + 1:s + ctx + 1] for s in starts])
    return torch.from_numpy(x), torch.from_numpy(y)


@torch.no_grad()
def evaluate(model, stream, ctx, n_windows=48):
    """Mean next-token loss on fixed, evenly spaced held-out windows."""
    model.eval()
    step = max(1, (len(stream) - ctx - 1) // n_windows)
    starts = list(range(0, len(stream) - ctx - 1, step))[:n_windows]
    total = 0.0
    for i in range(0, len(starts), 16):
        x, y = batch_at(stream, starts[i:i + 16], ctx)
        total += F.cross_entropy(model(x).flatten(0, 1), y.flatten(), reduction="sum").item()
    model.train()
    return total / (len(starts) * ctx)


def plot(curves, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    ax.plot([c[0] for c in curves["train"]], [c[1] for c in curves["train"]], label="train (running mean)")
    ax.plot([c[0] for c in curves["val"]], [c[1] for c in curves["val"]], "o-", label="validation (held-out stdlib files)")
    ax.set_xlabel("tokens seen")
    ax.set_ylabel("cross-entropy (nats/token)")
    ax.set_title("steer-code training")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)


def export_gguf(model, vocab, merges, eot_id, path):
    u = bpe.bytes_to_unicode()
    w = GgufWriter()
    model.gguf_header(w, "steer-code")
    tokens = ["".join(u[b] for b in t) for t in vocab] + [EOT]
    types = [1] * len(vocab) + [3]  # 1 normal, 3 control
    w.string("tokenizer.ggml.model", "gpt2")
    w.string("tokenizer.ggml.pre", "gpt-2")
    w.strings("tokenizer.ggml.tokens", tokens)
    w.i32s("tokenizer.ggml.token_type", types)
    w.strings("tokenizer.ggml.merges",
              ["".join(u[b] for b in a) + " " + "".join(u[b] for b in c) for a, c in merges])
    w.u32("tokenizer.ggml.bos_token_id", eot_id)
    w.u32("tokenizer.ggml.eos_token_id", eot_id)
    w.boolean("tokenizer.ggml.add_bos_token", True)
    w.boolean("tokenizer.ggml.add_eos_token", False)
    for name, arr in model.gguf_tensors():
        w.tensor_f32(name, arr)
    w.write(path)


@torch.no_grad()
def reference_logits(model, enc, eot_id):
    model.eval()
    out = []
    for p in REFERENCE_PROMPTS:
        ids = [eot_id] + enc.encode(p)
        logits = model(torch.tensor([ids]))[0, -1].tolist()
        out.append({"prompt": p, "tokens": ids, "next_token_logits": [float(f"{v:.7g}") for v in logits]})
    return out


@torch.no_grad()
def sample(model, enc, vocab, eot_id, prompt, n, temp, gen):
    ids = [eot_id] + enc.encode(prompt)
    for _ in range(n):
        logits = model(torch.tensor([ids[-model.cfg.n_ctx:]]))[0, -1] / temp
        t = int(torch.multinomial(logits.softmax(-1), 1, generator=gen))
        if t == eot_id:
            break
        ids.append(t)
    text = b"".join(vocab[t] for t in ids[1:])
    return text.decode("utf-8", errors="replace")


def main():
    args = parse_args()
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()

    root = corpus.stdlib_dir()
    train_texts, val_texts, manifest = corpus.load(root, args.holdout_per_256)
    log(f"corpus {root}: {len(train_texts)} train files ({manifest['train_bytes']} B), "
        f"{len(val_texts)} held out ({manifest['val_bytes']} B)")
    merges = bpe.train(train_texts, args.vocab - 257, log=log)
    vocab = bpe.vocab_from_merges(merges)
    eot_id = len(vocab)
    enc = bpe.Encoder(merges)
    train_ids = encode_files(enc, train_texts, eot_id)
    val_ids = encode_files(enc, val_texts, eot_id)
    n_vocab = len(vocab) + 1
    log(f"tokenizer: {n_vocab} tokens; train {len(train_ids)} tokens "
        f"({manifest['train_bytes'] / len(train_ids):.2f} B/token), val {len(val_ids)} tokens "
        f"[{time.time() - t0:.0f}s]")

    cfg = Config(n_vocab, args.n_embd, args.n_layer, args.n_head, args.n_head_kv, args.n_ff, args.ctx)
    model = Llama(cfg)
    log(f"model: {model.num_params()} parameters, config {cfg.as_dict()}")
    decay = [p for p in model.parameters() if p.dim() == 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.95))
    rng = np.random.default_rng(args.seed)
    budget = args.minutes * 60
    warmup = 100
    curves = {"train": [], "val": []}
    tokens_seen, ema, step = 0, 0.0, 0
    train_start = time.time()
    # Cosine schedule over the time budget: progress is elapsed / budget.
    while step < args.max_steps:
        progress = (time.time() - train_start) / budget
        if progress >= 1.0:
            break
        lr = args.lr * min(1.0, (step + 1) / warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))
        for g in opt.param_groups:
            g["lr"] = lr
        starts = rng.integers(0, len(train_ids) - args.ctx - 1, size=args.batch)
        x, y = batch_at(train_ids, starts, args.ctx)
        loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        tokens_seen += args.batch * args.ctx
        ema = 0.95 * ema + 0.05 * loss.item()
        running = ema / (1 - 0.95 ** step)  # bias-corrected running mean
        if step % 10 == 0:
            curves["train"].append((tokens_seen, running))
            el = time.time() - train_start
            log(f"step {step}: train {running:.3f}, {tokens_seen / el:.0f} tok/s")
        if step % args.eval_every == 0:
            vl = evaluate(model, val_ids, args.ctx)
            curves["val"].append((tokens_seen, vl))
            el = time.time() - train_start
            log(f"step {step}: train {running:.3f} val {vl:.3f} (ppl {math.exp(vl):.1f}) "
                f"lr {lr:.2e} {tokens_seen / el:.0f} tok/s, {el / 60:.1f}/{args.minutes:.0f} min")
    train_secs = time.time() - train_start
    val_loss = evaluate(model, val_ids, args.ctx, n_windows=256)
    curves["val"].append((tokens_seen, val_loss))
    log(f"done: {step} steps, {tokens_seen} tokens in {train_secs:.0f}s ({tokens_seen / train_secs:.0f} tok/s); "
        f"val loss {val_loss:.3f}, ppl {math.exp(val_loss):.2f}")

    size = f"{model.num_params() / 1e6:.0f}M"
    gguf_path = os.path.join(args.out, f"steer-code-{size}.gguf")
    export_gguf(model, vocab, merges, eot_id, gguf_path)
    plot(curves, os.path.join(args.out, "steer-code-loss.png"))
    gen = torch.Generator().manual_seed(args.seed)
    samples = [sample(model, enc, vocab, eot_id, p, 64, 0.8, gen)
               for p in ["def ", "def parse_", "class ", "    def get_", "def _check_"]]
    with open(os.path.join(args.out, "steer-code.reference.json"), "w") as f:
        json.dump({"model": os.path.basename(gguf_path), "tolerance": 1e-3,
                   "cases": reference_logits(model, enc, eot_id)}, f)
    uniform = math.log(n_vocab)
    report = {
        "command": " ".join([os.path.basename(sys.executable)] + sys.argv),
        "seed": args.seed, "config": cfg.as_dict(), "n_params": model.num_params(),
        "gguf": os.path.basename(gguf_path), "gguf_bytes": os.path.getsize(gguf_path),
        "tokens_seen": tokens_seen, "steps": step, "train_seconds": train_secs,
        "train_tokens_per_second": tokens_seen / train_secs, "threads": args.threads,
        "train_tokens": int(len(train_ids)), "val_tokens": int(len(val_ids)),
        "bytes_per_token": manifest["train_bytes"] / len(train_ids),
        "val_loss": val_loss, "val_ppl": math.exp(val_loss),
        "val_bits_per_byte": val_loss / math.log(2) * len(val_ids) / manifest["val_bytes"],
        "uniform_loss": uniform, "curves": curves, "samples": samples,
        "torch_version": torch.__version__, "manifest": manifest,
        "total_seconds": time.time() - t0,
    }
    with open(os.path.join(args.out, "steer-code.train.json"), "w") as f:
        json.dump(report, f, indent=1)
    log(f"wrote {gguf_path} ({report['gguf_bytes']} bytes) in {report['total_seconds'] / 60:.1f} min total")


if __name__ == "__main__":
    main()
