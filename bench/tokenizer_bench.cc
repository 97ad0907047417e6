// Encode throughput (MB/s of UTF-8 input) on ~1 MiB of mixed text: English
// prose, C++/Python code, Chinese, Japanese and Russian, assembled
// deterministically from embedded snippets with random numbers and
// identifiers mixed in (fixed seed).
//
//   build/bench/tokenizer_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// Needs ../shared (or $STEER_SHARED) for the vocabularies.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "steer/tokenizer/tokenizer.h"

namespace {

const char* const kSnippets[] = {
    "The quick brown fox jumps over the lazy dog. It was the best of times, it was the worst "
    "of times, it was the age of wisdom, it was the age of foolishness. ",
    "Constrained decoding masks every token whose bytes would leave the language; a tokenizer "
    "that is off by one merge silently breaks every mask built on it. ",
    "int main(int argc, char** argv) {\n  std::vector<int> v = {1, 2, 3};\n  for (int x : v) "
    "printf(\"%d\\n\", x * 2);\n  return 0;\n}\n",
    "def fib(n: int) -> int:\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n\n",
    "    if (err != nullptr && err->code == ErrorCode::kInvalidInput) { return Status(*err); }\n",
    "我们在苹果公司工作了三年，然后去了北京。语言模型在约束下采样文本。",
    "今日は良い天気ですね。東京の桜はとても綺麗でした。",
    "Съешь же ещё этих мягких французских булок, да выпей чаю. ",
    "\"Hello,\" she said — \"y'all aren't ready!\" (It's 3.14159...) ",
    "  \t\n\n",
    "🦙 emoji 😀👍🏽 mixed in ✅ ",
};

std::string MixedText(size_t bytes) {
  std::mt19937 rng(2024);
  std::string s;
  s.reserve(bytes + 256);
  while (s.size() < bytes) {
    s += kSnippets[rng() % std::size(kSnippets)];
    switch (rng() % 4) {
      case 0: s += std::to_string(rng() % 100000) + " "; break;
      case 1: s += "id_" + std::to_string(rng() % 5000) + " = "; break;
      default: break;
    }
  }
  return s;
}

std::string SharedPath(const std::string& rel) {
  const char* env = std::getenv("STEER_SHARED");
  std::string dir = env ? env : STEER_SHARED_DIR_DEFAULT;
  std::string p = dir + "/" + rel;
  return std::filesystem::exists(p) ? p : "";
}

void BM_Encode(benchmark::State& state, const char* rel) {
  std::string path = SharedPath(rel);
  if (path.empty()) {
    state.SkipWithError((std::string("missing ../shared/") + rel).c_str());
    return;
  }
  auto tok = steer::tokenizer::Tokenizer::Load(path);
  if (!tok.ok()) {
    state.SkipWithError(tok.error().ToString().c_str());
    return;
  }
  const std::string text = MixedText(1 << 20);
  size_t tokens = 0;
  for (auto _ : state) {
    auto ids = (*tok)->Encode(text, {.add_special = false});
    tokens = ids->size();
    benchmark::DoNotOptimize(ids->data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
  state.counters["tokens"] = static_cast<double>(tokens);
}

BENCHMARK_CAPTURE(BM_Encode, llama3_bpe, "vocab/hf/llama3/tokenizer.json")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, qwen3_bpe, "vocab/hf/qwen3/tokenizer.json")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, gpt2_bpe, "vocab/ggml-vocab-gpt-2.gguf")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, llama_spm, "vocab/ggml-vocab-llama-spm.gguf")
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
