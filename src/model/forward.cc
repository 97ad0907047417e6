#include "steer/model/forward.h"

#include <algorithm>
#include <cmath>

#include "model/attention_kernels.h"
#include "model/kernels_internal.h"
#include "steer/model/kernels.h"
#include "steer/model/ops.h"
#include "steer/util/check.h"
#include "steer/util/thread_pool.h"

namespace steer::model {

namespace {

void Grow(std::vector<float>& v, size_t n) {
  if (v.size() < n) v.resize(n);
}

void Parallel(ThreadPool* pool, size_t n, const std::function<void(size_t, size_t, int)>& fn) {
  if (pool == nullptr || n < 2) {
    fn(0, n, 0);
  } else {
    pool->ParallelFor(n, fn);
  }
}

// Byte offset of KV head g's entry for position pos within one layer's keys
// (or values) of its block: head-major, [n_head_kv][bs][D] elements of
// elem bytes, so head g's positions are contiguous.
int64_t KvSlotOffset(int32_t g, Pos pos, int64_t bs, int64_t D, int64_t elem) {
  return (g * bs + pos % bs) * D * elem;
}

void AddBias(float* y, const float* bias, int64_t batch, int64_t n) {
  if (bias == nullptr) return;
  for (int64_t b = 0; b < batch; ++b) {
    float* row = y + b * n;
    for (int64_t i = 0; i < n; ++i) row[i] += bias[i];
  }
}

}  // namespace

Forward::Forward(const Model& model, ThreadPool* pool, const ForwardOptions& options)
    : model_(model),
      hp_(model.hparams()),
      pool_(pool),
      options_(options),
      packs_(model.packs(options.q8_activations)) {}

void Forward::Mul(const PackedWeights& packed, const float* x, int64_t batch, float* y) {
  if (packed.q8()) {
    MatMulQ8Packed(packed, x, batch, y, pool_);
  } else {
    MatMulPacked(packed, x, batch, y, pool_);
  }
}

template <class Fn>
void Forward::ForRows(int64_t rows, const Fn& fn) {
  if (pool_ == nullptr || rows < kMinParallelRows) {
    for (int64_t b = 0; b < rows; ++b) fn(b);
    return;
  }
  const Fn* f = &fn;  // one pointer captured: the std::function stays in its small buffer
  pool_->ParallelFor(static_cast<size_t>(rows), [f](size_t begin, size_t end, int) {
    for (size_t b = begin; b < end; ++b) (*f)(static_cast<int64_t>(b));
  });
}

void Forward::Run(std::span<const ForwardRow> rows, KvStore& kv, float* logits) {
  const Weights& w = model_.weights();
  const int64_t B = static_cast<int64_t>(rows.size());
  const int64_t E = hp_.n_embd, Q = hp_.q_dim(), KV = hp_.kv_dim(), F = hp_.n_ff;
  const int32_t R = hp_.rope_dim;
  const int32_t bs = kv.block_size();
  const internal::AttentionKernels& attn = internal::SelectAttention(hp_.head_dim, kv.type());
  const int64_t elem = KvElementBytes(kv.type());
  if (B == 0) return;
  Grow(x_, B * E);
  Grow(xn_, B * std::max(E, Q));
  Grow(q_, B * Q);
  Grow(k_, B * KV);
  Grow(v_, B * KV);
  Grow(att_, B * Q);
  Grow(gate_, B * F);
  Grow(up_, B * F);
  Grow(rope_, B * R);
  logit_rows_.clear();

  for (int64_t b = 0; b < B; ++b) {
    const ForwardRow& r = rows[b];
    STEER_CHECK(r.token >= 0 && r.token < hp_.n_vocab);
    STEER_CHECK(r.pos >= 0 && r.block_table != nullptr);
    DequantizeRow(w.token_embd.type, w.token_embd.Row(r.token), x_.data() + b * E, E);
    RopeAngles(r.pos, R, hp_.rope_base, w.rope_freqs, rope_.data() + b * R);
    if (r.want_logits) logit_rows_.push_back(static_cast<int32_t>(b));
  }

  for (int32_t l = 0; l < hp_.n_layer; ++l) {
    const LayerWeights& L = w.layers[l];
    const PackedLayer& P = packs_.layers[l];
    ForRows(B, [&](int64_t b) { RmsNorm(x_.data() + b * E, L.attn_norm, E, hp_.rms_eps, xn_.data() + b * E); });
    PrefetchKvSlots(rows, kv, l);
    const PackedProduct qkv[] = {{&P.wq, q_.data()}, {&P.wk, k_.data()}, {&P.wv, v_.data()}};
    MatMulPackedMany(qkv, xn_.data(), B, pool_);
    AddBias(q_.data(), L.bq, B, Q);
    AddBias(k_.data(), L.bk, B, KV);
    AddBias(v_.data(), L.bv, B, KV);
    ForRows(B, [&](int64_t b) {
      const float* cs = rope_.data() + b * R;
      ApplyRope(q_.data() + b * Q, hp_.n_head, hp_.head_dim, R, hp_.rope_style, cs);
      ApplyRope(k_.data() + b * KV, hp_.n_head_kv, hp_.head_dim, R, hp_.rope_style, cs);
      const ForwardRow& r = rows[b];
      const int32_t block = r.block_table[r.pos / bs];
      const int32_t D = hp_.head_dim;
      auto* keys = static_cast<uint8_t*>(kv.Keys(block, l));
      auto* values = static_cast<uint8_t*>(kv.Values(block, l));
      for (int32_t g = 0; g < hp_.n_head_kv; ++g) {
        const int64_t at = KvSlotOffset(g, r.pos, bs, D, elem);
        attn.store(k_.data() + b * KV + g * D, D, keys + at);
        attn.store(v_.data() + b * KV + g * D, D, values + at);
      }
    });
    Attention(rows, kv, l);
    Mul(P.wo, att_.data(), B, xn_.data());
    // Residual, then the FFN's norm, per row.
    ForRows(B, [&](int64_t b) {
      float* xb = x_.data() + b * E;
      const float* add = xn_.data() + b * E;
      for (int64_t i = 0; i < E; ++i) xb[i] += add[i];
      RmsNorm(xb, L.ffn_norm, E, hp_.rms_eps, xn_.data() + b * E);
    });
    const PackedProduct gate_up[] = {{&P.gate, gate_.data()}, {&P.up, up_.data()}};
    MatMulPackedMany(gate_up, xn_.data(), B, pool_);
    ForRows(B, [&](int64_t b) { SwiGlu(gate_.data() + b * F, up_.data() + b * F, F); });
    Mul(P.down, gate_.data(), B, xn_.data());
    ForRows(B, [&](int64_t b) {
      float* xb = x_.data() + b * E;
      const float* add = xn_.data() + b * E;
      for (int64_t i = 0; i < E; ++i) xb[i] += add[i];
    });
  }

  const int64_t n_out = static_cast<int64_t>(logit_rows_.size());
  if (n_out == 0) return;
  for (int64_t i = 0; i < n_out; ++i) {
    RmsNorm(x_.data() + logit_rows_[i] * E, w.output_norm, E, hp_.rms_eps, xn_.data() + i * E);
  }
  Mul(packs_.output, xn_.data(), n_out, logits);
}

// Each row's K/V slots of this layer (one run of head_dim values per KV
// head, block_size * head_dim values apart) are usually not in cache, so
// storing into them waits on memory once per cache line. Fetching them for
// writing before the Q/K/V product lets those reads overlap the product's
// arithmetic (measured: the product plus RoPE and the stores 8% faster at
// batch 32).
void Forward::PrefetchKvSlots(std::span<const ForwardRow> rows, KvStore& kv, int32_t layer) {
  const int64_t bs = kv.block_size(), D = hp_.head_dim;
  const int64_t elem = KvElementBytes(kv.type());
  for (const ForwardRow& r : rows) {
    const int32_t block = r.block_table[r.pos / bs];
    const auto* keys = static_cast<const char*>(kv.Keys(block, layer));
    const auto* values = static_cast<const char*>(kv.Values(block, layer));
    for (int32_t g = 0; g < hp_.n_head_kv; ++g) {
      const int64_t at = KvSlotOffset(g, r.pos, bs, D, elem);
      for (int64_t i = 0; i < D * elem; i += 64) {
        __builtin_prefetch(keys + at + i, 1, 3);
        __builtin_prefetch(values + at + i, 1, 3);
      }
    }
  }
}

// Work item: one KV head g and a chunk of up to kChunkRows batch rows, with
// the `group` query heads that share g. The loops walk KV blocks in
// lockstep across the chunk's rows, so rows that share a block (forks of
// one prefix) read it from cache instead of memory: for B forks of an
// n-position prefix, K/V traffic drops from B*n to about n positions.
void Forward::Attention(std::span<const ForwardRow> rows, KvStore& kv, int32_t layer) {
  constexpr int64_t kChunkRows = 16;
  // Everything the workers need, captured as one reference so that the
  // std::function in ParallelFor stays in its small buffer (no allocation).
  struct Job {
    Forward* self;
    const internal::AttentionKernels* attn;
    std::span<const ForwardRow> rows;
    KvStore* kv;
    int32_t layer, n_kv, D, bs, group;
    int64_t Q, KV;
    int64_t elem;        // bytes per stored K/V element
    float scale;
    size_t stride;       // scores per (row, head): max pos + 1
    size_t per_thread;   // scores per thread: kChunkRows * group * stride
  } job;
  job.self = this;
  job.attn = &internal::SelectAttention(hp_.head_dim, kv.type());
  job.elem = KvElementBytes(kv.type());
  job.rows = rows;
  job.kv = &kv;
  job.layer = layer;
  job.n_kv = hp_.n_head_kv;
  job.D = hp_.head_dim;
  job.bs = kv.block_size();
  job.group = hp_.n_head / hp_.n_head_kv;
  job.Q = hp_.q_dim();
  job.KV = hp_.kv_dim();
  job.scale = 1.0f / std::sqrt(static_cast<float>(hp_.head_dim));
  Pos max_pos = 0;
  for (const ForwardRow& r : rows) max_pos = std::max(max_pos, r.pos);
  job.stride = static_cast<size_t>(max_pos) + 1;
  job.per_thread = static_cast<size_t>(kChunkRows) * job.group * job.stride;
  const int threads = pool_ != nullptr ? pool_->num_threads() : 1;
  Grow(scores_, job.per_thread * threads);
  const int64_t B = static_cast<int64_t>(rows.size());
  const int64_t chunks = (B + kChunkRows - 1) / kChunkRows;

  Parallel(pool_, static_cast<size_t>(chunks * job.n_kv), [&job](size_t begin, size_t end, int t) {
    const Job& j = job;
    float* scores = j.self->scores_.data() + j.per_thread * t;
    for (size_t item = begin; item < end; ++item) {
      const int32_t g = static_cast<int32_t>(item % j.n_kv);
      const int64_t r0 = static_cast<int64_t>(item / j.n_kv) * kChunkRows;
      const int64_t r1 = std::min<int64_t>(r0 + kChunkRows, static_cast<int64_t>(j.rows.size()));
      const int64_t kv_off = static_cast<int64_t>(g) * j.bs * j.D * j.elem;  // bytes to head g's part of a block
      int32_t n_blocks = 0;
      for (int64_t r = r0; r < r1; ++r) n_blocks = std::max(n_blocks, j.rows[r].pos / j.bs + 1);
      // Scores of row r, query head g*group+hh, live at
      // scores + ((r - r0) * group + hh) * stride.
      auto row_scores = [&](int64_t r, int32_t hh) { return scores + ((r - r0) * j.group + hh) * j.stride; };
      auto query = [&](float* base, int64_t r, int32_t hh) {
        return base + r * j.Q + static_cast<int64_t>(g * j.group + hh) * j.D;
      };
      // The next row's part of block bi (keys or values of head g), fetched
      // into cache while this row's is computed: each is its own run of
      // memory (4 KiB at the default 16 positions x 64 F32 values), where
      // the hardware prefetcher starts cold.
      auto prefetch_next = [&](int32_t bi, int64_t r, bool keys) {
        for (int64_t n = r + 1; n < r1; ++n) {
          const ForwardRow& next = j.rows[n];
          if (bi * j.bs > next.pos) continue;
          if (next.block_table[bi] == j.rows[r].block_table[bi]) return;  // shared: already cached
          const int32_t len = std::min(j.bs, next.pos + 1 - bi * j.bs);
          const auto* p = static_cast<const uint8_t*>(keys ? j.kv->Keys(next.block_table[bi], j.layer)
                                                           : j.kv->Values(next.block_table[bi], j.layer)) +
                          kv_off;
          for (int64_t i = 0; i < len * j.D * j.elem; i += 64) __builtin_prefetch(p + i, 0, 3);
          return;
        }
      };
      for (int32_t bi = 0; bi < n_blocks; ++bi) {
        const int32_t start = bi * j.bs;
        for (int64_t r = r0; r < r1; ++r) {
          const ForwardRow& row = j.rows[r];
          if (start > row.pos) continue;
          const int32_t len = std::min(j.bs, row.pos + 1 - start);
          prefetch_next(bi, r, true);
          const auto* keys = static_cast<const uint8_t*>(j.kv->Keys(row.block_table[bi], j.layer)) + kv_off;
          for (int32_t hh = 0; hh < j.group; ++hh) {
            j.attn->scores(keys, j.D, len, query(j.self->q_.data(), r, hh), j.D, j.scale, row_scores(r, hh) + start);
          }
        }
      }
      for (int64_t r = r0; r < r1; ++r) {
        for (int32_t hh = 0; hh < j.group; ++hh) {
          Softmax(row_scores(r, hh), j.rows[r].pos + 1);
          float* out = query(j.self->att_.data(), r, hh);
          std::fill(out, out + j.D, 0.0f);
        }
      }
      for (int32_t bi = 0; bi < n_blocks; ++bi) {
        const int32_t start = bi * j.bs;
        for (int64_t r = r0; r < r1; ++r) {
          const ForwardRow& row = j.rows[r];
          if (start > row.pos) continue;
          const int32_t len = std::min(j.bs, row.pos + 1 - start);
          prefetch_next(bi, r, false);
          const auto* values = static_cast<const uint8_t*>(j.kv->Values(row.block_table[bi], j.layer)) + kv_off;
          for (int32_t hh = 0; hh < j.group; ++hh) {
            j.attn->accumulate(values, j.D, len, row_scores(r, hh) + start, j.D, query(j.self->att_.data(), r, hh));
          }
        }
      }
    }
  });
}

}  // namespace steer::model
