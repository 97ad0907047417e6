// Pre-tokenizers: split text into the words that byte-level BPE merges
// within. One hand-written splitter per family of `tokenizer.ggml.pre`; each
// reproduces the family's regular expressions (as used by the reference HF
// tokenizers and llama.cpp) directly over Unicode classes, with no regex
// engine. The families and their expressions:
//
//   kGpt2      's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//   kLlama3    (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}
//              | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//   kQwen2     kLlama3 with \p{N} (one digit per word)
//   kStarcoder \p{N} isolated, then kGpt2
//   kFalcon    [\p{P}$+<=>^~|`]+ isolated, then kGpt2, then [0-9][0-9][0-9]
//   kDefault   [\p{P}$+<=>^~|]+, then kGpt2, then \p{N}+, then [0-9][0-9][0-9]
//   kDeepseekCoder  [\r\n], \s?\p{L}+, \s?\p{P}+, [一-龥ࠀ-一가-퟿]+, \p{N}
//   kDeepseekLlm    [\r\n], \s?[cased letters]+, \s?[ASCII/fullwidth punct]+, \s+$,
//                   [一-龥ࠀ-一가-퟿]+, \p{N}+
//
// Multi-stage families apply their expressions in order: each expression
// splits every current piece into its matches and the gaps between them
// (HF's Split with behavior "Isolated"); matching never crosses a piece.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "steer/util/result.h"

namespace steer::tokenizer {

enum class PreTokenizer : uint8_t {
  kNone,  // the whole text is one word (SPM)
  kGpt2,
  kLlama3,
  kQwen2,
  kStarcoder,
  kFalcon,
  kDefault,
  kDeepseekCoder,
  kDeepseekLlm,
};

// Maps a `tokenizer.ggml.pre` value (llama.cpp's names, including aliases
// such as "llama-bpe", "mpt", "refact", "deepseek-r1-qwen") to its family.
// An unknown name is kUnsupported naming it; "" means "default".
Result<PreTokenizer> PreTokenizerFromName(std::string_view name);
const char* PreTokenizerName(PreTokenizer kind);

// A piece of the input as a byte range [begin, end).
struct Piece {
  uint32_t begin;
  uint32_t end;
};

// Splits `text` (valid UTF-8, at most 4 GiB) into consecutive non-empty
// pieces covering it exactly, in order. Appends to *pieces. O(n) for the
// single-expression families, O(n * stages) for the others.
void PreTokenize(PreTokenizer kind, std::string_view text, std::vector<Piece>* pieces);

}  // namespace steer::tokenizer
