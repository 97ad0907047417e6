// Test support: token bytes of real tokenizers without the tokenizer module.
//   - HF tokenizer.json with a byte-level BPE model (Llama-3): model.vocab
//     strings mapped back to bytes through GPT-2's byte<->unicode table;
//     added tokens marked special are special.
//   - Vocab-only GGUF files: tokenizer.ggml.tokens / token_type / eos id,
//     read by a minimal GGUF key-value reader; "gpt2" models map through the
//     byte table, "llama" (SPM) models map U+2581 to a space and <0xNN> byte
//     tokens to the byte; control and unknown tokens are special.
#pragma once

#include <string>

#include "steer/grammar/compiled_grammar.h"
#include "steer/util/result.h"

namespace steer::grammar::testing {

Result<Vocabulary> LoadHfByteLevelVocab(const std::string& tokenizer_json_path);
Result<Vocabulary> LoadGgufVocab(const std::string& gguf_path);

}  // namespace steer::grammar::testing
