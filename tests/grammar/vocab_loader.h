// Test support: the grammar's view of a real tokenizer's vocabulary (a GGUF
// vocabulary or an HF tokenizer.json), through the tokenizer module.
#pragma once

#include <string>

#include "steer/grammar/compiled_grammar.h"
#include "steer/util/result.h"

namespace steer::grammar::testing {

Result<Vocabulary> LoadVocabulary(const std::string& path);

}  // namespace steer::grammar::testing
