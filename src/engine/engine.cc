#include "steer/engine/engine.h"

#include <string>

#include "steer/util/check.h"
#include "steer/util/thread_pool.h"

namespace steer::engine {

Engine::Engine(std::shared_ptr<const model::Model> model, const EngineOptions& options)
    : model_(std::move(model)),
      pool_(std::make_unique<ThreadPool>(options.threads)),
      n_ctx_(options.n_ctx > 0 ? options.n_ctx : model_->hparams().n_ctx_train),
      kv_(model_->hparams().n_layer, model_->hparams().kv_dim(),
          KvCacheOptions{options.kv_block_size, options.kv_budget_bytes, options.kv_type}),
      forward_(*model_, pool_->num_threads() > 1 ? pool_.get() : nullptr,
               model::ForwardOptions{options.q8_activations}) {}

Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::Create(std::shared_ptr<const model::Model> model,
                                               const EngineOptions& options) {
  if (model == nullptr) return MakeError(ErrorCode::kInvalidArgument, "no model");
  if (options.kv_block_size <= 0 || options.kv_block_size > 4096) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "kv block size " + std::to_string(options.kv_block_size) + " is outside [1, 4096]");
  }
  if (options.kv_budget_bytes < 0) {
    return MakeError(ErrorCode::kInvalidArgument, "negative KV memory budget");
  }
  if (options.threads > 1024) {
    return MakeError(ErrorCode::kInvalidArgument, "too many threads: " + std::to_string(options.threads));
  }
  return std::unique_ptr<Engine>(new Engine(std::move(model), options));
}

Result<std::unique_ptr<Engine>> Engine::Open(const std::string& path, const EngineOptions& options) {
  STEER_ASSIGN_OR_RETURN(std::unique_ptr<model::Model> model, model::Model::Load(path));
  return Create(std::shared_ptr<const model::Model>(std::move(model)), options);
}

int Engine::num_threads() const { return pool_->num_threads(); }

std::span<const float> Engine::Logits(int32_t i) const {
  STEER_CHECK(i >= 0 && i < num_logits_);
  const size_t n = static_cast<size_t>(n_vocab());
  return {logits_.data() + static_cast<size_t>(i) * n, n};
}

Status Engine::Decode(const Batch& batch) {
  num_logits_ = 0;
  const std::span<const BatchRow> rows = batch.rows();
  const char* where = "decode";
  // Validate every row and compute each sequence's length after the batch.
  touched_.clear();
  for (size_t i = 0; i < rows.size(); ++i) {
    const BatchRow& r = rows[i];
    auto loc = [&] { return std::string(where) + ": row " + std::to_string(i); };
    if (!kv_.IsLive(r.seq)) {
      for (SeqId s : touched_) new_length_[s] = -1;
      return MakeError(ErrorCode::kInvalidArgument, "sequence " + std::to_string(r.seq) + " does not exist", loc());
    }
    if (static_cast<size_t>(r.seq) >= new_length_.size()) new_length_.resize(r.seq + 1, -1);
    if (new_length_[r.seq] < 0) {
      new_length_[r.seq] = kv_.Length(r.seq);
      touched_.push_back(r.seq);
    }
    Status st;  // ok: no allocation
    if (r.token < 0 || r.token >= n_vocab()) {
      st = MakeError(ErrorCode::kInvalidArgument,
                     "token " + std::to_string(r.token) + " is outside the vocabulary [0, " +
                         std::to_string(n_vocab()) + ")",
                     loc());
    } else if (r.pos != new_length_[r.seq]) {
      st = MakeError(ErrorCode::kInvalidArgument,
                     "position " + std::to_string(r.pos) + " is not the next position " +
                         std::to_string(new_length_[r.seq]) + " of sequence " + std::to_string(r.seq),
                     loc());
    } else if (r.pos >= n_ctx_) {
      st = MakeError(ErrorCode::kResourceExhausted,
                     "context overflow: position " + std::to_string(r.pos) + " of sequence " +
                         std::to_string(r.seq) + " exceeds the context size " + std::to_string(n_ctx_),
                     loc());
    }
    if (!st.ok()) {
      for (SeqId s : touched_) new_length_[s] = -1;
      return st;
    }
    ++new_length_[r.seq];
  }
  int64_t needed = 0;
  for (SeqId s : touched_) needed += kv_.BlocksNeeded(s, new_length_[s]);
  if (needed > kv_.BlocksAvailable()) {
    for (SeqId s : touched_) new_length_[s] = -1;
    return MakeError(ErrorCode::kResourceExhausted,
                     "KV cache memory budget exceeded: the batch needs " + std::to_string(needed) +
                         " more blocks of " + std::to_string(kv_.block_bytes()) + " bytes, " +
                         std::to_string(kv_.BlocksAvailable()) + " are left (" +
                         std::to_string(kv_.bytes_in_use()) + " bytes in use)",
                     where);
  }

  // Commit: make room, then run. Block tables are stable from here on.
  for (SeqId s : touched_) kv_.Prepare(s, new_length_[s]);
  rows_.resize(rows.size());
  int32_t want = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const BatchRow& r = rows[i];
    rows_[i] = model::ForwardRow{r.token, r.pos, kv_.BlockTable(r.seq), r.want_logits};
    want += r.want_logits ? 1 : 0;
  }
  const size_t need_logits = static_cast<size_t>(want) * n_vocab();
  if (logits_.size() < need_logits) logits_.resize(need_logits);
  forward_.Run(rows_, kv_, logits_.data());
  rows_decoded_ += static_cast<int64_t>(rows_.size());
  for (SeqId s : touched_) {
    kv_.SetLength(s, new_length_[s]);
    new_length_[s] = -1;
  }
  num_logits_ = want;
  return {};
}

}  // namespace steer::engine
