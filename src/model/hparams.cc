#include "steer/model/hparams.h"

#include <string>

#include "steer/gguf/gguf.h"

namespace steer::model {

const char* ArchName(Arch arch) {
  switch (arch) {
    case Arch::kLlama: return "llama";
    case Arch::kQwen2: return "qwen2";
  }
  return "?";
}

namespace {

// Upper bounds far above real models; they keep a hostile file from asking
// for absurd scratch buffers.
constexpr int64_t kMaxDim = 1 << 20;
constexpr int64_t kMaxLayers = 1 << 12;
constexpr int64_t kMaxContext = 1 << 24;

Result<int32_t> ReadDim(const gguf::File& file, const std::string& key, int64_t max,
                        const int64_t* fallback = nullptr) {
  int64_t v = 0;
  if (fallback != nullptr) {
    STEER_ASSIGN_OR_RETURN(v, file.GetIntOr(key, *fallback));
  } else {
    STEER_ASSIGN_OR_RETURN(v, file.GetInt(key));
  }
  if (v <= 0 || v > max) {
    return MakeError(ErrorCode::kInvalidInput,
                     "value " + std::to_string(v) + " is out of range [1, " + std::to_string(max) + "]",
                     file.path() + ": key " + key);
  }
  return static_cast<int32_t>(v);
}

}  // namespace

Result<HParams> ReadHParams(const gguf::File& file) {
  STEER_ASSIGN_OR_RETURN(std::string arch, file.GetString("general.architecture"));
  HParams hp;
  if (arch == "llama") {
    hp.arch = Arch::kLlama;
    hp.rope_style = RopeStyle::kNorm;
  } else if (arch == "qwen2") {
    hp.arch = Arch::kQwen2;
    hp.rope_style = RopeStyle::kNeox;
  } else {
    return MakeError(ErrorCode::kUnsupported,
                     "unsupported architecture '" + arch + "' (supported: llama, qwen2)",
                     file.path() + ": key general.architecture");
  }
  const std::string p = arch + ".";
  STEER_ASSIGN_OR_RETURN(hp.n_ctx_train, ReadDim(file, p + "context_length", kMaxContext));
  STEER_ASSIGN_OR_RETURN(hp.n_embd, ReadDim(file, p + "embedding_length", kMaxDim));
  STEER_ASSIGN_OR_RETURN(hp.n_layer, ReadDim(file, p + "block_count", kMaxLayers));
  STEER_ASSIGN_OR_RETURN(hp.n_ff, ReadDim(file, p + "feed_forward_length", kMaxDim));
  STEER_ASSIGN_OR_RETURN(hp.n_head, ReadDim(file, p + "attention.head_count", kMaxDim));
  const int64_t n_head = hp.n_head;
  STEER_ASSIGN_OR_RETURN(hp.n_head_kv, ReadDim(file, p + "attention.head_count_kv", kMaxDim, &n_head));
  const std::string loc = file.path() + ": key " + p;
  if (hp.n_embd % hp.n_head != 0) {
    return MakeError(ErrorCode::kInvalidInput, "embedding_length " + std::to_string(hp.n_embd) +
                                                   " is not a multiple of head_count " + std::to_string(hp.n_head),
                     loc + "attention.head_count");
  }
  if (hp.n_head % hp.n_head_kv != 0) {
    return MakeError(ErrorCode::kInvalidInput, "head_count " + std::to_string(hp.n_head) +
                                                   " is not a multiple of head_count_kv " + std::to_string(hp.n_head_kv),
                     loc + "attention.head_count_kv");
  }
  hp.head_dim = hp.n_embd / hp.n_head;
  const int64_t head_dim = hp.head_dim;
  STEER_ASSIGN_OR_RETURN(hp.rope_dim, ReadDim(file, p + "rope.dimension_count", kMaxDim, &head_dim));
  if (hp.rope_dim > hp.head_dim || hp.rope_dim % 2 != 0) {
    return MakeError(ErrorCode::kInvalidInput, "rope.dimension_count " + std::to_string(hp.rope_dim) +
                                                   " must be even and at most the head size " + std::to_string(hp.head_dim),
                     loc + "rope.dimension_count");
  }
  STEER_ASSIGN_OR_RETURN(double base, file.GetFloatOr(p + "rope.freq_base", 10000.0));
  if (!(base > 1.0)) {
    return MakeError(ErrorCode::kInvalidInput, "rope.freq_base must be > 1", loc + "rope.freq_base");
  }
  hp.rope_base = static_cast<float>(base);
  STEER_ASSIGN_OR_RETURN(double eps, file.GetFloat(p + "attention.layer_norm_rms_epsilon"));
  if (!(eps > 0.0 && eps < 1.0)) {
    return MakeError(ErrorCode::kInvalidInput, "layer_norm_rms_epsilon must be in (0, 1)",
                     loc + "attention.layer_norm_rms_epsilon");
  }
  hp.rms_eps = static_cast<float>(eps);
  return hp;
}

}  // namespace steer::model
