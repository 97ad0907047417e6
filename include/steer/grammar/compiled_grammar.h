// A grammar bound to a vocabulary: token masks for constrained decoding.
//
//   auto cg = CompiledGrammar::Create(grammar, vocab);   // once per (grammar, tokenizer)
//   TokenMatcher m(*cg);                                 // one per sequence / particle
//   m.FillMask(&mask);  m.AcceptToken(id);  m.Rollback(1);  m.Fork();
//
// A token is allowed when all of its bytes can extend the text within the
// grammar's prefix closure; tokens ending inside a UTF-8 character are just
// bytes. Special tokens are never allowed, except EOS, which is allowed
// exactly when the text is complete. Tokens with no bytes are never allowed.
//
// How FillMask works: the vocabulary is a byte trie (preorder arrays), walked
// depth-first from the matcher's parse state; a byte the grammar rejects
// prunes its whole subtree. Parse states are hash-consed Earley sets with
// memoized transitions (see src/grammar/earley.h), so the walk is mostly one
// table load per trie node (one Earley set is built per byte class, not per
// byte). Where the text loops (a state that returns to itself on many bytes,
// e.g. a JSON string body, or one that enters such a state, e.g. right after
// the opening quote), the whole subtree is accepted at once and the walk
// jumps from one node that leaves the loop to the next
// (TokenTrie::ExitTable) instead of stepping through the looping ones. When
// every valid multi-byte UTF-8 character also loops, the jump goes over
// those characters too, so non-ASCII tokens cost nothing there. The finished
// mask is cached per parse state.
//
// Thread safety: a CompiledGrammar is shared (const) between threads; its
// memo tables are guarded by one internal lock. TokenMatchers are per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "steer/grammar/ir.h"
#include "steer/grammar/matcher.h"
#include "steer/tokenizer/tokenizer.h"
#include "steer/util/bitset.h"
#include "steer/util/result.h"

namespace steer::grammar {

// What the grammar needs to know about a tokenizer.
struct Vocabulary {
  std::vector<std::string> token_bytes;  // per token id: the exact bytes it stands for
  int32_t eos = -1;                      // -1: no EOS token
  std::vector<int32_t> special_ids;      // never allowed (EOS aside)
};

// A tokenizer's vocabulary: every token's exact bytes, special tokens (EOS
// aside) as empty byte strings listed in special_ids, and its EOS.
Vocabulary VocabularyOf(const tokenizer::Tokenizer& tokenizer);

struct CompileOptions {
  MatcherOptions matcher;
  // Budget for cached masks (vocab/8 bytes each); past it masks are
  // recomputed instead of cached.
  int64_t mask_cache_bytes = int64_t{256} << 20;
};

class TokenTrie;

// The grammar-independent part: the vocabulary and its byte trie. Build it
// once per tokenizer and share it between compiled grammars (building the
// trie of a 128k vocabulary takes ~100 ms; binding a grammar to it is cheap).
class VocabIndex {
 public:
  static Result<std::shared_ptr<const VocabIndex>> Build(Vocabulary vocab);
  ~VocabIndex();

  int32_t vocab_size() const { return static_cast<int32_t>(vocab_.token_bytes.size()); }
  int32_t eos() const { return vocab_.eos; }
  const std::string& token_bytes(int32_t id) const { return vocab_.token_bytes[static_cast<size_t>(id)]; }
  bool is_special(int32_t id) const { return special_[static_cast<size_t>(id)] != 0; }
  const TokenTrie& trie() const { return *trie_; }
  int32_t num_trie_nodes() const;
  // TokenTrie::ExitTable(loop, utf8, excluded), built on first use and kept (4 bytes
  // per trie node and 16 rows of vocab/8 bytes each). Grammars share loop sets (every JSON string body
  // has the same one), so at most kMaxExitTables are kept; past that,
  // nullptr. Thread-safe; the pointer stays valid for the VocabIndex's
  // lifetime.
  static constexpr size_t kMaxExitTables = 32;
  struct LoopTableView {
    const int32_t* exit = nullptr;            // TokenTrie::LoopTable::exit
    const uint64_t* member_words = nullptr;   // TokenTrie::LoopTable::member_words
  };
  LoopTableView ExitTable(const ByteSet& loop, bool utf8, const std::vector<std::string>& excluded) const;

 private:
  VocabIndex();
  Vocabulary vocab_;
  std::vector<uint8_t> special_;
  std::unique_ptr<TokenTrie> trie_;
  struct ExitTables;
  std::unique_ptr<ExitTables> exit_tables_;
};

class CompiledGrammar {
 public:
  static Result<std::shared_ptr<const CompiledGrammar>> Create(const Grammar& grammar,
                                                               std::shared_ptr<const VocabIndex> vocab,
                                                               const CompileOptions& options = {});
  // Convenience: builds a private VocabIndex.
  static Result<std::shared_ptr<const CompiledGrammar>> Create(const Grammar& grammar, Vocabulary vocab,
                                                               const CompileOptions& options = {});
  ~CompiledGrammar();

  int32_t vocab_size() const { return vocab_->vocab_size(); }
  int32_t eos() const { return vocab_->eos(); }
  const std::string& token_bytes(int32_t id) const { return vocab_->token_bytes(id); }
  bool is_special(int32_t id) const { return vocab_->is_special(id); }
  const Parser& parser() const { return parser_; }

  // The allowed tokens after parse state `state` (a Matcher::state()); EOS is
  // set iff the state is complete. mask is resized to vocab_size().
  void FillMaskForState(int32_t state, DynamicBitset* mask) const;

  // Mask-cache statistics, for benchmarks.
  int64_t mask_cache_hits() const;
  int64_t mask_cache_misses() const;
  int64_t trie_nodes_visited() const;  // summed over all mask walks
  int64_t parse_states() const;        // Earley states built so far (by masks and matchers)

 private:
  CompiledGrammar() = default;
  void Walk(int32_t begin, int32_t end, int32_t* st, uint64_t* words) const;
  bool JumpLoop(int32_t i, int32_t s, int32_t* st, uint64_t* words) const;
  bool ChainJump(int32_t i, int32_t s, int32_t* st, uint64_t* words) const;
  struct LoopJump {
    int32_t entry;       // trie node at the boundary where the loop is entered
    int32_t from;        // parse state at `entry`
    int32_t target;      // parse state at every later character boundary
    const int32_t* exit; // TokenTrie::ExitTable of target's loop
    bool utf8;           // whether exit is the UTF-8 table
    bool clear_exits;    // whether exit subtrees were set (and must be cleared)
  };
  void LoopExits(int32_t c, const LoopJump& l, int32_t* st, uint64_t* words) const;
  bool Replay(int32_t from, int32_t to, int32_t* st) const;
  const std::vector<std::string>* Utf8Step(int32_t state, int64_t* budget) const;
  struct Cache;
  std::shared_ptr<const VocabIndex> vocab_;
  Parser parser_;
  std::unique_ptr<Cache> cache_;
  int64_t mask_cache_bytes_ = 0;
};

class TokenMatcher {
 public:
  explicit TokenMatcher(std::shared_ptr<const CompiledGrammar> compiled);

  // Consumes a token if it is allowed (EOS: iff complete; afterwards nothing
  // more is allowed). Returns false and changes nothing otherwise.
  bool AcceptToken(int32_t id);
  void FillMask(DynamicBitset* mask) const;
  bool IsComplete() const { return !finished_ && bytes_.IsComplete(); }
  bool IsFinished() const { return finished_; }  // EOS consumed
  // Undoes the last n tokens (EOS included).
  void Rollback(size_t n);
  size_t num_tokens() const { return token_lens_.size(); }
  TokenMatcher Fork() const { return *this; }
  const Matcher& bytes() const { return bytes_; }

 private:
  std::shared_ptr<const CompiledGrammar> compiled_;
  Matcher bytes_;
  PersistentStack<int32_t> token_lens_;  // bytes per accepted token; -1 for EOS
  bool finished_ = false;
};

}  // namespace steer::grammar
