#include "steer/grammar/compiled_grammar.h"

namespace steer::grammar {

Vocabulary VocabularyOf(const tokenizer::Tokenizer& tokenizer) {
  Vocabulary vocab;
  vocab.eos = tokenizer.eos();
  const int32_t n = tokenizer.vocab_size();
  vocab.token_bytes.reserve(static_cast<size_t>(n));
  for (TokenId t = 0; t < n; ++t) {
    const bool special = tokenizer.IsSpecial(t);
    vocab.token_bytes.push_back(special ? std::string() : tokenizer.TokenBytes(t));
    if (special && t != tokenizer.eos()) vocab.special_ids.push_back(t);
  }
  return vocab;
}

}  // namespace steer::grammar
