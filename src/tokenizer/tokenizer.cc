// Tokenizer construction and encoding. Decoding is in decode.cc, the file
// loaders in gguf_vocab.cc and hf_json.cc.
#include "steer/tokenizer/tokenizer.h"

#include <algorithm>
#include <cstdio>

#include "steer/util/check.h"
#include "steer/util/utf8.h"
#include "tokenizer/bpe.h"
#include "tokenizer/special.h"
#include "tokenizer/spm.h"
#include "tokenizer/unicode.h"

namespace steer::tokenizer {
namespace {

constexpr std::string_view kSpmSpace = "\xE2\x96\x81";  // U+2581 "▁"

// SPM token text -> bytes: "▁" -> ' '.
std::string SpmUnescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text.substr(i, 3) == kSpmSpace) {
      out += ' ';
      i += 3;
    } else {
      out += text[i++];
    }
  }
  return out;
}

// Byte-level token text -> bytes. Code points outside the byte alphabet (and
// invalid UTF-8) are copied unchanged; *all_mapped tells whether any were.
std::string ByteLevelDecode(std::string_view text, bool* all_mapped) {
  std::string out;
  out.reserve(text.size());
  *all_mapped = true;
  for (size_t i = 0; i < text.size();) {
    size_t len;
    uint32_t cp = utf8::Decode(text, i, &len);
    int b = cp == utf8::kInvalid ? -1 : CodepointToByte(cp);
    if (b >= 0) {
      out += static_cast<char>(b);
    } else {
      out.append(text.substr(i, len));
      *all_mapped = false;
    }
    i += len;
  }
  return out;
}

// "<0xNN>" -> NN, or -1.
int ParseByteToken(std::string_view text) {
  if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
  int v = 0;
  for (size_t i = 3; i < 5; ++i) {
    char c = text[i];
    int d = (c >= '0' && c <= '9')   ? c - '0'
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                                     : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

}  // namespace

Tokenizer::Tokenizer() = default;
Tokenizer::~Tokenizer() = default;

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromSpec(VocabSpec spec) {
  std::unique_ptr<Tokenizer> t(new Tokenizer());
  STEER_RETURN_IF_ERROR(t->Build(std::move(spec)));
  return t;
}

Status Tokenizer::Build(VocabSpec spec) {
  const std::string& loc = spec.location;
  const size_t n = spec.texts.size();
  if (n == 0) return MakeError(ErrorCode::kInvalidInput, "the vocabulary is empty", loc);
  if (n > static_cast<size_t>(INT32_MAX)) {
    return MakeError(ErrorCode::kResourceExhausted, "too many tokens", loc);
  }
  if (!spec.types.empty() && spec.types.size() != n) {
    return MakeError(ErrorCode::kInvalidInput,
                     "token_type has " + std::to_string(spec.types.size()) + " entries for " +
                         std::to_string(n) + " tokens",
                     loc);
  }
  if (spec.kind == VocabKind::kSpm && spec.scores.size() != n) {
    return MakeError(ErrorCode::kInvalidInput,
                     "scores has " + std::to_string(spec.scores.size()) + " entries for " +
                         std::to_string(n) + " tokens",
                     loc);
  }
  for (auto [id, name] : {std::pair{spec.bos, "bos"}, {spec.eos, "eos"}, {spec.unk, "unk"}}) {
    if (id != kNoToken && (id < 0 || static_cast<size_t>(id) >= n)) {
      return MakeError(ErrorCode::kInvalidInput,
                       std::string(name) + " token id " + std::to_string(id) +
                           " is outside the vocabulary of " + std::to_string(n),
                       loc);
    }
  }
  if (spec.add_bos && spec.bos == kNoToken) {
    return MakeError(ErrorCode::kInvalidInput, "add_bos is set but there is no BOS token", loc);
  }
  if (spec.add_eos && spec.eos == kNoToken) {
    return MakeError(ErrorCode::kInvalidInput, "add_eos is set but there is no EOS token", loc);
  }

  kind_ = spec.kind;
  pre_ = spec.kind == VocabKind::kBpe ? spec.pre : PreTokenizer::kNone;
  texts_ = std::move(spec.texts);
  types_ = spec.types.empty() ? std::vector<TokenType>(n, TokenType::kNormal) : std::move(spec.types);
  bos_ = spec.bos;
  eos_ = spec.eos;
  unk_ = spec.unk;
  add_bos_ = spec.add_bos;
  add_eos_ = spec.add_eos;
  add_space_prefix_ = spec.kind == VocabKind::kSpm && spec.add_space_prefix;

  text_to_id_.reserve(n);
  for (size_t i = 0; i < n; ++i) text_to_id_[texts_[i]] = static_cast<TokenId>(i);  // last wins

  // Token bytes (see the header for the rules per type).
  bytes_.resize(n);
  std::vector<bool> fully_byte_level(n, false);
  for (size_t i = 0; i < n; ++i) {
    const std::string& text = texts_[i];
    switch (types_[i]) {
      case TokenType::kControl:
      case TokenType::kUnknown:
      case TokenType::kUnused:
        break;
      case TokenType::kUserDefined:
        bytes_[i] = text;
        break;
      case TokenType::kByte: {
        int b = ParseByteToken(text);
        if (b >= 0) {
          bytes_[i] = std::string(1, static_cast<char>(b));
          break;
        }
        if (kind_ == VocabKind::kSpm) {
          return MakeError(ErrorCode::kInvalidInput,
                           "byte token " + std::to_string(i) + " has text '" + text +
                               "', expected <0xNN>",
                           loc);
        }
        [[fallthrough]];  // BPE byte tokens are byte-level text
      }
      case TokenType::kNormal:
      case TokenType::kUndefined:
        if (kind_ == VocabKind::kSpm) {
          bytes_[i] = SpmUnescape(text);
        } else {
          bool all_mapped;
          bytes_[i] = ByteLevelDecode(text, &all_mapped);
          fully_byte_level[i] = all_mapped;
        }
        break;
    }
  }

  special_ = std::make_unique<SpecialMatcher>();
  for (size_t i = 0; i < n; ++i) {
    if (IsSpecial(static_cast<TokenId>(i)) && !texts_[i].empty()) {
      special_->Add(static_cast<TokenId>(i), texts_[i], types_[i] != TokenType::kUserDefined);
    }
  }
  special_->Finish();

  if (kind_ == VocabKind::kSpm) {
    TokenId byte_tokens[256];
    for (int b = 0; b < 256; ++b) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "<0x%02X>", b);
      TokenId id = FindText(hex);
      if (id == kNoToken) id = FindText(std::string(1, static_cast<char>(b)));
      byte_tokens[b] = id != kNoToken ? id : unk_;
    }
    spm_ = std::make_unique<SpmModel>(text_to_id_, std::move(spec.scores), byte_tokens);
    return {};
  }

  // BPE.
  TokenId byte_tokens[256];
  std::string ch;
  for (int b = 0; b < 256; ++b) {
    ch.clear();
    utf8::Append(ByteToCodepoint(static_cast<uint8_t>(b)), &ch);
    byte_tokens[b] = FindText(ch);
  }
  std::vector<BpeModel::Merge> merges;
  merges.reserve(spec.merges.size());
  std::string joined;
  for (size_t r = 0; r < spec.merges.size(); ++r) {
    const auto& [a, b] = spec.merges[r];
    joined = a;
    joined += b;
    TokenId left = FindText(a), right = FindText(b), result = FindText(joined);
    if (left == kNoToken || right == kNoToken || result == kNoToken) {
      return MakeError(ErrorCode::kInvalidInput,
                       "merge " + std::to_string(r) + " ('" + a + "' '" + b +
                           "') names a string that is not a token",
                       loc);
    }
    merges.push_back({left, right, result});
  }
  WordMap whole_words;
  if (spec.ignore_merges) {
    for (size_t i = 0; i < n; ++i) {
      if (fully_byte_level[i]) whole_words.emplace(bytes_[i], static_cast<TokenId>(i));
    }
  }
  // A byte with no token is dropped, as llama.cpp and HF do (never the UNK
  // token: several BPE vocabularies name <|endoftext|> as UNK).
  bpe_ = std::make_unique<BpeModel>(byte_tokens, merges, std::move(whole_words), kNoToken);
  return {};
}

TokenType Tokenizer::type(TokenId id) const {
  STEER_CHECK(id >= 0 && id < vocab_size());
  return types_[id];
}

const std::string& Tokenizer::TokenBytes(TokenId id) const {
  STEER_CHECK(id >= 0 && id < vocab_size());
  return bytes_[id];
}

const std::string& Tokenizer::TokenText(TokenId id) const {
  STEER_CHECK(id >= 0 && id < vocab_size());
  return texts_[id];
}

bool Tokenizer::IsSpecial(TokenId id) const {
  STEER_CHECK(id >= 0 && id < vocab_size());
  TokenType t = types_[id];
  return t == TokenType::kControl || t == TokenType::kUnknown || t == TokenType::kUserDefined;
}

TokenId Tokenizer::FindText(std::string_view text) const {
  auto it = text_to_id_.find(text);
  return it == text_to_id_.end() ? kNoToken : it->second;
}

void Tokenizer::EncodeFragment(std::string_view text, bool space_prefix,
                               std::vector<TokenId>* out) const {
  if (spm_) {
    std::string escaped;
    escaped.reserve(text.size() + text.size() / 4 + 3);
    if (space_prefix) escaped.append(kSpmSpace);
    for (char c : text) {
      if (c == ' ') {
        escaped.append(kSpmSpace);
      } else {
        escaped += c;
      }
    }
    spm_->Encode(escaped, out);
    return;
  }
  thread_local std::vector<Piece> pieces;
  pieces.clear();
  PreTokenize(pre_, text, &pieces);
  for (const Piece& p : pieces) bpe_->EncodeWord(text.substr(p.begin, p.end - p.begin), out);
}

Result<std::vector<TokenId>> Tokenizer::Encode(std::string_view text, EncodeOptions options) const {
  size_t bad = utf8::FindInvalid(text);
  if (bad != text.size()) {
    return MakeError(ErrorCode::kInvalidInput, "invalid UTF-8 in the text",
                     "byte offset " + std::to_string(bad));
  }
  if (text.size() > UINT32_MAX) {
    return MakeError(ErrorCode::kResourceExhausted, "text longer than 4 GiB");
  }
  std::vector<TokenId> out;
  out.reserve(text.size() / 3 + 2);
  if (options.add_special && add_bos_) out.push_back(bos_);
  thread_local std::vector<SpecialMatcher::Fragment> fragments;
  fragments.clear();
  special_->Partition(text, options.parse_special, &fragments);
  bool prev_special = true;
  for (const auto& f : fragments) {
    if (f.token != kNoToken) {
      out.push_back(f.token);
      prev_special = true;
    } else {
      EncodeFragment(text.substr(f.begin, f.end - f.begin), prev_special && add_space_prefix_,
                     &out);
      prev_special = false;
    }
  }
  if (options.add_special && add_eos_) out.push_back(eos_);
  return out;
}

}  // namespace steer::tokenizer
