// Encoding: special-token partition, then SPM or pre-tokenizer + BPE per
// fragment. Construction is in vocab.cc, decoding in decode.cc, the file
// loaders in gguf_vocab.cc and hf_json.cc.
#include <string>

#include "steer/tokenizer/normalize.h"
#include "steer/tokenizer/tokenizer.h"
#include "steer/util/utf8.h"
#include "tokenizer/bpe.h"
#include "tokenizer/special.h"
#include "tokenizer/spm.h"

namespace steer::tokenizer {
namespace {

constexpr std::string_view kSpmSpace = "\xE2\x96\x81";  // U+2581 "▁"

}  // namespace

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
      std::string_view fragment = text.substr(f.begin, f.end - f.begin);
      bool prefix = prev_special && add_space_prefix_;
      if (normalize_nfc_ && !IsNfcQuick(fragment)) {
        EncodeFragment(NormalizeNfc(fragment), prefix, &out);
      } else {
        EncodeFragment(fragment, prefix, &out);
      }
      prev_special = false;
    }
  }
  if (options.add_special && add_eos_) out.push_back(eos_);
  return out;
}

}  // namespace steer::tokenizer
