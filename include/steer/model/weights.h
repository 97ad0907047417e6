// Typed, read-only views of a transformer's weights inside a mapped GGUF
// file. Nothing is copied: every pointer points into the File's map, so a
// Model (which owns the File) must outlive the views.
//
// Shapes are [rows][cols] with cols the contiguous dimension (GGUF dims[0]).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "steer/gguf/types.h"
#include "steer/model/hparams.h"
#include "steer/model/kernels.h"
#include "steer/util/result.h"

namespace steer::gguf {
class File;
}

namespace steer::model {

// A weight matrix W[rows][cols] stored row-major in `type`.
struct Matrix {
  gguf::TensorType type = gguf::TensorType::kF32;
  const void* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  const void* Row(int64_t r) const;
};

struct LayerWeights {
  const float* attn_norm = nullptr;  // [n_embd]
  Matrix wq;                         // [q_dim][n_embd]
  Matrix wk;                         // [kv_dim][n_embd]
  Matrix wv;                         // [kv_dim][n_embd]
  Matrix wo;                         // [n_embd][q_dim]
  const float* bq = nullptr;         // [q_dim]  (qwen2 only, else null)
  const float* bk = nullptr;         // [kv_dim] (qwen2 only, else null)
  const float* bv = nullptr;         // [kv_dim] (qwen2 only, else null)
  const float* ffn_norm = nullptr;   // [n_embd]
  Matrix gate;                       // [n_ff][n_embd]
  Matrix up;                         // [n_ff][n_embd]
  Matrix down;                       // [n_embd][n_ff]
};

struct Weights {
  Matrix token_embd;                  // [n_vocab][n_embd]
  const float* output_norm = nullptr; // [n_embd]
  Matrix output;                      // [n_vocab][n_embd]; token_embd when tied
  bool tied_output = false;           // no output.weight in the file
  const float* rope_freqs = nullptr;  // [rope_dim/2] frequency divisors, or null
  std::vector<LayerWeights> layers;   // [n_layer]
};

// The matmul weights of one layer, packed.
struct PackedLayer {
  PackedWeights wq, wk, wv, wo, gate, up, down;
};

// Every matrix Forward multiplies, packed with DetectIsa(): for
// MatMulQ8Packed (8-bit activations, types with such a kernel) or else for
// MatMulPacked. token_embd stays raw (rows are dequantized for lookup).
struct Packs {
  std::vector<PackedLayer> layers;  // [n_layer]
  PackedWeights output;
  int64_t owned_bytes = 0;          // sum of owned_bytes() of the above
};

// A loaded model: the mapped file, its hyperparameters and weight views.
// Immutable after Load; share it between threads and engines.
class Model {
 public:
  // Opens, validates and maps `path`. Unsupported architectures and tensor
  // types are kUnsupported; missing tensors or wrong shapes kInvalidInput,
  // each naming the tensor.
  static Result<std::unique_ptr<Model>> Load(const std::string& path);
  static Result<std::unique_ptr<Model>> FromFile(std::unique_ptr<gguf::File> file);
  ~Model();

  const HParams& hparams() const { return hparams_; }
  const Weights& weights() const { return weights_; }
  const gguf::File& file() const { return *file_; }
  // Total weight parameters.
  int64_t num_params() const { return num_params_; }
  // The matrices packed for Forward with or without 8-bit activations;
  // each set is built on its first call (thread-safe; one pass over the
  // weights), then shared.
  const Packs& packs(bool q8_activations) const;

 private:
  Model() = default;
  std::unique_ptr<gguf::File> file_;
  HParams hparams_;
  Weights weights_;
  int64_t num_params_ = 0;
  mutable std::once_flag packs_once_[2];            // [q8_activations]
  mutable std::unique_ptr<Packs> packs_[2];
};

}  // namespace steer::model
