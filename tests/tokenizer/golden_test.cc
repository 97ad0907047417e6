// Golden tests: llama.cpp's tokenizer vectors (../shared/vocab) and the
// tokenize_cases of ../shared/golden/*.json reproduce exactly.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "shared_data.h"
#include "steer/tokenizer/tokenizer.h"
#include "steer/util/check.h"
#include "steer/util/file.h"
#include "steer/util/strings.h"

namespace steer::tokenizer {
namespace {

struct VocabCase {
  const char* name;        // X in ggml-vocab-X.gguf.inp
  const char* vocab_file;  // relative to ../shared
};

const VocabCase kCovered[] = {
    {"llama-spm", "vocab/ggml-vocab-llama-spm.gguf"},
    {"phi-3", "vocab/ggml-vocab-phi-3.gguf"},
    {"gpt-2", "vocab/ggml-vocab-gpt-2.gguf"},
    {"mpt", "vocab/ggml-vocab-mpt.gguf"},
    {"falcon", "vocab/ggml-vocab-falcon.gguf"},
    {"starcoder", "vocab/ggml-vocab-starcoder.gguf"},
    {"refact", "vocab/ggml-vocab-refact.gguf"},
    {"deepseek-coder", "vocab/ggml-vocab-deepseek-coder.gguf"},
    {"deepseek-llm", "vocab/ggml-vocab-deepseek-llm.gguf"},
    {"llama-bpe", "vocab/hf/llama3/tokenizer.json"},
    {"qwen2", "vocab/hf/qwen3/tokenizer.json"},
};

// Vectors with no vocabulary here (the .gguf is not in the snapshot), and
// WordPiece, which is out of scope.
const char* const kNotCovered[] = {"chameleon", "command-r", "deepseek-r1-qwen", "roberta-bpe",
                                   "bert-bge"};

const Tokenizer& Load(const std::string& path) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  auto it = cache.find(path);
  if (it == cache.end()) {
    auto t = Tokenizer::Load(path);
    STEER_CHECK_MSG(t.ok(), t.ok() ? "" : t.error().ToString().c_str());
    it = cache.emplace(path, std::move(t).value()).first;
  }
  return *it->second;
}

std::vector<std::string> SplitInputs(const std::string& text) {
  std::vector<std::string> out;
  const std::string sep = "\n__ggml_vocab_test__\n";
  size_t at = 0;
  while (true) {
    size_t k = text.find(sep, at);
    if (k == std::string::npos) {
      out.push_back(text.substr(at));
      break;
    }
    out.push_back(text.substr(at, k - at));
    at = k + sep.size();
  }
  return out;
}

std::vector<std::vector<TokenId>> ParseOutputs(const std::string& text) {
  std::vector<std::vector<TokenId>> out;
  for (std::string_view line : Split(text, "\n")) {
    std::vector<TokenId> ids;
    for (std::string_view w : Split(line, " ")) {
      if (w.empty()) continue;
      auto v = ParseInt(w);
      STEER_CHECK(v.has_value());
      ids.push_back(static_cast<TokenId>(*v));
    }
    out.push_back(ids);
  }
  if (!out.empty() && out.back().empty() && !text.empty() && text.back() == '\n') out.pop_back();
  return out;
}

class VocabGolden : public ::testing::TestWithParam<VocabCase> {};

TEST_P(VocabGolden, ReproducesLlamaCppVectors) {
  const VocabCase& c = GetParam();
  std::string stem = std::string("vocab/ggml-vocab-") + c.name + ".gguf";
  STEER_REQUIRE_SHARED(inp_path, stem + ".inp");
  STEER_REQUIRE_SHARED(out_path, stem + ".out");
  STEER_REQUIRE_SHARED(vocab_path, c.vocab_file);
  const Tokenizer& t = Load(vocab_path);
  std::vector<std::string> inputs = SplitInputs(ReadFile(inp_path).value());
  std::vector<std::vector<TokenId>> outputs = ParseOutputs(ReadFile(out_path).value());
  // The .inp ends with a separator, so its last chunk is empty and unpaired.
  if (inputs.size() == outputs.size() + 1 && inputs.back().empty()) inputs.pop_back();
  ASSERT_EQ(inputs.size(), outputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto ids = t.Encode(inputs[i], {.add_special = false, .parse_special = false});
    ASSERT_TRUE(ids.ok()) << ids.error().ToString();
    EXPECT_EQ(*ids, outputs[i]) << c.name << " case " << i << ": " << JsonString(inputs[i]);
  }
}

INSTANTIATE_TEST_SUITE_P(Vocabs, VocabGolden, ::testing::ValuesIn(kCovered),
                         [](const auto& info) {
                           std::string s = info.param.name;
                           for (char& ch : s) {
                             if (ch == '-') ch = '_';
                           }
                           return s;
                         });

TEST(VocabGolden, EveryVectorFileIsCoveredOrListed) {
  STEER_REQUIRE_SHARED(dir, "vocab");
  std::set<std::string> known;
  for (const VocabCase& c : kCovered) known.insert(c.name);
  for (const char* n : kNotCovered) known.insert(n);
  std::set<std::string> found;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::string f = e.path().filename().string();
    const std::string prefix = "ggml-vocab-", suffix = ".gguf.inp";
    if (f.size() > prefix.size() + suffix.size() && f.starts_with(prefix) && f.ends_with(suffix)) {
      found.insert(f.substr(prefix.size(), f.size() - prefix.size() - suffix.size()));
    }
  }
  EXPECT_EQ(found, known);
  std::string listed;
  for (const char* n : kNotCovered) listed += std::string(" ") + n;
  std::cout << "not covered (no vocabulary file here; bert-bge is WordPiece, out of scope):"
            << listed << "\n";
}

class TokenizeCases : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(TokenizeCases, AllThreeSpecialModes) {
  auto [json_rel, model_rel] = GetParam();
  STEER_REQUIRE_SHARED(json_path, json_rel);
  STEER_REQUIRE_SHARED(model_path, model_rel);
  const Tokenizer& t = Load(model_path);
  auto j = nlohmann::json::parse(ReadFile(json_path).value());
  ASSERT_GT(j["tokenize_cases"].size(), 0u);
  for (const auto& c : j["tokenize_cases"]) {
    std::string text = c["text"].get<std::string>();
    struct Mode {
      const char* key;
      EncodeOptions options;
    };
    for (const Mode& m : {Mode{"add_special", {true, false}}, Mode{"no_special", {false, false}},
                          Mode{"no_special_parse_special", {false, true}}}) {
      auto ids = t.Encode(text, m.options);
      ASSERT_TRUE(ids.ok()) << ids.error().ToString();
      EXPECT_EQ(*ids, c[m.key].get<std::vector<TokenId>>()) << m.key << ": " << JsonString(text);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Models, TokenizeCases,
    ::testing::Values(std::pair{"golden/stories260K.json", "models/stories260K.gguf"},
                      std::pair{"golden/llama-2-tiny-random.json", "models/llama-2-tiny-random.gguf"}));

// token_pieces_hex in the goldens are llama.cpp's token_to_piece bytes.
TEST(TokenBytesGolden, MatchesLlamaCppPieces) {
  STEER_REQUIRE_SHARED(json_path, "golden/stories260K.json");
  STEER_REQUIRE_SHARED(model_path, "models/stories260K.gguf");
  const Tokenizer& t = Load(model_path);
  auto j = nlohmann::json::parse(ReadFile(json_path).value());
  size_t checked = 0;
  for (const auto& c : j["cases"]) {
    auto ids = c["greedy"]["ids"].get<std::vector<TokenId>>();
    auto hex = c["greedy"]["pieces_hex"].get<std::vector<std::string>>();
    ASSERT_EQ(ids.size(), hex.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      EXPECT_EQ(HexEncode(t.TokenBytes(ids[i])), hex[i]) << "token " << ids[i];
      ++checked;
    }
  }
  EXPECT_GT(checked, 0u);
}

}  // namespace
}  // namespace steer::tokenizer
