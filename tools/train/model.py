"""A small llama-architecture model in PyTorch, written to match steer's (and
llama.cpp's) `llama` forward pass exactly:

  x = token_embd[ids]
  per layer: h = x + Wo · attn(RoPE(Wq·n), RoPE(Wk·n), Wv·n),  n = RMSNorm(x)·attn_norm
             x = h + Wdown · (silu(Wgate·m) * (Wup·m)),        m = RMSNorm(h)·ffn_norm
  logits = output · (RMSNorm(x)·output_norm)   (output = token_embd when tied)

RoPE is llama.cpp's NORM style: dimensions (2i, 2i+1) of each head rotate by
pos · base^(-2i/head_dim). Attention is causal, scaled by 1/sqrt(head_dim),
with n_head_kv <= n_head key/value heads (grouped-query attention).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Config:
    def __init__(self, n_vocab, n_embd=160, n_layer=5, n_head=5, n_head_kv=5, n_ff=432,
                 n_ctx=256, rope_base=10000.0, eps=1e-5, tied=True):
        self.n_vocab, self.n_embd, self.n_layer = n_vocab, n_embd, n_layer
        self.n_head, self.n_head_kv, self.n_ff = n_head, n_head_kv, n_ff
        self.n_ctx, self.rope_base, self.eps, self.tied = n_ctx, rope_base, eps, tied
        assert n_embd % n_head == 0 and n_head % n_head_kv == 0
        self.head_dim = n_embd // n_head

    def as_dict(self):
        return dict(self.__dict__)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(cfg, n, device):
    half = cfg.head_dim // 2
    inv = cfg.rope_base ** (-torch.arange(0, half, dtype=torch.float64) * 2 / cfg.head_dim)
    ang = torch.arange(n, dtype=torch.float64)[:, None] * inv[None, :]
    return ang.cos().float().to(device), ang.sin().float().to(device)


def apply_rope(x, cos, sin):
    # x: [B, H, T, D]; rotate adjacent pairs (x0, x1) -> (x0 c - x1 s, x0 s + x1 c).
    x0, x1 = x[..., 0::2], x[..., 1::2]
    y0 = x0 * cos - x1 * sin
    y1 = x0 * sin + x1 * cos
    return torch.stack((y0, y1), dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        d, hd = cfg.n_embd, cfg.head_dim
        self.attn_norm = RMSNorm(d, cfg.eps)
        self.wq = nn.Linear(d, cfg.n_head * hd, bias=False)
        self.wk = nn.Linear(d, cfg.n_head_kv * hd, bias=False)
        self.wv = nn.Linear(d, cfg.n_head_kv * hd, bias=False)
        self.wo = nn.Linear(cfg.n_head * hd, d, bias=False)
        self.ffn_norm = RMSNorm(d, cfg.eps)
        self.w_gate = nn.Linear(d, cfg.n_ff, bias=False)
        self.w_up = nn.Linear(d, cfg.n_ff, bias=False)
        self.w_down = nn.Linear(cfg.n_ff, d, bias=False)

    def forward(self, x, cos, sin):
        cfg = self.cfg
        B, T, _ = x.shape
        n = self.attn_norm(x)
        q = self.wq(n).view(B, T, cfg.n_head, cfg.head_dim).transpose(1, 2)
        k = self.wk(n).view(B, T, cfg.n_head_kv, cfg.head_dim).transpose(1, 2)
        v = self.wv(n).view(B, T, cfg.n_head_kv, cfg.head_dim).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        rep = cfg.n_head // cfg.n_head_kv
        if rep > 1:
            k = k.repeat_interleave(rep, dim=1)
            v = v.repeat_interleave(rep, dim=1)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(cfg.head_dim)
        mask = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)
        att = att.masked_fill(mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, cfg.n_head * cfg.head_dim)
        h = x + self.wo(y)
        m = self.ffn_norm(h)
        return h + self.w_down(F.silu(self.w_gate(m)) * self.w_up(m))


class Llama(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.tok = nn.Embedding(cfg.n_vocab, cfg.n_embd)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.norm = RMSNorm(cfg.n_embd, cfg.eps)
        self.out = None if cfg.tied else nn.Linear(cfg.n_embd, cfg.n_vocab, bias=False)
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * cfg.n_layer) if name.endswith(("wo.weight", "w_down.weight")) else 0.02
                nn.init.normal_(p, std=std)

    def forward(self, ids):
        cos, sin = rope_tables(self.cfg, ids.shape[1], ids.device)
        x = self.tok(ids)
        for b in self.blocks:
            x = b(x, cos, sin)
        x = self.norm(x)
        w = self.tok.weight if self.out is None else self.out.weight
        return x @ w.t()

    def num_params(self):
        return sum(p.numel() for p in self.parameters())

    def gguf_header(self, w, name):
        """Writes the general.* and llama.* keys of this model (F32) to GgufWriter w."""
        cfg = self.cfg
        w.string("general.architecture", "llama")
        w.string("general.name", name)
        w.u32("general.file_type", 0)
        w.u32("llama.context_length", cfg.n_ctx)
        w.u32("llama.embedding_length", cfg.n_embd)
        w.u32("llama.block_count", cfg.n_layer)
        w.u32("llama.feed_forward_length", cfg.n_ff)
        w.u32("llama.attention.head_count", cfg.n_head)
        w.u32("llama.attention.head_count_kv", cfg.n_head_kv)
        w.u32("llama.rope.dimension_count", cfg.head_dim)
        w.f32("llama.rope.freq_base", cfg.rope_base)
        w.f32("llama.attention.layer_norm_rms_epsilon", cfg.eps)

    def gguf_tensors(self):
        """(name, float32 numpy array [rows][cols]) in GGUF naming."""
        t = [("token_embd.weight", self.tok.weight)]
        for i, b in enumerate(self.blocks):
            p = f"blk.{i}."
            t += [(p + "attn_norm.weight", b.attn_norm.weight), (p + "attn_q.weight", b.wq.weight),
                  (p + "attn_k.weight", b.wk.weight), (p + "attn_v.weight", b.wv.weight),
                  (p + "attn_output.weight", b.wo.weight), (p + "ffn_norm.weight", b.ffn_norm.weight),
                  (p + "ffn_gate.weight", b.w_gate.weight), (p + "ffn_up.weight", b.w_up.weight),
                  (p + "ffn_down.weight", b.w_down.weight)]
        t.append(("output_norm.weight", self.norm.weight))
        if self.out is not None:
            t.append(("output.weight", self.out.weight))
        return [(n, w.detach().float().cpu().numpy()) for n, w in t]
