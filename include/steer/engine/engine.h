// The inference engine: many sequences over one model, decoded in batches.
//
// A Batch is a list of rows (token, position, sequence, want-logits). Decode
// runs all rows through the model in one forward pass: every weight matrix is
// read once per call whatever the number of rows. Each row's position must be
// the next position of its sequence (its current length, plus the number of
// earlier rows of the same sequence in the batch), so a prompt is a run of
// rows of one sequence and a generation step is one row per sequence.
//
// Sequences live in a paged KV cache (kv_cache.h): Fork shares every block
// and copies on the first write into a shared block; Release frees what no
// other sequence uses.
//
// Failure model: Decode validates the whole batch and checks the memory
// budget before changing anything; on error, no sequence changes.
//
// Threading: one thread drives an Engine (Decode uses the engine's own
// thread pool inside); the Model may be shared by several engines.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "steer/engine/kv_cache.h"
#include "steer/model/forward.h"
#include "steer/model/weights.h"
#include "steer/util/result.h"
#include "steer/util/types.h"

namespace steer {
class ThreadPool;
}

namespace steer::engine {

struct EngineOptions {
  int threads = 0;              // <= 0: the number of hardware threads
  int32_t n_ctx = 0;            // maximum sequence length; <= 0: the model's context_length
  int64_t kv_budget_bytes = 0;  // K/V memory limit; 0: none
  int32_t kv_block_size = 16;   // positions per KV block
  model::KvType kv_type = model::KvType::kF32;  // stored K/V elements (F16: half the memory)
  bool q8_activations = false;  // 8-bit activations for quantized weights; see model::ForwardOptions
};

struct BatchRow {
  TokenId token = 0;
  Pos pos = 0;
  SeqId seq = 0;
  bool want_logits = false;
};

class Batch {
 public:
  void Add(TokenId token, Pos pos, SeqId seq, bool want_logits) {
    rows_.push_back(BatchRow{token, pos, seq, want_logits});
  }
  void Clear() { rows_.clear(); }
  size_t size() const { return rows_.size(); }
  bool empty() const { return rows_.empty(); }
  std::span<const BatchRow> rows() const { return rows_; }

 private:
  std::vector<BatchRow> rows_;
};

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> Create(std::shared_ptr<const model::Model> model,
                                                const EngineOptions& options);
  // Loads the model at `path` and creates an engine over it.
  static Result<std::unique_ptr<Engine>> Open(const std::string& path, const EngineOptions& options);
  ~Engine();

  const model::Model& model() const { return *model_; }
  const model::HParams& hparams() const { return model_->hparams(); }
  int32_t n_vocab() const { return model_->hparams().n_vocab; }
  int32_t n_ctx() const { return n_ctx_; }
  int num_threads() const;

  SeqId NewSequence() { return kv_.NewSequence(); }
  Result<SeqId> Fork(SeqId seq) { return kv_.Fork(seq); }
  Status Release(SeqId seq) { return kv_.Release(seq); }
  Status Truncate(SeqId seq, Pos length) { return kv_.Truncate(seq, length); }
  bool IsLive(SeqId seq) const { return kv_.IsLive(seq); }
  Pos Length(SeqId seq) const { return kv_.Length(seq); }

  // Runs the batch. Errors (nothing changed): kInvalidArgument for an unknown
  // sequence, a token outside the vocabulary or a position that is not the
  // sequence's next one; kResourceExhausted when a sequence would exceed
  // n_ctx or the KV cache would exceed its memory budget.
  Status Decode(const Batch& batch);

  // After a successful Decode: the logits of the rows that asked for them, in
  // row order. Valid until the next Decode.
  int32_t num_logits() const { return num_logits_; }
  std::span<const float> Logits(int32_t i) const;
  // Rows run through the model by every successful Decode so far.
  int64_t rows_decoded() const { return rows_decoded_; }

  const KvCache& kv_cache() const { return kv_; }

 private:
  Engine(std::shared_ptr<const model::Model> model, const EngineOptions& options);

  std::shared_ptr<const model::Model> model_;
  std::unique_ptr<ThreadPool> pool_;
  int32_t n_ctx_;
  KvCache kv_;
  model::Forward forward_;
  std::vector<model::ForwardRow> rows_;  // scratch
  std::vector<SeqId> touched_;           // scratch: sequences in the batch
  std::vector<Pos> new_length_;          // scratch, indexed by SeqId
  std::vector<float> logits_;            // [num_logits][n_vocab]
  int32_t num_logits_ = 0;
  int64_t rows_decoded_ = 0;
};

}  // namespace steer::engine
