// The batched forward pass of a llama-family transformer.
//
// One call runs B rows (token, position, where that row's sequence keeps its
// keys and values) through every layer together: each weight matrix is read
// once per call (kernels' MatMul with batch = B). Attention reads keys and
// values from a paged store that the caller owns (the engine's KV cache):
// positions [0, pos] of a row's sequence live in blocks block_table[pos /
// block_size], at slot pos % block_size.
//
// Within one call, every row's K and V for a layer are written before any
// row's attention in that layer, so a row sees earlier rows of the same
// sequence in the same call (a prompt decodes in one call).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "steer/model/weights.h"
#include "steer/util/types.h"

namespace steer {
class ThreadPool;
}

namespace steer::model {

// Element type of stored keys and values: F32, or F16 (IEEE half, rounded
// to nearest even; half the memory and traffic, as llama.cpp's default).
enum class KvType { kF32, kF16 };
// Bytes per stored element.
constexpr int64_t KvElementBytes(KvType type) { return type == KvType::kF16 ? 2 : 4; }

// Paged storage for keys and values. Each block holds block_size() positions
// of every layer: Keys(block, layer) and Values(block, layer) are
// block_size * kv_dim elements of type(), which Forward lays out head-major,
// [n_head_kv][block_size][head_dim], so that one head's keys in a block are
// contiguous.
class KvStore {
 public:
  virtual ~KvStore() = default;
  virtual int32_t block_size() const = 0;
  virtual KvType type() const = 0;
  virtual void* Keys(int32_t block, int32_t layer) = 0;
  virtual void* Values(int32_t block, int32_t layer) = 0;
};

struct ForwardRow {
  TokenId token = 0;
  Pos pos = 0;
  // The sequence's block table; entries [0, pos / block_size] are valid and
  // the row's own slot is writable (not shared with another sequence).
  const int32_t* block_table = nullptr;
  bool want_logits = false;
};

struct ForwardOptions {
  // Round activations to 8 bits (blocks of 32) before the matmuls of weight
  // types that have such a kernel (HasQ8ActivationKernel: Q8_0, Q4_0 and the
  // K-quants) and multiply in integers (MatMulQ8), as llama.cpp does: faster,
  // but no longer the exact F32-activation function.
  // The model's matrices are packed once for the chosen products
  // (Model::packs) on the first Forward constructed with this option.
  bool q8_activations = false;
};

// Runs the forward pass. Holds grow-only scratch buffers: after the first
// calls at the largest batch and context, Run allocates nothing.
// Not thread-safe; use one Forward per engine.
class Forward {
 public:
  // `model` must outlive this. `pool` may be null (single-threaded).
  Forward(const Model& model, ThreadPool* pool, const ForwardOptions& options = {});

  // Preconditions (checked): tokens in [0, n_vocab), pos >= 0.
  // Writes one row of n_vocab logits per row with want_logits, in row order,
  // to `logits` ([count][n_vocab]).
  void Run(std::span<const ForwardRow> rows, KvStore& kv, float* logits);

 private:
  void PrefetchKvSlots(std::span<const ForwardRow> rows, KvStore& kv, int32_t layer);
  void Attention(std::span<const ForwardRow> rows, KvStore& kv, int32_t layer);
  // y = m x through m's packed copy (8-bit activations when it was packed
  // for them).
  void Mul(const PackedWeights& packed, const float* x, int64_t batch, float* y);
  // fn(b) for b < rows, split over the pool from kMinParallelRows rows on
  // (below that a parallel region costs more than it saves).
  template <class Fn>
  void ForRows(int64_t rows, const Fn& fn);
  static constexpr int64_t kMinParallelRows = 8;

  const Model& model_;
  const HParams& hp_;
  ThreadPool* pool_;
  ForwardOptions options_;
  const Packs& packs_;  // the model's, for options_.q8_activations
  // Scratch, grown on demand. Shapes for a call with B rows:
  std::vector<float> x_;       // [B][n_embd] residual stream
  std::vector<float> xn_;      // [B][max(n_embd, q_dim)] normed input, then attention output
  std::vector<float> q_;       // [B][q_dim]
  std::vector<float> k_;       // [B][kv_dim]
  std::vector<float> v_;       // [B][kv_dim]
  std::vector<float> att_;     // [B][q_dim] attention output
  std::vector<float> gate_;    // [B][n_ff]
  std::vector<float> up_;      // [B][n_ff]
  std::vector<float> rope_;    // [B][rope_dim] cos/sin per row
  std::vector<float> scores_;  // [threads][16 rows][group][max pos + 1]
  std::vector<int32_t> logit_rows_;  // indices of rows wanting logits
};

}  // namespace steer::model
