// libFuzzer target for model loading and one decode. Any GGUF image must
// either be rejected with an Error or load and decode two tokens without a
// crash or sanitizer report (shapes are validated against the
// hyperparameters, so nothing reads outside the tensors). Seeds: the tiny
// models in ../shared/models (their bytes, not copied here).
#include <cstdint>
#include <string_view>

#include "steer/engine/engine.h"
#include "steer/gguf/gguf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  steer::gguf::ReadLimits limits;
  limits.max_tensors = 256;
  limits.max_metadata = 256;
  limits.max_array_elements = 1 << 16;
  auto file = steer::gguf::File::FromBytes(std::string_view(reinterpret_cast<const char*>(data), size), limits);
  if (!file.ok()) return 0;
  auto model = steer::model::Model::FromFile(std::move(file).value());
  if (!model.ok()) return 0;
  // Bound the work a valid but huge model can ask for.
  const auto& hp = (*model)->hparams();
  if (static_cast<int64_t>(hp.n_embd) * hp.n_layer > (1 << 20) || hp.n_ff > (1 << 16)) return 0;
  steer::engine::EngineOptions options;
  options.threads = 1;
  options.n_ctx = 8;
  auto engine = steer::engine::Engine::Create(std::shared_ptr<const steer::model::Model>(std::move(model).value()),
                                              options);
  if (!engine.ok()) return 0;
  steer::engine::Batch batch;
  const steer::SeqId seq = (*engine)->NewSequence();
  batch.Add(0, 0, seq, false);
  batch.Add((*engine)->n_vocab() - 1, 1, seq, true);
  (void)(*engine)->Decode(batch);
  return 0;
}
