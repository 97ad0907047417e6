// Hyperparameters of a llama-family transformer, read from GGUF metadata.
#pragma once

#include <cstdint>
#include <string>

#include "steer/util/result.h"

namespace steer::gguf {
class File;
}

namespace steer::model {

enum class Arch { kLlama, kQwen2 };
const char* ArchName(Arch arch);

// How RoPE pairs the dimensions it rotates.
enum class RopeStyle {
  kNorm,  // adjacent pairs (2i, 2i+1): llama
  kNeox,  // halves (i, i + rope_dim/2): qwen2
};

struct HParams {
  Arch arch = Arch::kLlama;
  RopeStyle rope_style = RopeStyle::kNorm;
  int32_t n_ctx_train = 0;  // <arch>.context_length
  int32_t n_embd = 0;       // <arch>.embedding_length
  int32_t n_layer = 0;      // <arch>.block_count
  int32_t n_ff = 0;         // <arch>.feed_forward_length
  int32_t n_head = 0;       // <arch>.attention.head_count
  int32_t n_head_kv = 0;    // <arch>.attention.head_count_kv (default n_head)
  int32_t head_dim = 0;     // n_embd / n_head
  int32_t rope_dim = 0;     // <arch>.rope.dimension_count (default head_dim)
  float rope_base = 10000;  // <arch>.rope.freq_base (default 10000)
  float rms_eps = 1e-5f;    // <arch>.attention.layer_norm_rms_epsilon
  int32_t n_vocab = 0;      // rows of token_embd.weight (filled by Weights)

  int32_t q_dim() const { return n_head * head_dim; }
  int32_t kv_dim() const { return n_head_kv * head_dim; }
};

// Reads and validates the hyperparameters. An architecture other than llama
// and qwen2 is kUnsupported; missing or inconsistent keys are kInvalidInput
// naming the key. n_vocab is left 0.
Result<HParams> ReadHParams(const gguf::File& file);

}  // namespace steer::model
