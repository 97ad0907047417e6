// Tokenizer unit and property tests on small hand-made vocabularies, plus
// round trips on the shared vocabularies.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "shared_data.h"
#include "steer/tokenizer/tokenizer.h"
#include "steer/util/check.h"
#include "steer/util/utf8.h"
#include "steer/gguf/gguf.h"
#include "tokenizer/bpe.h"
#include "tokenizer/spm.h"
#include "tokenizer/unicode.h"

namespace steer::tokenizer {
namespace {

// --- BPE: the rescan and heap merge loops agree -------------------------

TEST(BpeModel, RescanAndHeapAgreeOnRandomWords) {
  // Alphabet a..d as tokens 0..3; random merges over a growing vocabulary.
  std::mt19937 rng(1234);
  TokenId bytes[256];
  for (int b = 0; b < 256; ++b) bytes[b] = (b >= 'a' && b <= 'd') ? b - 'a' : kNoToken;
  std::vector<BpeModel::Merge> merges;
  TokenId next = 4;
  for (int i = 0; i < 60; ++i) {
    TokenId l = static_cast<TokenId>(rng() % next), r = static_cast<TokenId>(rng() % next);
    merges.push_back({l, r, next++});
  }
  BpeModel model(bytes, merges, {}, kNoToken);
  for (int trial = 0; trial < 2000; ++trial) {
    size_t len = 1 + rng() % 200;
    std::vector<TokenId> a(len);
    for (auto& x : a) x = static_cast<TokenId>(rng() % 4);
    std::vector<TokenId> b = a;
    model.MergeByRescan(&a);
    model.MergeByHeap(&b);
    ASSERT_EQ(a, b) << "trial " << trial;
  }
}

TEST(BpeModel, LowestRankFirstLeftmostOnTies) {
  TokenId bytes[256];
  for (int b = 0; b < 256; ++b) bytes[b] = (b >= 'a' && b <= 'c') ? b - 'a' : kNoToken;
  // rank 0: b c -> 3 ; rank 1: a b -> 4 ; rank 2: a a -> 5
  BpeModel model(bytes, {{1, 2, 3}, {0, 1, 4}, {0, 0, 5}}, {}, kNoToken);
  std::vector<TokenId> out;
  model.EncodeWord("abc", &out);  // "bc" merges first, then "a"+"bc" has no merge
  EXPECT_EQ(out, (std::vector<TokenId>{0, 3}));
  out.clear();
  model.EncodeWord("aaa", &out);  // leftmost pair first
  EXPECT_EQ(out, (std::vector<TokenId>{5, 0}));
}

// --- A tiny SPM vocabulary ------------------------------------------------

std::unique_ptr<Tokenizer> TinySpm() {
  VocabSpec s;
  s.kind = VocabKind::kSpm;
  s.texts = {"<unk>", "<s>", "</s>", "\xE2\x96\x81", "a", "b", "\xE2\x96\x81" "a", "ab",
             "\xE2\x96\x81" "ab", "<user>"};
  s.scores = {0, 0, 0, -1, -2, -2, -1.5f, -1, -0.5f, 0};
  s.types = {TokenType::kUnknown, TokenType::kControl, TokenType::kControl, TokenType::kNormal,
             TokenType::kNormal,  TokenType::kNormal,  TokenType::kNormal,  TokenType::kNormal,
             TokenType::kNormal,  TokenType::kUserDefined};
  for (int b = 0; b < 256; ++b) {
    char hex[8];
    std::snprintf(hex, sizeof(hex), "<0x%02X>", b);
    s.texts.push_back(hex);
    s.scores.push_back(0);
    s.types.push_back(TokenType::kByte);
  }
  s.bos = 1;
  s.eos = 2;
  s.unk = 0;
  s.add_bos = true;
  s.add_space_prefix = true;
  auto t = Tokenizer::FromSpec(std::move(s));
  STEER_CHECK(t.ok());
  return std::move(t).value();
}

constexpr TokenId kByte0 = 10;  // id of <0x00>

TEST(Spm, MergesByScoreAndFallsBackToBytes) {
  auto t = TinySpm();
  EXPECT_EQ(*t->Encode("ab"), (std::vector<TokenId>{1, 8}));  // <s> ▁ab
  EXPECT_EQ(*t->Encode("ab", {.add_special = false}), (std::vector<TokenId>{8}));
  EXPECT_EQ(*t->Encode("c", {.add_special = false}),
            (std::vector<TokenId>{3, kByte0 + 'c'}));  // ▁ then <0x63>
  EXPECT_EQ(*t->Encode("", {.add_special = true}), (std::vector<TokenId>{1}));
  EXPECT_EQ(*t->Encode("", {.add_special = false}), (std::vector<TokenId>{}));
}

TEST(Spm, SpecialTokens) {
  auto t = TinySpm();
  // Control text is plain text unless parse_special; user-defined always matches.
  EXPECT_EQ(*t->Encode("a<s>", {.add_special = false, .parse_special = true}),
            (std::vector<TokenId>{6, 1}));
  EXPECT_EQ(*t->Encode("<user>a", {.add_special = false}), (std::vector<TokenId>{9, 6}));
  auto plain = *t->Encode("<s>", {.add_special = false});
  EXPECT_EQ(plain.size(), 4u);  // ▁ < s > as ▁ and three byte tokens
}

TEST(Spm, TokenBytesAndDecode) {
  auto t = TinySpm();
  EXPECT_EQ(t->TokenBytes(6), " a");
  EXPECT_EQ(t->TokenBytes(kByte0 + 0xE6), "\xE6");
  EXPECT_EQ(t->TokenBytes(1), "");  // control: no text
  EXPECT_EQ(t->TokenText(1), "<s>");
  EXPECT_EQ(t->TokenBytes(9), "<user>");
  std::vector<TokenId> ids = {1, 6, 5, 9, 6};
  // The space after BOS and after the user-defined token is the encoder's.
  EXPECT_EQ(t->Decode(ids), "ab<user>a");
}

TEST(Errors, InvalidUtf8NamesTheOffset) {
  auto t = TinySpm();
  auto r = t->Encode(std::string("ab\xC3(", 4));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(r.error().ToString().find("byte offset 2"), std::string::npos) << r.error().ToString();
}

TEST(Errors, BadSpecs) {
  VocabSpec s;
  s.kind = VocabKind::kBpe;
  s.texts = {"a", "b"};
  s.merges = {{"a", "b"}};  // "ab" is not a token
  auto r = Tokenizer::FromSpec(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().ToString().find("merge 0"), std::string::npos);
  s.merges.clear();
  s.bos = 7;
  r = Tokenizer::FromSpec(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().ToString().find("bos"), std::string::npos);
}

TEST(HfJson, UnknownPreTokenizerIsNamed) {
  const char* json = R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []},
    "pre_tokenizer": {"type": "Whitespace"}})";
  auto r = Tokenizer::FromHfJsonText(json, "", "tok.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(r.error().ToString().find("Whitespace"), std::string::npos) << r.error().ToString();
  EXPECT_NE(r.error().ToString().find("/pre_tokenizer"), std::string::npos);
}

TEST(HfJson, MalformedJsonNamesTheOffset) {
  auto r = Tokenizer::FromHfJsonText("{\"model\": [", "", "tok.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().ToString().find("byte offset"), std::string::npos);
}

TEST(HfJson, MinimalByteLevelBpe) {
  // "Ġ" is the byte-level space.
  const char* json = R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "Ġ": 2, "ab": 3,
    "Ġab": 4}, "merges": ["a b", "Ġ ab"]},
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
    "added_tokens": [{"id": 5, "content": "<eot>", "special": true}]})";
  auto t = Tokenizer::FromHfJsonText(json, R"({"eos_token": "<eot>"})", "tok.json");
  ASSERT_TRUE(t.ok()) << t.error().ToString();
  EXPECT_EQ(*(*t)->Encode("ab ab"), (std::vector<TokenId>{3, 4}));
  EXPECT_EQ(*(*t)->Encode("ab<eot>", {.parse_special = true}), (std::vector<TokenId>{3, 5}));
  EXPECT_EQ((*t)->eos(), 5);
  EXPECT_EQ((*t)->TokenBytes(4), " ab");
}

// --- Round trips and byte agreement on every shared vocabulary ------------

const char* const kVocabFiles[] = {
    "vocab/ggml-vocab-llama-spm.gguf", "vocab/ggml-vocab-phi-3.gguf",
    "vocab/ggml-vocab-baichuan.gguf",  "vocab/ggml-vocab-gpt-2.gguf",
    "vocab/ggml-vocab-mpt.gguf",       "vocab/ggml-vocab-gpt-neox.gguf",
    "vocab/ggml-vocab-falcon.gguf",    "vocab/ggml-vocab-starcoder.gguf",
    "vocab/ggml-vocab-refact.gguf",    "vocab/ggml-vocab-deepseek-coder.gguf",
    "vocab/ggml-vocab-deepseek-llm.gguf", "vocab/hf/llama3/tokenizer.json",
    "vocab/hf/qwen3/tokenizer.json",   "models/stories260K.gguf",
};

const Tokenizer& Shared(const std::string& path) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  auto it = cache.find(path);
  if (it == cache.end()) {
    auto t = Tokenizer::Load(path);
    STEER_CHECK_MSG(t.ok(), t.ok() ? "" : t.error().ToString().c_str());
    it = cache.emplace(path, std::move(t).value()).first;
  }
  return *it->second;
}

// Random valid UTF-8 mixing ASCII (letters, digits, spaces, punctuation,
// newlines), Latin, Cyrillic, CJK, emoji and combining marks.
std::string RandomText(std::mt19937& rng, size_t n_chars) {
  static const uint32_t kPools[][2] = {{0x20, 0x7E}, {0x20, 0x20}, {0x0A, 0x0A}, {0x09, 0x09},
                                       {0xA0, 0x17F}, {0x400, 0x44F}, {0x300, 0x36F},
                                       {0x4E00, 0x4FFF}, {0x3000, 0x303F}, {0x1F600, 0x1F64F},
                                       {0x17A0, 0x17FF}, {0x10000, 0x10FFFD}};
  std::string s;
  for (size_t i = 0; i < n_chars; ++i) {
    const auto& p = kPools[rng() % std::size(kPools)];
    uint32_t cp = p[0] + rng() % (p[1] - p[0] + 1);
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 'x';
    utf8::Append(cp, &s);
  }
  return s;
}

// Whether every byte of text has a token (BPE: its byte-level character;
// SPM: <0xNN>). Some vocabularies lack bytes never seen in training (falcon
// has no token for 0xF1); such bytes are dropped, so no round trip exists.
bool Representable(const Tokenizer& t, std::string_view text) {
  for (char c : text) {
    uint8_t b = static_cast<uint8_t>(c);
    std::string key;
    if (t.kind() == VocabKind::kBpe) {
      utf8::Append(ByteToCodepoint(b), &key);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "<0x%02X>", b);
      key = hex;
    }
    if (t.FindText(key) == kNoToken) return false;
  }
  return true;
}

class SharedVocab : public ::testing::TestWithParam<const char*> {};

TEST_P(SharedVocab, DecodeOfEncodeIsIdentity) {
  STEER_REQUIRE_SHARED(path, GetParam());
  const Tokenizer& t = Shared(path);
  std::mt19937 rng(42);
  int checked = 0;
  for (int trial = 0; trial < 200; ++trial) {
    std::string text = RandomText(rng, rng() % 40);
    if (!Representable(t, text)) continue;
    ++checked;
    for (bool add_special : {false, true}) {
      auto ids = t.Encode(text, {.add_special = add_special, .parse_special = false});
      ASSERT_TRUE(ids.ok());
      ASSERT_EQ(t.Decode(*ids), text) << GetParam() << " trial " << trial;
    }
  }
  EXPECT_GT(checked, 50);
}

TEST_P(SharedVocab, StreamDecoderEqualsDecodeAndHoldsPartialUtf8) {
  STEER_REQUIRE_SHARED(path, GetParam());
  const Tokenizer& t = Shared(path);
  std::mt19937 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    std::string text = RandomText(rng, 30);
    if (!Representable(t, text)) continue;
    auto ids = *t.Encode(text);
    StreamDecoder d(t);
    std::string streamed;
    for (TokenId id : ids) {
      std::string part = d.Push(id);
      EXPECT_TRUE(utf8::IsValid(part));  // the input was valid, so every chunk is
      streamed += part;
    }
    streamed += d.Finish();
    EXPECT_EQ(streamed, t.Decode(ids));
  }
}

TEST_P(SharedVocab, TokenBytesAgreesWithSingleTokenDecode) {
  STEER_REQUIRE_SHARED(path, GetParam());
  const Tokenizer& t = Shared(path);
  for (TokenId id = 0; id < t.vocab_size(); ++id) {
    std::string single = t.Decode(std::span<const TokenId>(&id, 1));
    std::string bytes = t.TokenBytes(id);
    if (t.add_space_prefix() && !t.IsSpecial(id) && !bytes.empty() && bytes[0] == ' ') {
      bytes.erase(0, 1);  // a lone first token loses the encoder's space
    }
    if (t.type(id) == TokenType::kUnused) bytes.clear();
    ASSERT_EQ(single, bytes) << "token " << id;
    // Normal tokens encode back to themselves when their bytes are valid text
    // and the encoder would not re-split them.
  }
}

// The split SPM encoder (segments at "▁" boundaries) agrees with merging the
// whole text at once, on the llama vocabulary.
TEST(SpmModel, SplitAgreesWithWholeText) {
  STEER_REQUIRE_SHARED(path, "vocab/ggml-vocab-llama-spm.gguf");
  auto file = gguf::File::Open(path);
  ASSERT_TRUE(file.ok());
  std::vector<std::string> texts;
  std::vector<float> scores;
  for (const auto& v : (*file)->Find("tokenizer.ggml.tokens")->elements()) texts.push_back(*v.GetString());
  for (const auto& v : (*file)->Find("tokenizer.ggml.scores")->elements()) {
    double d;
    ASSERT_TRUE(v.GetFloat(&d));
    scores.push_back(static_cast<float>(d));
  }
  std::unordered_map<std::string_view, TokenId> map;
  for (size_t i = 0; i < texts.size(); ++i) map[texts[i]] = static_cast<TokenId>(i);
  TokenId bytes[256];
  for (int b = 0; b < 256; ++b) bytes[b] = 3 + b;  // <0x00> is id 3 in llama
  SpmModel model(map, scores, bytes);
  ASSERT_TRUE(model.splits());
  std::mt19937 rng(99);
  for (int trial = 0; trial < 300; ++trial) {
    std::string raw = RandomText(rng, rng() % 60), escaped = "\xE2\x96\x81";
    for (char c : raw) {
      if (c == ' ') {
        escaped += "\xE2\x96\x81";
      } else {
        escaped += c;
      }
    }
    std::vector<TokenId> split, whole;
    model.Encode(escaped, &split);
    model.EncodeWhole(escaped, &whole);
    ASSERT_EQ(split, whole) << "trial " << trial;
  }
}

INSTANTIATE_TEST_SUITE_P(All, SharedVocab, ::testing::ValuesIn(kVocabFiles));

}  // namespace
}  // namespace steer::tokenizer
