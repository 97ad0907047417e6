#include "vocab_loader.h"

#include "steer/tokenizer/tokenizer.h"

namespace steer::grammar::testing {

Result<Vocabulary> LoadVocabulary(const std::string& path) {
  STEER_ASSIGN_OR_RETURN(auto tokenizer, tokenizer::Tokenizer::Load(path));
  return VocabularyOf(*tokenizer);
}

}  // namespace steer::grammar::testing
