#include "steer/grammar/compiled_grammar.h"

#include <algorithm>
#include <mutex>
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
  int64_t nodes_visited = 0;  // trie nodes stepped through by walks (for benchmarks)
  std::vector<int32_t> stack;  // walk scratch: state at each trie depth
  // New states the current walk may still spend on UTF-8 proofs: for loops,
  // and for chains (whose proofs later masks along the string reuse).
  int64_t loop_proof_budget = 0;
  int64_t chain_proof_budget = 0;
};

struct VocabIndex::ExitTables {
  struct Table {
    ByteSet loop;
    bool utf8;
    std::vector<std::string> excluded;  // sorted
    TokenTrie::LoopTable table;
  };
  std::mutex mu;
  std::vector<std::unique_ptr<Table>> tables;
};

CompiledGrammar::~CompiledGrammar() = default;
VocabIndex::VocabIndex() : exit_tables_(std::make_unique<ExitTables>()) {}
VocabIndex::~VocabIndex() = default;

VocabIndex::LoopTableView VocabIndex::ExitTable(const ByteSet& loop, bool utf8,
                                                const std::vector<std::string>& excluded) const {
  std::vector<std::string> key = excluded;
  std::sort(key.begin(), key.end());
  key.erase(std::unique(key.begin(), key.end()), key.end());
  std::lock_guard<std::mutex> lock(exit_tables_->mu);
  auto& tables = exit_tables_->tables;
  for (const auto& t : tables) {
    if (t->utf8 == utf8 && t->loop == loop && t->excluded == key) return {t->table.exit.data(), t->table.member_words.data()};
  }
  if (tables.size() >= kMaxExitTables) return {};
  TokenTrie::LoopTable table = trie_->ExitTable(loop, utf8, key);
  tables.push_back(std::make_unique<ExitTables::Table>(ExitTables::Table{loop, utf8, std::move(key), std::move(table)}));
  return {tables.back()->table.exit.data(), tables.back()->table.member_words.data()};
}

int32_t VocabIndex::num_trie_nodes() const { return trie_->num_nodes(); }

Result<std::shared_ptr<const VocabIndex>> VocabIndex::Build(Vocabulary vocab) {
  int32_t n = static_cast<int32_t>(vocab.token_bytes.size());
  if (vocab.eos >= n) {
    return MakeError(ErrorCode::kInvalidArgument, "EOS id " + std::to_string(vocab.eos) + " is outside the vocabulary");
  }
  std::shared_ptr<VocabIndex> v(new VocabIndex());
  v->special_.assign(static_cast<size_t>(n), 0);
  for (int32_t id : vocab.special_ids) {
    if (id < 0 || id >= n) {
      return MakeError(ErrorCode::kInvalidArgument, "special token id " + std::to_string(id) + " is outside the vocabulary");
    }
    v->special_[static_cast<size_t>(id)] = 1;
  }
  std::vector<uint8_t> include(static_cast<size_t>(n), 1);
  for (int32_t t = 0; t < n; ++t) include[static_cast<size_t>(t)] = !v->special_[static_cast<size_t>(t)] && t != vocab.eos;
  v->trie_ = std::make_unique<TokenTrie>(vocab.token_bytes, include);
  v->vocab_ = std::move(vocab);
  return std::shared_ptr<const VocabIndex>(std::move(v));
}

Result<std::shared_ptr<const CompiledGrammar>> CompiledGrammar::Create(const Grammar& grammar, Vocabulary vocab,
                                                                       const CompileOptions& options) {
  STEER_ASSIGN_OR_RETURN(auto index, VocabIndex::Build(std::move(vocab)));
  return Create(grammar, std::move(index), options);
}

Result<std::shared_ptr<const CompiledGrammar>> CompiledGrammar::Create(const Grammar& grammar,
                                                                       std::shared_ptr<const VocabIndex> vocab,
                                                                       const CompileOptions& options) {
  STEER_CHECK(vocab != nullptr);
  std::shared_ptr<CompiledGrammar> cg(new CompiledGrammar());
  STEER_ASSIGN_OR_RETURN(cg->parser_, CompileParser(grammar, options.matcher));
  cg->cache_ = std::make_unique<Cache>();
  cg->cache_->stack.resize(static_cast<size_t>(vocab->trie().max_depth()) + 1);
  cg->mask_cache_bytes_ = options.mask_cache_bytes;
  cg->vocab_ = std::move(vocab);
  return std::shared_ptr<const CompiledGrammar>(std::move(cg));
}

namespace {

ByteSet AsciiPart(ByteSet set) {
  set &= ByteSet::Range(0, 0x7F);
  return set;
}

void SetTokens(const int32_t* begin, const int32_t* end, uint64_t* words) {
  for (const int32_t* t = begin; t != end; ++t) words[static_cast<size_t>(*t) >> 6] |= uint64_t{1} << (*t & 63);
}

// All tokens of node i's subtree.
void SetSubtree(const TokenTrie& trie, int32_t i, uint64_t* words) {
  if (const uint64_t* dense = trie.dense_subtree(i)) {
    for (size_t w = 0; w < trie.num_words(); ++w) words[w] |= dense[w];
  } else {
    SetTokens(trie.tokens_begin(i), trie.subtree_tokens_end(i), words);
  }
}

// The tokens of node i's subtree that are in `members` (mask words).
void SetMembers(const TokenTrie& trie, int32_t i, const uint64_t* members, uint64_t* words) {
  if (const uint64_t* dense = trie.dense_subtree(i)) {
    for (size_t w = 0; w < trie.num_words(); ++w) words[w] |= dense[w] & members[w];
  } else {
    for (const int32_t* t = trie.tokens_begin(i); t != trie.subtree_tokens_end(i); ++t) {
      const size_t w = static_cast<size_t>(*t) >> 6;
      words[w] |= members[w] & (uint64_t{1} << (*t & 63));
    }
  }
}

// Clears what SetSubtree sets.
void ClearSubtree(const TokenTrie& trie, int32_t i, uint64_t* words) {
  if (const uint64_t* dense = trie.dense_subtree(i)) {
    for (size_t w = 0; w < trie.num_words(); ++w) words[w] &= ~dense[w];
  } else {
    for (const int32_t* t = trie.tokens_begin(i); t != trie.subtree_tokens_end(i); ++t) {
      words[static_cast<size_t>(*t) >> 6] &= ~(uint64_t{1} << (*t & 63));
    }
  }
}

// The jump walk pays off for large subtrees; below this size the plain walk
// is as fast, and the states there need not be asked for a loop entry.
constexpr int32_t kMinJumpSubtree = 16;
// Proving that every multi-byte character loops builds the states inside
// them (tens of Earley sets per context), which pays only above this many
// non-ASCII nodes; below it they are walked.
constexpr int32_t kMinUtf8Nodes = 256;
// New states one mask walk may spend proving UTF-8 loops (a plain string
// body takes ~15), and chain links (~15 each: about 64 links, later masks
// along the same string reuse them and prove more).
constexpr int64_t kLoopProofBudget = 160;
constexpr int64_t kChainProofBudget = 1024;
// Chains (no loop, one state per position) are jumped only over large
// subtrees and when at least kMinChain positions follow.
constexpr int32_t kMinChainSubtree = 256;
constexpr int32_t kMinChain = 2;
constexpr int32_t kMinCutChain = 16;
const std::vector<std::string> kNoChars;

// The last character boundary strictly above node j, no higher than its
// ancestor `entry` (j's parent when not in UTF-8 mode, where every byte is a
// character).
int32_t LastBoundary(const TokenTrie& trie, int32_t j, int32_t entry, bool utf8) {
  int32_t b = trie.parent(j);
  while (utf8 && b != entry && trie.utf8_state(b) != utf8::kBoundary) b = trie.parent(b);
  return b;
}

// True when every byte of `sub` is in `set`.
bool Subset(const ByteSet& sub, const ByteSet& set) {
  const uint64_t* a = sub.words();
  const uint64_t* b = set.words();
  return ((a[0] & ~b[0]) | (a[1] & ~b[1]) | (a[2] & ~b[2]) | (a[3] & ~b[3])) == 0;
}

}  // namespace

// Depth-first over trie nodes [begin, end), a forest of whole subtrees
// (caller holds the parser lock). Invariant: st[d] is the parse state after
// the first d bytes of the current node's path; the caller sets
// st[depth(begin) - 1]. A node whose byte is rejected is skipped with its
// subtree; below a node whose state leads into a loop (e.g. inside a JSON
// string, or right after its opening quote) only the nodes that leave the
// loop are visited (JumpLoop).
void CompiledGrammar::Walk(int32_t begin, int32_t end, int32_t* st, uint64_t* words) const {
  EarleyAutomaton& a = *parser_;
  const TokenTrie& trie = vocab_->trie();
  int64_t visited = 0;
  for (int32_t i = begin; i < end;) {
    ++visited;
    int32_t d = trie.depth(i);
    int32_t s = a.NextLocked(st[d - 1], trie.byte(i));
    if (s < 0) {
      i = trie.end(i);  // no token below this node can be allowed
      continue;
    }
    st[d] = s;
    if (trie.end(i) - i >= kMinJumpSubtree) {
      cache_->nodes_visited += visited;
      visited = 0;
      if (JumpLoop(i, s, st, words)) {
        i = trie.end(i);
        continue;
      }
    }
    SetTokens(trie.tokens_begin(i), trie.tokens_end(i), words);
    ++i;
  }
  cache_->nodes_visited += visited;
}

// Node i's subtree when st[depth(i)] == s, if the text after s loops
// (EarleyAutomaton::LoopTargetLocked), else if it is a chain (ChainJump);
// false otherwise, having done nothing. When s is the loop's state t, the
// whole subtree is one LoopExits. When s enters t, each child of i that
// starts a character leading to t is one (an ASCII byte, or a multi-byte lead
// when all such characters do), and the others are walked.
bool CompiledGrammar::JumpLoop(int32_t i, int32_t s, int32_t* st, uint64_t* words) const {
  EarleyAutomaton& a = *parser_;
  const TokenTrie& trie = vocab_->trie();
  const LoopTarget lt = a.LoopTargetLocked(s);
  if (lt.target < 0) return ChainJump(i, s, st, words);
  const int32_t t = lt.target;
  const SelfLoop loop = a.SelfLoopLocked(t);
  // The UTF-8 table needs i at a character boundary of the trie path: then
  // the validator's states below i are those of the bytes read from i.
  std::vector<std::string> excluded;
  bool utf8 = trie.utf8_state(i) == utf8::kBoundary && trie.non_ascii_below(i) >= kMinUtf8Nodes;
  // The loop's own characters, then (when s only enters it) the first one's.
  for (int32_t q : {t, s}) {
    const std::vector<std::string>* ex = utf8 ? Utf8Step(q, &cache_->loop_proof_budget) : nullptr;
    utf8 = ex != nullptr;
    if (utf8) excluded.insert(excluded.end(), ex->begin(), ex->end());
    if (s == t) break;
  }
  const VocabIndex::LoopTableView table =
      vocab_->ExitTable(utf8 ? AsciiPart(loop.bytes) : loop.bytes, utf8, utf8 ? excluded : kNoChars);
  if (table.exit == nullptr) return false;
  // Most tokens below are accepted: set at once (whole rows of mask words
  // near the root) the tokens reached through loop members only, below i
  // (self-loop) or below i's children (entry): then exit subtrees need no
  // clearing. Past kMemberDepths, set the whole subtree and clear exits.
  const int32_t d = trie.depth(i) + 1;
  const int32_t member_depth = t == s ? d - 1 : d;
  const bool by_members = member_depth < TokenTrie::kMemberDepths;
  if (by_members) {
    SetMembers(trie, i, table.member_words + static_cast<size_t>(member_depth) * trie.num_words(), words);
  } else {
    SetSubtree(trie, i, words);
  }
  if (t == s) {
    LoopExits(i, {i, s, t, table.exit, utf8, !by_members}, st, words);
    return true;
  }
  for (int32_t c = i + 1; c < trie.end(i); c = trie.end(c)) {
    const uint8_t b = trie.byte(c);
    const int32_t sc = a.NextLocked(s, b);
    if (sc == t && (!utf8 || b < 0x80)) {
      st[d] = sc;
      LoopExits(c, {c, t, t, table.exit, utf8, !by_members}, st, words);
    } else if (sc >= 0 && utf8 && trie.utf8_state(c) != utf8::kBroken && b >= 0x80) {
      st[d] = sc;
      LoopExits(c, {i, s, t, table.exit, utf8, !by_members}, st, words);  // a valid lead byte: its characters lead to t
    } else {
      ClearSubtree(trie, c, words);
      if (sc < 0) continue;
      st[d] = sc;
      SetTokens(trie.tokens_begin(c), trie.tokens_end(c), words);
      Walk(c + 1, trie.end(c), st, words);
    }
  }
  return true;
}

// Node i's subtree when st[depth(i)] == s and s starts a chain (see
// LoopTarget): c[0] = s, c[k + 1] = step of c[k], where the same ASCII
// bytes L lead from each c[k] to c[k + 1] (and, in UTF-8 mode, every valid
// multi-byte character does). A member path (TokenTrie::ExitTable over L)
// with m characters below i then ends in state c[m], accepted while m <= K,
// the chain's length. So the subtree is set whole; exits after m <= K
// characters are walked from c[m]; and where the subtree has paths longer
// than K characters, the first node of each path's character K + 1 (a
// "frontier" node, found by a search that only enters subtrees reaching that
// deep) is cleared and walked from c[K]. False (nothing done) when i is not
// at a character boundary or the chain is shorter than kMinChain.
bool CompiledGrammar::ChainJump(int32_t i, int32_t s, int32_t* st, uint64_t* words) const {
  EarleyAutomaton& a = *parser_;
  const TokenTrie& trie = vocab_->trie();
  if (trie.end(i) - i < kMinChainSubtree || trie.utf8_state(i) != utf8::kBoundary) return false;
  const LoopTarget first = a.LoopTargetLocked(s);
  const ByteSet L = first.step_bytes;
  if (first.step < 0 || L.Count() < SelfLoop::kMinBytes) return false;
  const int32_t base = trie.chars(i), need = trie.max_started_chars(i) - base;
  std::vector<int32_t> c = {s};  // local: the walks below may jump chains too
  while (static_cast<int32_t>(c.size()) <= need) {
    const LoopTarget lt = a.LoopTargetLocked(c.back());
    if (lt.step < 0 || !Subset(L, lt.step_bytes)) break;
    c.push_back(lt.step);
  }
  // A short chain that must be cut leaves most of the subtree to the cut's
  // search and walks: no better than the plain walk.
  auto worth = [&](int32_t k) { return k >= kMinChain && (k >= need || k >= kMinCutChain); };
  int32_t K = static_cast<int32_t>(c.size()) - 1;
  if (!worth(K)) return false;
  // UTF-8 mode needs a proof for every link used; the first that fails (or
  // that the budget cannot pay for) ends the chain there, unless that leaves
  // it too short, in which case non-ASCII text is stepped through instead.
  bool utf8 = trie.non_ascii_below(i) >= kMinUtf8Nodes;
  std::vector<std::string> excluded;  // union over the links
  for (int32_t k = 0; utf8 && k < K; ++k) {
    const std::vector<std::string>* ex = Utf8Step(c[static_cast<size_t>(k)], &cache_->chain_proof_budget);
    if (ex == nullptr) {
      if (worth(k)) {
        K = k;
      } else {
        utf8 = false;
      }
      break;
    }
    excluded.insert(excluded.end(), ex->begin(), ex->end());
  }
  c.resize(static_cast<size_t>(K) + 1);
  const int32_t* exit = vocab_->ExitTable(L, utf8, utf8 ? excluded : kNoChars).exit;
  if (exit == nullptr) return false;
  SetSubtree(trie, i, words);
  const int32_t stop = trie.end(i);
  for (int32_t j = exit[i + 1]; j < stop; j = exit[trie.end(j)]) {
    const int32_t boundary = LastBoundary(trie, j, i, utf8);
    const int32_t m = trie.chars(boundary) - base;
    if (m > K) continue;  // below a frontier node, which is walked whole
    ClearSubtree(trie, j, words);
    st[trie.depth(boundary)] = c[static_cast<size_t>(m)];
    if (!Replay(boundary, trie.parent(j), st)) continue;  // unreachable when the chain holds; kept exact
    Walk(j, trie.end(j), st, words);
  }
  if (K >= need) return true;
  // Frontier: members whose parent, at a boundary, ends character K.
  std::vector<int32_t> pending;  // nodes still to search
  for (int32_t x = i + 1; x < stop; x = trie.end(x)) pending.push_back(x);
  while (!pending.empty()) {
    const int32_t x = pending.back();
    pending.pop_back();
    if (exit[x] == x || trie.max_started_chars(x) - base <= K) continue;  // an exit, or nothing deep below
    const int32_t p = trie.parent(x);
    if (trie.utf8_state(p) == utf8::kBoundary && trie.chars(p) - base == K) {
      ClearSubtree(trie, x, words);
      st[trie.depth(p)] = c[static_cast<size_t>(K)];
      Walk(x, trie.end(x), st, words);
      continue;
    }
    for (int32_t y = x + 1; y < trie.end(x); y = trie.end(y)) pending.push_back(y);
  }
  return true;
}

// Node c's subtree, whose member paths (TokenTrie::ExitTable) are accepted
// and already set in the mask: from the boundary node l.entry (c itself, or
// c's parent when c is a multi-byte lead) in state l.from, the first
// character leads to l.target and every later one returns to it; inside a
// character the state is on the way. Each first non-member (an "exit") has
// its subtree walked from its parent's state (cleared first when the caller
// set it too). Exits are disjoint subtrees, found in order by exit[] jumps.
void CompiledGrammar::LoopExits(int32_t c, const LoopJump& l, int32_t* st, uint64_t* words) const {
  const TokenTrie& trie = vocab_->trie();
  const int32_t stop = trie.end(c);
  for (int32_t j = l.exit[c + 1]; j < stop; j = l.exit[trie.end(j)]) {
    if (l.clear_exits) ClearSubtree(trie, j, words);
    const int32_t boundary = LastBoundary(trie, j, l.entry, l.utf8);
    st[trie.depth(boundary)] = boundary == l.entry ? l.from : l.target;
    if (!Replay(boundary, trie.parent(j), st)) continue;  // unreachable when the loop holds; kept exact
    Walk(j, trie.end(j), st, words);
  }
}

// EarleyAutomaton::Utf8StepLocked, if known or within *budget of new states
// (a proof builds the states inside multi-byte characters, and a walk may
// meet many loops that fail it); nullptr otherwise, which only means
// stepping through non-ASCII text.
const std::vector<std::string>* CompiledGrammar::Utf8Step(int32_t state, int64_t* budget) const {
  EarleyAutomaton& a = *parser_;
  if (!a.Utf8StepKnownLocked(state) && *budget <= 0) return nullptr;
  const int64_t before = a.num_states_locked();
  const std::vector<std::string>* ex = a.Utf8StepLocked(state);
  *budget -= a.num_states_locked() - before;
  return ex;
}

// Sets st[] along the path from node `from` (exclusive; st[depth(from)] is
// set) down to its descendant `to` (inclusive): at most 3 bytes here, the
// inside of one character. False if the grammar rejects a byte.
bool CompiledGrammar::Replay(int32_t from, int32_t to, int32_t* st) const {
  const TokenTrie& trie = vocab_->trie();
  int32_t path[4];
  int n = 0;
  for (int32_t k = to; k != from; k = trie.parent(k)) {
    STEER_CHECK(n < 4);
    path[n++] = k;
  }
  for (int k = n - 1; k >= 0; --k) {
    int32_t d = trie.depth(path[k]);
    st[d] = parser_->NextLocked(st[d - 1], trie.byte(path[k]));
    if (st[d] < 0) return false;
  }
  return true;
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
    int32_t* st = c.stack.data();
    st[0] = state;
    c.loop_proof_budget = kLoopProofBudget;
    c.chain_proof_budget = kChainProofBudget;
    if (!JumpLoop(0, state, st, words)) Walk(1, vocab_->trie().num_nodes(), st, words);
    int64_t cost = static_cast<int64_t>(mask->num_words() * sizeof(uint64_t));
    if (c.bytes + cost <= mask_cache_bytes_) {
      c.masks.emplace(state, std::vector<uint64_t>(words, words + mask->num_words()));
      c.bytes += cost;
    }
  }
  if (eos() >= 0) mask->Assign(static_cast<size_t>(eos()), a.StateLocked(state).complete);
}

int64_t CompiledGrammar::mask_cache_hits() const {
  std::lock_guard<std::mutex> lock(parser_->mu());
  return cache_->hits;
}

int64_t CompiledGrammar::trie_nodes_visited() const {
  std::lock_guard<std::mutex> lock(parser_->mu());
  return cache_->nodes_visited;
}

int64_t CompiledGrammar::parse_states() const {
  std::lock_guard<std::mutex> lock(parser_->mu());
  return parser_->num_states_locked();
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
    token_lens_.Push(-1);
    return true;
  }
  const std::string& b = compiled_->token_bytes(id);
  if (compiled_->is_special(id) || b.empty()) return false;
  if (!bytes_.AcceptBytes(b)) return false;
  token_lens_.Push(static_cast<int32_t>(b.size()));
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
    int32_t len = token_lens_.Back();
    token_lens_.Pop();
    if (len < 0) {
      finished_ = false;
    } else {
      bytes_.Rollback(static_cast<size_t>(len));
    }
  }
}

}  // namespace steer::grammar
