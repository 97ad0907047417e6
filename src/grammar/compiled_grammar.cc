#include "steer/grammar/compiled_grammar.h"

#include <unordered_map>

#include "grammar/earley.h"
#include "grammar/token_trie.h"
#include "steer/util/check.h"

namespace steer::grammar {

// Guarded by the parser's lock (one lock for parse states and masks).
struct CompiledGrammar::Cache {
  std::unordered_map<int32_t, std::vector<uint64_t>> masks;  // parse state -> mask words (EOS bit clear)
  int64_t bytes = 0;
  int64_t hits = 0, misses = 0;
  std::vector<int32_t> stack;  // walk scratch: state at each trie depth
};

CompiledGrammar::~CompiledGrammar() = default;

Result<std::shared_ptr<const CompiledGrammar>> CompiledGrammar::Create(const Grammar& grammar, Vocabulary vocab,
                                                                       const CompileOptions& options) {
  int32_t n = static_cast<int32_t>(vocab.token_bytes.size());
  if (vocab.eos >= n) {
    return MakeError(ErrorCode::kInvalidArgument, "EOS id " + std::to_string(vocab.eos) + " is outside the vocabulary");
  }
  std::shared_ptr<CompiledGrammar> cg(new CompiledGrammar());
  STEER_ASSIGN_OR_RETURN(cg->parser_, CompileParser(grammar, options.matcher));
  cg->special_.assign(static_cast<size_t>(n), 0);
  for (int32_t id : vocab.special_ids) {
    if (id < 0 || id >= n) {
      return MakeError(ErrorCode::kInvalidArgument, "special token id " + std::to_string(id) + " is outside the vocabulary");
    }
    cg->special_[static_cast<size_t>(id)] = 1;
  }
  std::vector<uint8_t> include(static_cast<size_t>(n), 1);
  for (int32_t t = 0; t < n; ++t) include[static_cast<size_t>(t)] = !cg->special_[static_cast<size_t>(t)] && t != vocab.eos;
  cg->trie_ = std::make_unique<TokenTrie>(vocab.token_bytes, include);
  cg->cache_ = std::make_unique<Cache>();
  cg->cache_->stack.resize(static_cast<size_t>(cg->trie_->max_depth()) + 1);
  cg->mask_cache_bytes_ = options.mask_cache_bytes;
  cg->vocab_ = std::move(vocab);
  return std::shared_ptr<const CompiledGrammar>(std::move(cg));
}

void CompiledGrammar::FillMaskForState(int32_t state, DynamicBitset* mask) const {
  if (mask->size() != static_cast<size_t>(vocab_size())) mask->Resize(static_cast<size_t>(vocab_size()));
  EarleyAutomaton& a = *parser_;
  std::lock_guard<std::mutex> lock(a.mu());
  Cache& c = *cache_;
  uint64_t* words = mask->words();
  auto hit = c.masks.find(state);
  if (hit != c.masks.end()) {
    ++c.hits;
    std::copy(hit->second.begin(), hit->second.end(), words);
  } else {
    ++c.misses;
    mask->ResetAll();
    const TokenTrie& trie = *trie_;
    int32_t* st = c.stack.data();
    st[0] = state;
    int32_t n = trie.num_nodes();
    for (int32_t i = 1; i < n;) {
      int32_t d = trie.depth(i);
      int32_t s = a.NextLocked(st[d - 1], trie.byte(i));
      if (s < 0) {
        i = trie.end(i);  // no token below this node can be allowed
        continue;
      }
      st[d] = s;
      for (const int32_t* t = trie.tokens_begin(i); t != trie.tokens_end(i); ++t) {
        words[static_cast<size_t>(*t) >> 6] |= uint64_t{1} << (*t & 63);
      }
      ++i;
    }
    int64_t cost = static_cast<int64_t>(mask->num_words() * sizeof(uint64_t));
    if (c.bytes + cost <= mask_cache_bytes_) {
      c.masks.emplace(state, std::vector<uint64_t>(words, words + mask->num_words()));
      c.bytes += cost;
    }
  }
  if (vocab_.eos >= 0) mask->Assign(static_cast<size_t>(vocab_.eos), a.StateLocked(state).complete);
}

int64_t CompiledGrammar::mask_cache_hits() const {
  std::lock_guard<std::mutex> lock(parser_->mu());
  return cache_->hits;
}

int64_t CompiledGrammar::mask_cache_misses() const {
  std::lock_guard<std::mutex> lock(parser_->mu());
  return cache_->misses;
}

// ---------------------------------------------------------------- TokenMatcher

TokenMatcher::TokenMatcher(std::shared_ptr<const CompiledGrammar> compiled)
    : compiled_(std::move(compiled)), bytes_(compiled_->parser()) {}

bool TokenMatcher::AcceptToken(int32_t id) {
  if (finished_ || id < 0 || id >= compiled_->vocab_size()) return false;
  if (id == compiled_->eos()) {
    if (!bytes_.IsComplete()) return false;
    finished_ = true;
    token_lens_.push_back(-1);
    return true;
  }
  const std::string& b = compiled_->token_bytes(id);
  if (compiled_->is_special(id) || b.empty()) return false;
  if (!bytes_.AcceptBytes(b)) return false;
  token_lens_.push_back(static_cast<int32_t>(b.size()));
  return true;
}

void TokenMatcher::FillMask(DynamicBitset* mask) const {
  if (finished_) {
    mask->Resize(static_cast<size_t>(compiled_->vocab_size()));
    mask->ResetAll();
    return;
  }
  compiled_->FillMaskForState(bytes_.state(), mask);
}

void TokenMatcher::Rollback(size_t n) {
  STEER_CHECK(n <= token_lens_.size());
  for (size_t k = 0; k < n; ++k) {
    int32_t len = token_lens_.back();
    token_lens_.pop_back();
    if (len < 0) {
      finished_ = false;
    } else {
      bytes_.Rollback(static_cast<size_t>(len));
    }
  }
}

}  // namespace steer::grammar
