// Tokenizers: text <-> token ids for SentencePiece-style (SPM) and byte-level
// BPE vocabularies, loaded from GGUF metadata or an HF tokenizer.json.
//
// Encoding (what llama.cpp's llama_tokenize does, and what the HF reference
// tokenizers produce):
//   1. The text must be valid UTF-8 (else kInvalidInput naming the offset).
//   2. Special-token texts are cut out of the text first: user-defined tokens
//      always, control and unknown tokens only with parse_special. Longer
//      texts win; each cut piece becomes that token.
//   3. Each remaining fragment is tokenized on its own:
//      SPM: spaces become U+2581 ("▁"), and with add_space_prefix a "▁" is
//        prepended when the fragment starts the text or follows a special
//        token; then adjacent symbols merge, highest token score first
//        (leftmost on ties); a symbol that is not a token falls back to its
//        bytes as <0xNN> tokens.
//      BPE: the pre-tokenizer splits the fragment into words; each word's
//        bytes map to the byte-level alphabet and merge by rank (lowest
//        first, leftmost on ties); with ignore_merges a word that is itself a
//        token is emitted whole.
//   4. add_special adds BOS / EOS when the vocabulary says so.
//
// Token bytes (TokenBytes): the exact bytes a token stands for.
//   normal:        SPM: the text with "▁" -> ' '; BPE: the byte-level
//                  alphabet mapped back to bytes (a code point outside the
//                  alphabet is kept as its UTF-8).
//   byte (<0xNN>): the single byte NN.
//   user-defined:  the literal text (it is matched literally in the input).
//   control, unknown, unused: empty. They stand for no text; their vocab
//                  text ("<s>", "<|eot_id|>") is TokenText().
//
// Decoding: Decode(ids) is the concatenation of TokenBytes, except that for
// vocabularies with add_space_prefix one leading space is dropped from the
// first text token at the start and after every special token (the space the
// encoder inserted). Hence Decode(Encode(t, {.parse_special = false})) == t
// for every valid UTF-8 t. Decode returns raw bytes, which may end inside a
// UTF-8 sequence; StreamDecoder holds such partial sequences back.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "steer/tokenizer/pre_tokenizer.h"
#include "steer/util/result.h"
#include "steer/util/types.h"

namespace steer::gguf {
class File;
}

namespace steer::tokenizer {

// GGUF's tokenizer.ggml.token_type values.
enum class TokenType : uint8_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

enum class VocabKind : uint8_t {
  kSpm,  // tokenizer.ggml.model = "llama"
  kBpe,  // tokenizer.ggml.model = "gpt2"
};

// Everything a tokenizer is built from (the GGUF tokenizer.* keys).
struct VocabSpec {
  VocabKind kind = VocabKind::kSpm;
  PreTokenizer pre = PreTokenizer::kNone;  // BPE only
  std::vector<std::string> texts;          // token text as stored in the vocabulary
  std::vector<float> scores;               // SPM merge priority (higher merges first)
  std::vector<TokenType> types;            // empty: all normal
  std::vector<std::pair<std::string, std::string>> merges;  // BPE; rank = index
  TokenId bos = kNoToken;
  TokenId eos = kNoToken;
  TokenId unk = kNoToken;
  bool add_bos = false;
  bool add_eos = false;
  bool add_space_prefix = false;  // SPM
  bool ignore_merges = false;     // BPE
  std::string location;           // for error messages (the file)
};

struct EncodeOptions {
  bool add_special = true;     // add BOS/EOS as the vocabulary says
  bool parse_special = false;  // match control-token texts ("<s>") in the text
};

class BpeModel;
class SpmModel;
struct SpecialMatcher;

class Tokenizer {
 public:
  // Validates the spec (sizes agree, ids in range, merges resolvable).
  static Result<std::unique_ptr<Tokenizer>> FromSpec(VocabSpec spec);
  // From GGUF metadata (tokenizer.ggml.*). Errors name the key.
  static Result<std::unique_ptr<Tokenizer>> FromGguf(const gguf::File& file);
  // From an HF tokenizer.json (BPE model with ByteLevel or Split+ByteLevel
  // pre-tokenizers). A tokenizer_config.json beside it, when present,
  // supplies bos/eos and add_bos_token/add_eos_token.
  static Result<std::unique_ptr<Tokenizer>> FromHfJson(const std::string& path);
  // Same from memory; `config_json` may be empty.
  static Result<std::unique_ptr<Tokenizer>> FromHfJsonText(std::string_view json,
                                                           std::string_view config_json,
                                                           const std::string& location);
  // A GGUF file or a tokenizer.json, decided by the file's first bytes.
  static Result<std::unique_ptr<Tokenizer>> Load(const std::string& path);

  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // Thread-safe (const, no shared mutable state).
  Result<std::vector<TokenId>> Encode(std::string_view text, EncodeOptions options = {}) const;
  std::string Decode(std::span<const TokenId> ids) const;

  int32_t vocab_size() const { return static_cast<int32_t>(texts_.size()); }
  VocabKind kind() const { return kind_; }
  PreTokenizer pre_tokenizer() const { return pre_; }
  TokenId bos() const { return bos_; }
  TokenId eos() const { return eos_; }
  TokenId unk() const { return unk_; }
  bool add_bos() const { return add_bos_; }
  bool add_eos() const { return add_eos_; }
  bool add_space_prefix() const { return add_space_prefix_; }
  // id must be in [0, vocab_size()).
  TokenType type(TokenId id) const;
  const std::string& TokenBytes(TokenId id) const;
  const std::string& TokenText(TokenId id) const;
  // Control, unknown and user-defined tokens (those cut out of the text).
  bool IsSpecial(TokenId id) const;
  // The token whose vocabulary text is `text`, or kNoToken.
  TokenId FindText(std::string_view text) const;

 private:
  Tokenizer();
  Status Build(VocabSpec spec);
  void EncodeFragment(std::string_view text, bool space_prefix, std::vector<TokenId>* out) const;

  VocabKind kind_ = VocabKind::kSpm;
  PreTokenizer pre_ = PreTokenizer::kNone;
  std::vector<std::string> texts_;
  std::vector<std::string> bytes_;
  std::vector<TokenType> types_;
  std::unordered_map<std::string_view, TokenId> text_to_id_;  // views into texts_
  TokenId bos_ = kNoToken;
  TokenId eos_ = kNoToken;
  TokenId unk_ = kNoToken;
  bool add_bos_ = false;
  bool add_eos_ = false;
  bool add_space_prefix_ = false;
  std::unique_ptr<SpecialMatcher> special_;
  std::unique_ptr<BpeModel> bpe_;
  std::unique_ptr<SpmModel> spm_;
};

// Incremental decoding for streaming output: Push returns the bytes that are
// complete UTF-8 so far; an incomplete trailing sequence is held back until
// later tokens complete it. Finish returns whatever is held (possibly invalid
// UTF-8). The concatenation of all outputs equals Tokenizer::Decode of all
// pushed ids.
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}
  std::string Push(TokenId id);
  std::string Finish();

 private:
  const Tokenizer& tokenizer_;
  std::string pending_;
  bool at_start_ = true;  // the next text token may lose its prefix space
};

}  // namespace steer::tokenizer
