#include "steer/model/weights.h"

#include <string>

#include "steer/gguf/gguf.h"
#include "steer/model/kernels.h"

namespace steer::model {

const void* Matrix::Row(int64_t r) const {
  return static_cast<const uint8_t*>(data) + static_cast<size_t>(r) * gguf::RowBytes(type, cols);
}

namespace {

std::string DimsString(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

class Binder {
 public:
  explicit Binder(const gguf::File& file) : file_(file) {}

  // Finds `name` and checks its dims (ggml order). Null when absent and optional.
  Result<const gguf::TensorInfo*> Find(const std::string& name, std::vector<int64_t> dims, bool optional) {
    const gguf::TensorInfo* t = file_.FindTensor(name);
    if (t == nullptr) {
      if (optional) return static_cast<const gguf::TensorInfo*>(nullptr);
      return MakeError(ErrorCode::kInvalidInput, "missing tensor " + name, file_.path());
    }
    if (t->dims != dims) {
      return MakeError(ErrorCode::kInvalidInput,
                       "tensor " + name + " has dims " + DimsString(t->dims) + ", expected " + DimsString(dims),
                       file_.path());
    }
    num_params += t->num_elements();
    return t;
  }

  Result<Matrix> Mat(const std::string& name, int64_t rows, int64_t cols) {
    STEER_ASSIGN_OR_RETURN(const gguf::TensorInfo* t, Find(name, {cols, rows}, false));
    if (!IsSupportedWeightType(t->type)) {
      return MakeError(ErrorCode::kUnsupported,
                       std::string("tensor ") + name + " has type " + gguf::TensorTypeName(t->type) +
                           ", which is not supported",
                       file_.path());
    }
    return Matrix{t->type, file_.TensorData(*t), rows, cols};
  }

  // A 1-D F32 vector, or null when optional and absent.
  Result<const float*> Vec(const std::string& name, int64_t n, bool optional = false) {
    STEER_ASSIGN_OR_RETURN(const gguf::TensorInfo* t, Find(name, {n}, optional));
    if (t == nullptr) return static_cast<const float*>(nullptr);
    if (t->type != gguf::TensorType::kF32) {
      return MakeError(ErrorCode::kUnsupported,
                       std::string("vector tensor ") + name + " has type " + gguf::TensorTypeName(t->type) +
                           ", only F32 is supported",
                       file_.path());
    }
    return reinterpret_cast<const float*>(file_.TensorData(*t));
  }

  int64_t num_params = 0;

 private:
  const gguf::File& file_;
};

}  // namespace

Model::~Model() = default;

const Packs& Model::packs(bool q8_activations) const {
  const int i = q8_activations ? 1 : 0;
  std::call_once(packs_once_[i], [this, i, q8_activations] {
    auto packs = std::make_unique<Packs>();
    auto pack = [&](const Matrix& m) {
      PackedWeights p = q8_activations && HasQ8ActivationKernel(m.type)
                            ? PackForQ8(m.type, m.data, m.rows, m.cols)
                            : PackForMatMul(m.type, m.data, m.rows, m.cols);
      packs->owned_bytes += p.owned_bytes();
      return p;
    };
    for (const LayerWeights& L : weights_.layers) {
      packs->layers.push_back(PackedLayer{pack(L.wq), pack(L.wk), pack(L.wv), pack(L.wo),
                                          pack(L.gate), pack(L.up), pack(L.down)});
    }
    packs->output = pack(weights_.output);
    packs_[i] = std::move(packs);
  });
  return *packs_[i];
}

Result<std::unique_ptr<Model>> Model::Load(const std::string& path) {
  STEER_ASSIGN_OR_RETURN(std::unique_ptr<gguf::File> file, gguf::File::Open(path));
  return FromFile(std::move(file));
}

Result<std::unique_ptr<Model>> Model::FromFile(std::unique_ptr<gguf::File> file) {
  STEER_ASSIGN_OR_RETURN(HParams hp, ReadHParams(*file));
  const gguf::TensorInfo* embd = file->FindTensor("token_embd.weight");
  if (embd == nullptr) {
    return MakeError(ErrorCode::kInvalidInput, "missing tensor token_embd.weight", file->path());
  }
  if (embd->dims.size() != 2 || embd->dims[1] <= 0 || embd->dims[1] > (int64_t{1} << 24)) {
    return MakeError(ErrorCode::kInvalidInput,
                     "tensor token_embd.weight has dims " + DimsString(embd->dims) + ", expected [n_embd, n_vocab]",
                     file->path());
  }
  hp.n_vocab = static_cast<int32_t>(embd->dims[1]);

  Binder b(*file);
  Weights w;
  const int64_t E = hp.n_embd, V = hp.n_vocab, Q = hp.q_dim(), KV = hp.kv_dim(), F = hp.n_ff;
  STEER_ASSIGN_OR_RETURN(w.token_embd, b.Mat("token_embd.weight", V, E));
  STEER_ASSIGN_OR_RETURN(w.output_norm, b.Vec("output_norm.weight", E));
  if (file->FindTensor("output.weight") != nullptr) {
    STEER_ASSIGN_OR_RETURN(w.output, b.Mat("output.weight", V, E));
  } else {
    w.output = w.token_embd;
    w.tied_output = true;
  }
  STEER_ASSIGN_OR_RETURN(w.rope_freqs, b.Vec("rope_freqs.weight", hp.rope_dim / 2, /*optional=*/true));
  const bool qkv_bias = hp.arch == Arch::kQwen2;
  w.layers.resize(hp.n_layer);
  for (int l = 0; l < hp.n_layer; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    LayerWeights& L = w.layers[l];
    STEER_ASSIGN_OR_RETURN(L.attn_norm, b.Vec(p + "attn_norm.weight", E));
    STEER_ASSIGN_OR_RETURN(L.wq, b.Mat(p + "attn_q.weight", Q, E));
    STEER_ASSIGN_OR_RETURN(L.wk, b.Mat(p + "attn_k.weight", KV, E));
    STEER_ASSIGN_OR_RETURN(L.wv, b.Mat(p + "attn_v.weight", KV, E));
    STEER_ASSIGN_OR_RETURN(L.wo, b.Mat(p + "attn_output.weight", E, Q));
    if (qkv_bias) {
      STEER_ASSIGN_OR_RETURN(L.bq, b.Vec(p + "attn_q.bias", Q));
      STEER_ASSIGN_OR_RETURN(L.bk, b.Vec(p + "attn_k.bias", KV));
      STEER_ASSIGN_OR_RETURN(L.bv, b.Vec(p + "attn_v.bias", KV));
    }
    STEER_ASSIGN_OR_RETURN(L.ffn_norm, b.Vec(p + "ffn_norm.weight", E));
    STEER_ASSIGN_OR_RETURN(L.gate, b.Mat(p + "ffn_gate.weight", F, E));
    STEER_ASSIGN_OR_RETURN(L.up, b.Mat(p + "ffn_up.weight", F, E));
    STEER_ASSIGN_OR_RETURN(L.down, b.Mat(p + "ffn_down.weight", E, F));
  }

  std::unique_ptr<Model> m(new Model());
  m->file_ = std::move(file);
  m->hparams_ = hp;
  m->weights_ = std::move(w);
  m->num_params_ = b.num_params;
  return m;
}

}  // namespace steer::model
