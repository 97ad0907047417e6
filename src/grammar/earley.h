// An Earley recognizer whose sets are hash-consed into states of a lazily
// built automaton.
//
// Classic Earley items are (dotted production, origin position). Here an
// item's origin is instead the *state id* of the origin set (or kSelf for
// items predicted in the set itself), and every finished set is interned: two
// sets with the same items (origins included) get the same id. By induction
// on the origin chain, two sets with the same id accept exactly the same
// continuations, so:
//   - the parse of a text is just the stack of state ids, one per byte
//     (rollback = pop, fork = copy the ids);
//   - the transition (state, byte) -> state is computed once and memoized in
//     a 256-entry row per state;
//   - a token mask depends only on the state id, so masks can be cached by it.
// Left recursion, ambiguity and nullable rules are plain Earley (nullable
// nonterminals via Aycock & Horspool's predictor fix).
//
// Complexity: building a transition costs O(items of the new set ×
// items waiting in each origin set); a memoized transition is one load.
// Memory grows with the number of distinct states; both the set size and
// the state count are capped by EarleyOptions.
//
// Thread safety: the automaton is shared by all matchers built from it (and
// their forks); every access that can create states takes mu_.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "grammar/flat_grammar.h"
#include "steer/grammar/matcher.h"
#include "steer/util/utf8.h"

namespace steer::grammar {

inline constexpr int32_t kSelf = -1;      // item origin: this very set
inline constexpr int32_t kReject = -1;    // transition result: byte not allowed
inline constexpr int32_t kUnknown = -2;   // transition not computed yet

struct EarleyItem {
  int32_t slot;
  int32_t origin;  // a state id, or kSelf
  bool operator==(const EarleyItem& o) const { return slot == o.slot && origin == o.origin; }
};

// A state that returns to itself on many bytes (a string body): `bytes` are
// ASCII bytes b with Next(state, b) == state (the largest class of bytes
// with one transition; other looping bytes, if any, are left out; whether
// multi-byte characters loop too is Utf8StepLocked). Only loops on at least kMinBytes bytes
// are kept (the mask walk jumps over them); others have jumpable == false.
// Bytes 0x80..0xFF on their own are left out: in UTF-8 grammars they never
// loop.
struct SelfLoop {
  bool jumpable = false;
  ByteSet bytes;  // when !jumpable: the largest class all the same (for LoopTarget)
  static constexpr int kMinBytes = 32;
};

// How text continues from a state on plain characters. `step` is the
// successor on the largest class of ASCII bytes with one transition,
// `step_bytes` that class (for a self-loop, the state and its loop bytes). `target`, where the text loops: the state
// itself if it has a jumpable self-loop, else `step` if that has and at
// least kMinEntryBytes bytes lead there (e.g. the state after an opening
// quote enters the string body); kReject if neither. Without a loop,
// following `step` from state to state is a chain (a string with maxLength:
// one state per position).
struct LoopTarget {
  int32_t target = -1;
  int32_t step = -1;
  ByteSet step_bytes;
  static constexpr int kMinEntryBytes = 16;
};

// A state's items, stored in the automaton's item arena (never moved).
class ItemSpan {
 public:
  ItemSpan() = default;
  ItemSpan(const EarleyItem* data, size_t size) : data_(data), size_(size) {}
  const EarleyItem* begin() const { return data_; }
  const EarleyItem* end() const { return data_ + size_; }
  size_t size() const { return size_; }
  bool operator==(const std::vector<EarleyItem>& v) const {
    return v.size() == size_ && std::equal(v.begin(), v.end(), data_);
  }

 private:
  const EarleyItem* data_ = nullptr;
  size_t size_ = 0;
};

struct EarleyState {
  // Sorted by (symbol after the dot, slot, origin); completed items are not
  // kept (see Intern), so a set may be empty yet complete.
  ItemSpan items;
  ByteSet first;                  // bytes some item can scan next
  bool complete = false;          // the start rule is complete from the root
  uint64_t hash = 0;
};

class EarleyAutomaton {
 public:
  EarleyAutomaton(FlatGrammar fg, const MatcherOptions& options);

  int32_t root() const { return 0; }
  // False when building the root set hit a limit; nothing else may be called.
  bool root_ok() const { return root_ok_; }
  const FlatGrammar& flat() const { return fg_; }
  std::mutex& mu() const { return mu_; }

  // Caller holds mu(). Returns the next state or kReject. A memoized
  // transition is one load; the first one builds the Earley set.
  int32_t NextLocked(int32_t state, uint8_t byte) {
    const int32_t* row = rows_[static_cast<size_t>(state)];
    if (row != nullptr) {
      int32_t v = row[byte];
      if (v != kUnknown) return v;
    }
    return ComputeNext(state, byte);
  }
  // Caller holds mu(). The state's self-loop (see SelfLoop); computed once
  // per state (builds at most one transition).
  SelfLoop SelfLoopLocked(int32_t state) {
    size_t i = static_cast<size_t>(state);
    if (!(loop_known_[i] & 1)) ComputeSelfLoop(state);
    return self_loop_[i];
  }
  // Caller holds mu(). Where the text after `state` loops (see LoopTarget).
  // Cached per state.
  LoopTarget LoopTargetLocked(int32_t state) {
    size_t i = static_cast<size_t>(state);
    if (!(loop_known_[i] & 2)) ComputeLoopTarget(state);
    return loop_target_[i];
  }
  // Caller holds mu(). Whether every valid multi-byte character read from
  // the state is accepted (so is every prefix of it) and leads to its
  // LoopTarget step, but for a few characters that fail at their last byte:
  // those (often none), or nullptr when not. Cached (the pointer stays
  // valid); asked only where it pays (it builds the states inside those
  // characters).
  const std::vector<std::string>* Utf8StepLocked(int32_t state);
  bool Utf8StepKnownLocked(int32_t state) const { return (loop_known_[static_cast<size_t>(state)] & 4) != 0; }
  const EarleyState& StateLocked(int32_t state) const { return states_[static_cast<size_t>(state)]; }
  int64_t num_states_locked() const { return static_cast<int64_t>(states_.size()); }
  // Whether a set or state limit ever turned a transition into a rejection.
  bool limit_hit_locked() const { return limit_hit_; }

  // Locking conveniences.
  int32_t Next(int32_t state, uint8_t byte) {
    std::lock_guard<std::mutex> lock(mu_);
    return NextLocked(state, byte);
  }
  bool IsComplete(int32_t state) const {
    std::lock_guard<std::mutex> lock(mu_);
    return states_[static_cast<size_t>(state)].complete;
  }
  ByteSet First(int32_t state) const {
    std::lock_guard<std::mutex> lock(mu_);
    return states_[static_cast<size_t>(state)].first;
  }
  bool limit_hit() const {
    std::lock_guard<std::mutex> lock(mu_);
    return limit_hit_;
  }

 private:
  int32_t ComputeNext(int32_t state, uint8_t byte);
  ByteSet LargestAsciiClass(int32_t state) const;  // of the bytes the state can scan
  void ComputeSelfLoop(int32_t state);
  void ComputeLoopTarget(int32_t state);
  bool MultibyteLeadsTo(int32_t from, int32_t to, std::vector<std::string>* excluded);
  // Utf8StepLocked's proof by character class, for a state that reads every
  // non-ASCII byte, and `b` (a byte of its LoopTarget step class), only
  // through the productions of one nonterminal H predicted in it (a string
  // body's character class). Then any character takes the state through H
  // alone and ends by completing H, as `b` does; so the answer depends only
  // on H and is proved once, from a context-free state (cached). Returns 1
  // (proved, *excluded filled) or 0 (disproved), or -1 when the state does
  // not have that shape.
  int Utf8StepByClass(int32_t state, uint8_t b, std::vector<std::string>* excluded);
  // Whether every string `nt` derives is whole UTF-8 characters (never a
  // partial or invalid one): an abstract run of utf8::Step over the
  // productions reachable from nt (a fixpoint; false past
  // kMaxWholeCharNonterminals of them). Cached.
  bool WholeCharacters(int32_t nt);
  static constexpr size_t kMaxWholeCharNonterminals = 64;
  // Per validator state, the states (bit set) one byte of terminal t leads
  // to (kBroken absorbs). Computed on first use.
  static constexpr int kUtf8States = utf8::kBroken + 1;
  const std::array<uint16_t, kUtf8States>& TerminalUtf8Steps(int32_t t);
  int32_t InternKernel(const std::vector<EarleyItem>& kernel);  // closes and interns a set
  static constexpr size_t kMaxExcludedChars = 16;
  // MultibyteLeadsTo gives up past this many (state, validator state) pairs
  // or new states: a plain string body needs ~20 and ~15.
  static constexpr size_t kMaxMultibyteProbe = 32;
  static constexpr size_t kMaxMultibyteNewStates = 48;
  void Add(int32_t slot, int32_t origin);
  // The first of s's items whose next symbol is `sym` (items sort by it).
  const EarleyItem* WaitingOn(const EarleyState& s, int32_t sym) const;
  void Close();                          // runs the predict/complete worklist
  int32_t Intern(bool building_root);    // canonicalizes work_ into a state id

  FlatGrammar fg_;
  MatcherOptions options_;
  mutable std::mutex mu_;
  std::deque<EarleyState> states_;  // a deque: references stay valid as states are added
  // Item arena: chunks of at least kItemChunk items, filled in order.
  static constexpr size_t kItemChunk = size_t{1} << 16;
  std::vector<std::unique_ptr<EarleyItem[]>> item_chunks_;
  size_t chunk_used_ = 0, chunk_size_ = 0;
  // Per state: 256 memoized transitions (kUnknown until computed; the row is
  // allocated on first use), and the loop facts once known.
  std::vector<int32_t*> rows_;  // into row_chunks_ (nullptr until first use)
  static constexpr int kRowsPerChunk = 64;
  std::vector<std::unique_ptr<int32_t[]>> row_chunks_;
  int rows_in_last_chunk_ = 0;
  std::vector<SelfLoop> self_loop_;
  std::vector<LoopTarget> loop_target_;
  std::vector<uint8_t> utf8_step_;  // 0 no, 1 yes, 2 yes but for utf8_excluded_[state]
  std::unordered_map<int32_t, std::vector<std::string>> utf8_excluded_;
  struct ClassProof {
    int verdict;  // Utf8StepByClass's answer: 1, 0, or -1 when H is not whole characters
    std::vector<std::string> excluded;
  };
  std::unordered_map<uint64_t, ClassProof> class_proofs_;  // (waiting slot, byte) -> proof
  std::unordered_map<int32_t, bool> whole_chars_;           // nonterminal -> WholeCharacters
  std::vector<std::pair<bool, std::array<uint16_t, kUtf8States>>> terminal_utf8_steps_;  // per terminal: known, steps
  std::vector<uint8_t> loop_known_;  // bit 0: self_loop_, bit 1: loop_target_, bit 2: utf8_step_
  // Open-addressing table of state ids (-1 = empty) and their hashes, load <= 1/2.
  std::vector<int32_t> intern_;
  std::vector<uint64_t> intern_hash_;
  bool limit_hit_ = false;
  bool root_ok_ = false;

  // Scratch for building one set.
  std::vector<EarleyItem> work_;
  std::vector<uint64_t> seen_keys_;    // open addressing, 0 = empty (keys are stored +1)
  std::vector<uint32_t> predicted_;    // per nonterminal: generation when predicted
  uint32_t generation_ = 0;
  bool overflow_ = false;
};

}  // namespace steer::grammar
