#include "grammar/earley.h"

#include <algorithm>
#include <array>
#include <functional>

#include "steer/util/check.h"
#include "steer/util/utf8.h"

namespace steer::grammar {
namespace {

uint64_t Mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
  h *= 0xBF58476D1CE4E5B9ull;
  return h ^ (h >> 31);
}

uint64_t ItemKey(int32_t slot, int32_t origin) {
  return ((static_cast<uint64_t>(static_cast<uint32_t>(slot)) << 32) |
          static_cast<uint32_t>(origin + 1)) + 1;  // never 0 (0 marks an empty bucket)
}

}  // namespace

EarleyAutomaton::EarleyAutomaton(FlatGrammar fg, const MatcherOptions& options)
    : fg_(std::move(fg)), options_(options), predicted_(fg_.prods.size(), 0) {
  seen_keys_.assign(64, 0);
  intern_.assign(64, -1);
  intern_hash_.assign(64, 0);
  ++generation_;
  work_.clear();
  overflow_ = false;
  if (fg_.start_slot >= 0) Add(fg_.start_slot, kSelf);
  Close();
  // The root set alone may pass max_set_items (e.g. deeply nested
  // repetitions): then there is no root, and CompileParser reports it.
  root_ok_ = Intern(/*building_root=*/true) == 0;
}

void EarleyAutomaton::Add(int32_t slot, int32_t origin) {
  uint64_t key = ItemKey(slot, origin);
  size_t mask = seen_keys_.size() - 1;
  size_t i = static_cast<size_t>(Mix(0, key)) & mask;
  while (seen_keys_[i] != 0) {
    if (seen_keys_[i] == key) return;
    i = (i + 1) & mask;
  }
  seen_keys_[i] = key;
  work_.push_back({slot, origin});
  if (static_cast<int64_t>(work_.size()) > options_.max_set_items) overflow_ = true;
  if (work_.size() * 2 > seen_keys_.size()) {
    // Grow and rehash everything inserted so far (all of it is in work_).
    seen_keys_.assign(seen_keys_.size() * 2, 0);
    size_t m = seen_keys_.size() - 1;
    for (const EarleyItem& it : work_) {
      uint64_t k = ItemKey(it.slot, it.origin);
      size_t j = static_cast<size_t>(Mix(0, k)) & m;
      while (seen_keys_[j] != 0) j = (j + 1) & m;
      seen_keys_[j] = k;
    }
  }
}

const EarleyItem* EarleyAutomaton::WaitingOn(const EarleyState& s, int32_t sym) const {
  return std::lower_bound(s.items.begin(), s.items.end(), sym, [&](const EarleyItem& a, int32_t v) {
    return fg_.slot_next[static_cast<size_t>(a.slot)] < v;
  });
}

void EarleyAutomaton::Close() {
  for (size_t i = 0; i < work_.size() && !overflow_; ++i) {
    EarleyItem it = work_[i];
    int32_t sym = fg_.slot_next[static_cast<size_t>(it.slot)];
    if (sym == kEndOfProduction) {
      // A completion from this very set can only be an empty derivation;
      // the nullable rule below already advanced everything waiting on it.
      if (it.origin == kSelf) continue;
      const EarleyState& o = states_[static_cast<size_t>(it.origin)];
      int32_t lhs = fg_.slot_lhs[static_cast<size_t>(it.slot)];
      for (auto w = WaitingOn(o, lhs); w != o.items.end() && fg_.slot_next[static_cast<size_t>(w->slot)] == lhs; ++w) {
        Add(w->slot + 1, w->origin == kSelf ? it.origin : w->origin);
      }
    } else if (sym >= 0) {
      if (predicted_[static_cast<size_t>(sym)] != generation_) {
        predicted_[static_cast<size_t>(sym)] = generation_;
        for (int32_t p : fg_.prods[static_cast<size_t>(sym)]) Add(p, kSelf);
      }
      if (fg_.nullable[static_cast<size_t>(sym)]) Add(it.slot + 1, it.origin);
    }
  }
}

int32_t EarleyAutomaton::Intern(bool building_root) {
  // Clear the dedup table (only the buckets this set used).
  if (work_.size() * 8 < seen_keys_.size()) {
    size_t m = seen_keys_.size() - 1;
    for (const EarleyItem& it : work_) {
      uint64_t k = ItemKey(it.slot, it.origin);
      size_t j = static_cast<size_t>(Mix(0, k)) & m;
      while (seen_keys_[j] != k) j = (j + 1) & m;  // k is present: skips zeroed buckets
      seen_keys_[j] = 0;
    }
  } else {
    std::fill(seen_keys_.begin(), seen_keys_.end(), 0);
  }
  if (overflow_) {
    limit_hit_ = true;
    return kReject;
  }
  if (work_.empty() && !building_root) return kReject;
  // Completed items were fully used by Close() and no later set reads them,
  // so they are dropped before interning (otherwise e.g. every character of
  // a string would make a new state, through completed items whose origin
  // is the previous state). Only the accept item survives, as `complete`.
  int32_t accept_origin = building_root ? kSelf : 0;
  bool complete = false;
  ByteSet first;
  size_t kept = 0;
  for (const EarleyItem& it : work_) {
    int32_t sym = fg_.slot_next[static_cast<size_t>(it.slot)];
    if (sym == kEndOfProduction) {
      if (it.slot == fg_.accept_slot && it.origin == accept_origin) complete = true;
      continue;
    }
    if (sym < 0) first |= fg_.terminals[static_cast<size_t>(TerminalOf(sym))];
    work_[kept++] = it;
  }
  work_.resize(kept);
  std::sort(work_.begin(), work_.end(), [&](const EarleyItem& a, const EarleyItem& b) {
    int32_t sa = fg_.slot_next[static_cast<size_t>(a.slot)], sb = fg_.slot_next[static_cast<size_t>(b.slot)];
    if (sa != sb) return sa < sb;
    if (a.slot != b.slot) return a.slot < b.slot;
    return a.origin < b.origin;
  });
  uint64_t h = complete ? 0xC0DE : 0x5EED;
  for (const EarleyItem& it : work_) h = Mix(h, ItemKey(it.slot, it.origin));
  // Open addressing over state ids; the stored hash screens before the
  // item comparison.
  size_t slot = static_cast<size_t>(h) & (intern_.size() - 1);
  for (; intern_[slot] >= 0; slot = (slot + 1) & (intern_.size() - 1)) {
    if (intern_hash_[slot] != h) continue;
    const EarleyState& other = states_[static_cast<size_t>(intern_[slot])];
    if (other.complete == complete && other.items == work_) return intern_[slot];
  }
  if (static_cast<int64_t>(states_.size()) >= options_.max_states) {
    limit_hit_ = true;
    return kReject;
  }
  if (item_chunks_.empty() || chunk_size_ - chunk_used_ < work_.size()) {
    chunk_size_ = std::max(kItemChunk, work_.size());
    item_chunks_.push_back(std::unique_ptr<EarleyItem[]>(new EarleyItem[chunk_size_]));
    chunk_used_ = 0;
  }
  EarleyItem* items = item_chunks_.back().get() + chunk_used_;
  std::copy(work_.begin(), work_.end(), items);
  chunk_used_ += work_.size();
  EarleyState& st = states_.emplace_back();
  st.items = ItemSpan(items, work_.size());
  st.hash = h;
  st.first = first;
  st.complete = complete;
  int32_t id = static_cast<int32_t>(states_.size()) - 1;
  rows_.push_back(nullptr);
  self_loop_.emplace_back();
  loop_target_.emplace_back();
  utf8_step_.push_back(0);
  loop_known_.push_back(0);
  intern_[slot] = id;
  intern_hash_[slot] = h;
  if (states_.size() * 2 > intern_.size()) {
    // Grow to keep the load under 1/2 and reinsert every state.
    intern_.assign(intern_.size() * 2, -1);
    intern_hash_.assign(intern_.size(), 0);
    for (size_t k = 0; k < states_.size(); ++k) {
      size_t j = static_cast<size_t>(states_[k].hash) & (intern_.size() - 1);
      while (intern_[j] >= 0) j = (j + 1) & (intern_.size() - 1);
      intern_[j] = static_cast<int32_t>(k);
      intern_hash_[j] = states_[k].hash;
    }
  }
  return id;
}

ByteSet EarleyAutomaton::LargestAsciiClass(int32_t state) const {
  // Refine {ASCII bytes the state can scan} by every scanned terminal:
  // bytes end in one class iff each terminal holds all or none of them,
  // which is exactly when ComputeNext gives them one transition.
  const EarleyState& st = states_[static_cast<size_t>(state)];
  ByteSet ascii = st.first;
  ascii &= ByteSet::Range(0, 0x7F);
  std::vector<ByteSet> classes = {ascii};
  for (const EarleyItem& it : st.items) {
    int32_t sym = fg_.slot_next[static_cast<size_t>(it.slot)];
    if (sym >= 0) break;  // terminal items sort first
    const ByteSet& t = fg_.terminals[static_cast<size_t>(TerminalOf(sym))];
    for (size_t k = 0, n = classes.size(); k < n; ++k) {
      ByteSet in = classes[k], out = classes[k];
      in &= t;
      out.Subtract(t);
      if (in.Empty() || out.Empty()) continue;
      classes[k] = in;
      classes.push_back(out);
    }
  }
  return *std::max_element(classes.begin(), classes.end(),
                           [](const ByteSet& a, const ByteSet& b) { return a.Count() < b.Count(); });
}

namespace {
uint8_t FirstByte(const ByteSet& set) {
  for (int w = 0; w < 4; ++w) {
    if (set.words()[w] != 0) return static_cast<uint8_t>(w * 64 + __builtin_ctzll(set.words()[w]));
  }
  return 0;
}
}  // namespace

void EarleyAutomaton::ComputeSelfLoop(int32_t state) {
  // Only the largest class can hold kMinBytes bytes, so only its transition
  // is built; other looping bytes (if any) are left out, which is safe: the
  // walk steps through non-members.
  SelfLoop loop;
  loop.bytes = LargestAsciiClass(state);
  loop.jumpable = loop.bytes.Count() >= SelfLoop::kMinBytes && NextLocked(state, FirstByte(loop.bytes)) == state;
  self_loop_[static_cast<size_t>(state)] = loop;
  loop_known_[static_cast<size_t>(state)] |= 1;
}

void EarleyAutomaton::ComputeLoopTarget(int32_t state) {
  LoopTarget lt;
  const SelfLoop self = SelfLoopLocked(state);
  if (self.jumpable) {
    lt.target = lt.step = state;
    lt.step_bytes = self.bytes;
  } else {
    const ByteSet c = self.bytes;  // the largest class, which does not loop
    if (!c.Empty()) {
      lt.step = NextLocked(state, FirstByte(c));
      lt.step_bytes = c;
      if (lt.step >= 0 && c.Count() >= LoopTarget::kMinEntryBytes && SelfLoopLocked(lt.step).jumpable) {
        lt.target = lt.step;
      }
    }
  }
  loop_target_[static_cast<size_t>(state)] = lt;
  loop_known_[static_cast<size_t>(state)] |= 2;
}

// Whether every valid multi-byte character read from `from` is accepted
// (so is every prefix of it) and leads to `to`, except at most
// kMaxExcludedChars characters that fail only at their last byte (appended to
// *excluded; e.g. U+2028 for a regex `.`). Depth-first over (grammar state,
// validator state) pairs inside a character, each pair's failing suffixes
// memoized; gives up (false) past kMaxMultibyteProbe pairs or
// kMaxMultibyteNewStates new states. NextLocked may add states, so nothing
// holds references into the state tables.
bool EarleyAutomaton::MultibyteLeadsTo(int32_t from, int32_t to, std::vector<std::string>* excluded) {
  using utf8::ValidatorState;
  struct Pair {
    int32_t g;
    ValidatorState v;
    std::vector<std::string> fails;  // suffixes from here that do not lead to `to`
  };
  std::vector<Pair> memo;
  const size_t states_at_start = states_.size();
  std::function<bool(int32_t, ValidatorState, std::vector<std::string>*)> fails =
      [&](int32_t g, ValidatorState v, std::vector<std::string>* out) {
        for (const Pair& p : memo) {
          if (p.g == g && p.v == v) {
            *out = p.fails;
            return true;
          }
        }
        if (memo.size() >= kMaxMultibyteProbe || states_.size() > states_at_start + kMaxMultibyteNewStates) return false;
        std::vector<std::string> f, sub;
        for (int c = 0x80; c <= 0xBF; ++c) {
          const ValidatorState v2 = utf8::Step(v, static_cast<uint8_t>(c));
          if (v2 == utf8::kBroken) continue;
          const int32_t g2 = NextLocked(g, static_cast<uint8_t>(c));
          if (v2 == utf8::kBoundary) {
            if (g2 != to) f.emplace_back(1, static_cast<char>(c));
          } else {
            if (g2 < 0 || !fails(g2, v2, &sub)) return false;  // a whole range of characters fails
            for (const std::string& x : sub) f.push_back(static_cast<char>(c) + x);
          }
          if (f.size() > kMaxExcludedChars) return false;
        }
        memo.push_back({g, v, f});
        *out = std::move(f);
        return true;
      };
  std::vector<std::string> sub;
  for (int b = 0xC2; b <= 0xF4; ++b) {
    const int32_t g = NextLocked(from, static_cast<uint8_t>(b));
    if (g < 0 || !fails(g, utf8::Step(utf8::kBoundary, static_cast<uint8_t>(b)), &sub)) return false;
    for (const std::string& x : sub) excluded->push_back(static_cast<char>(b) + x);
    if (excluded->size() > kMaxExcludedChars) return false;
  }
  return true;
}

const std::vector<std::string>* EarleyAutomaton::Utf8StepLocked(int32_t state) {
  static const std::vector<std::string> kNone;
  const size_t i = static_cast<size_t>(state);
  if (!(loop_known_[i] & 4)) {
    const LoopTarget lt = LoopTargetLocked(state);
    std::vector<std::string> excluded;
    bool ok = false;
    if (lt.step >= 0) {
      const int by_class = Utf8StepByClass(state, FirstByte(lt.step_bytes), &excluded);
      ok = by_class >= 0 ? by_class == 1 : MultibyteLeadsTo(state, lt.step, &excluded);
    }
    utf8_step_[i] = ok ? (excluded.empty() ? 1 : 2) : 0;
    if (ok && !excluded.empty()) utf8_excluded_[state] = std::move(excluded);
    loop_known_[i] |= 4;
  }
  if (utf8_step_[i] == 0) return nullptr;
  return utf8_step_[i] == 1 ? &kNone : &utf8_excluded_[state];
}

int EarleyAutomaton::Utf8StepByClass(int32_t state, uint8_t b, std::vector<std::string>* excluded) {
  // Shape: every item that scans a byte >= 0x80 or b is a production of one
  // nonterminal H at its start, predicted here (origin kSelf), and the ones
  // that scan b are single-terminal productions. A lead byte then leaves only
  // H's items (whose origin is this state), H never completes inside a
  // character (WholeCharacters), and a whole character completes H here,
  // exactly as b does. So Next(state, character) == Next(state, b) iff, in a
  // state holding just H's predictions under one item waiting on H, the
  // character leads where b leads, which is what MultibyteLeadsTo checks
  // there; characters that fail do so inside H, in both states alike.
  const EarleyState& s = states_[static_cast<size_t>(state)];  // states are never moved or changed
  int32_t h = -1;
  for (const EarleyItem& it : s.items) {
    const int32_t sym = fg_.slot_next[static_cast<size_t>(it.slot)];
    if (sym >= 0) break;  // terminal items sort first
    const ByteSet& t = fg_.terminals[static_cast<size_t>(TerminalOf(sym))];
    const bool high = (t.words()[2] | t.words()[3]) != 0;
    const bool scans_b = t.Contains(b);
    if (!high && !scans_b) continue;
    const bool starts = it.slot == 0 || fg_.slot_next[static_cast<size_t>(it.slot) - 1] == kEndOfProduction;
    const int32_t lhs = fg_.slot_lhs[static_cast<size_t>(it.slot)];
    if (it.origin != kSelf || !starts || (h >= 0 && lhs != h)) return -1;
    if (scans_b && fg_.slot_next[static_cast<size_t>(it.slot) + 1] != kEndOfProduction) return -1;
    h = lhs;
  }
  if (h < 0 || fg_.nullable[static_cast<size_t>(h)]) return -1;
  const EarleyItem* waiting = WaitingOn(s, h);
  if (waiting == s.items.end() || fg_.slot_next[static_cast<size_t>(waiting->slot)] != h) return -1;
  const int32_t waiting_slot = waiting->slot;  // its next symbol is h: the key determines h
  const uint64_t key = static_cast<uint64_t>(static_cast<uint32_t>(waiting_slot)) << 8 | b;
  auto known = class_proofs_.find(key);
  if (known == class_proofs_.end()) {
    ClassProof proof{-1, {}};
    if (WholeCharacters(h)) {
      const int32_t from = InternKernel({{waiting_slot, kSelf}});
      if (from < 0) return -1;  // a state limit: not cached
      const int32_t to = NextLocked(from, b);
      proof.verdict = to >= 0 && MultibyteLeadsTo(from, to, &proof.excluded) ? 1 : 0;
    }
    known = class_proofs_.emplace(key, std::move(proof)).first;
  }
  if (known->second.verdict == 1) {
    excluded->insert(excluded->end(), known->second.excluded.begin(), known->second.excluded.end());
  }
  return known->second.verdict;
}

bool EarleyAutomaton::WholeCharacters(int32_t nt) {
  if (auto it = whole_chars_.find(nt); it != whole_chars_.end()) return it->second;
  constexpr int kStates = kUtf8States;
  // The nonterminals nt reaches.
  std::vector<int32_t> order = {nt};
  std::unordered_map<int32_t, size_t> index = {{nt, 0}};
  bool ok = true;
  for (size_t k = 0; k < order.size() && ok; ++k) {
    for (int32_t p : fg_.prods[static_cast<size_t>(order[k])]) {
      for (int32_t slot = p; fg_.slot_next[static_cast<size_t>(slot)] != kEndOfProduction; ++slot) {
        const int32_t sym = fg_.slot_next[static_cast<size_t>(slot)];
        if (sym < 0 || index.count(sym)) continue;
        if (order.size() >= kMaxWholeCharNonterminals) ok = false;
        index.emplace(sym, order.size());
        order.push_back(sym);
      }
    }
  }
  if (!ok) return whole_chars_[nt] = false;
  // ends[k][v]: the validator states (bit set) where a string derived by
  // order[k], read from state v, can end; kBroken absorbs. Least fixpoint.
  std::vector<std::array<uint16_t, kStates>> ends(order.size());
  for (auto& e : ends) e.fill(0);
  // The states reachable from the set `from` through relation `rel`.
  auto apply = [](const std::array<uint16_t, kStates>& rel, uint16_t from) {
    uint16_t out = 0;
    for (int v = 0; v < kStates; ++v) {
      if (from >> v & 1) out |= rel[static_cast<size_t>(v)];
    }
    return out;
  };
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t k = 0; k < order.size(); ++k) {
      for (int v = 0; v < kStates; ++v) {
        uint16_t acc = ends[k][static_cast<size_t>(v)];
        for (int32_t p : fg_.prods[static_cast<size_t>(order[k])]) {
          uint16_t cur = static_cast<uint16_t>(1u << v);
          for (int32_t slot = p; cur != 0 && fg_.slot_next[static_cast<size_t>(slot)] != kEndOfProduction; ++slot) {
            const int32_t sym = fg_.slot_next[static_cast<size_t>(slot)];
            cur = apply(sym < 0 ? TerminalUtf8Steps(TerminalOf(sym)) : ends[index[sym]], cur);
          }
          acc |= cur;
        }
        if (acc != ends[k][static_cast<size_t>(v)]) {
          ends[k][static_cast<size_t>(v)] = acc;
          changed = true;
        }
      }
    }
  }
  return whole_chars_[nt] = ends[0][utf8::kBoundary] == (1u << utf8::kBoundary);
}

const std::array<uint16_t, EarleyAutomaton::kUtf8States>& EarleyAutomaton::TerminalUtf8Steps(int32_t t) {
  if (terminal_utf8_steps_.empty()) terminal_utf8_steps_.resize(fg_.terminals.size());
  auto& entry = terminal_utf8_steps_[static_cast<size_t>(t)];
  if (entry.first) return entry.second;
  const ByteSet& set = fg_.terminals[static_cast<size_t>(t)];
  for (int v = 0; v < kUtf8States; ++v) {
    for (int w = 0; w < 4; ++w) {
      for (uint64_t bits = set.words()[w]; bits != 0; bits &= bits - 1) {
        const auto x = static_cast<uint8_t>(w * 64 + __builtin_ctzll(bits));
        const utf8::ValidatorState to =
            v == utf8::kBroken ? utf8::kBroken : utf8::Step(static_cast<utf8::ValidatorState>(v), x);
        entry.second[static_cast<size_t>(v)] |= static_cast<uint16_t>(1u << to);
      }
    }
  }
  entry.first = true;
  return entry.second;
}

int32_t EarleyAutomaton::InternKernel(const std::vector<EarleyItem>& kernel) {
  ++generation_;
  work_.clear();
  overflow_ = false;
  for (const EarleyItem& it : kernel) Add(it.slot, it.origin);
  Close();
  return Intern(/*building_root=*/false);
}

int32_t EarleyAutomaton::ComputeNext(int32_t state, uint8_t byte) {
  int32_t*& row = rows_[static_cast<size_t>(state)];
  if (row == nullptr) {
    // Rows come from chunks of kRowsPerChunk: one allocation per chunk.
    if (row_chunks_.empty() || rows_in_last_chunk_ == kRowsPerChunk) {
      row_chunks_.push_back(std::unique_ptr<int32_t[]>(new int32_t[kRowsPerChunk * 256]));
      rows_in_last_chunk_ = 0;
    }
    row = row_chunks_.back().get() + 256 * rows_in_last_chunk_++;
    std::fill(row, row + 256, kUnknown);
  }
  const EarleyState& s = states_[static_cast<size_t>(state)];
  int32_t& memo = row[byte];
  if (memo != kUnknown) return memo;
  if (!s.first.Contains(byte)) return memo = kReject;
  ++generation_;
  work_.clear();
  overflow_ = false;
  // The new set depends only on which scanning items advance, so every byte
  // in the same class (inside or outside each scanned terminal alike) gets
  // the same transition: one build per class (e.g. all plain characters of
  // a string body) instead of one per byte.
  ByteSet same = ByteSet::All();
  for (const EarleyItem& it : s.items) {
    int32_t sym = fg_.slot_next[static_cast<size_t>(it.slot)];
    if (sym >= 0) break;  // terminal items sort first (negative symbols)
    const ByteSet& t = fg_.terminals[static_cast<size_t>(TerminalOf(sym))];
    if (t.Contains(byte)) {
      same &= t;
      Add(it.slot + 1, it.origin == kSelf ? state : it.origin);
    } else {
      same.Subtract(t);
    }
  }
  Close();
  const int32_t next = Intern(/*building_root=*/false);
  // Intern may have grown rows_: look the row up again.
  int32_t* r = rows_[static_cast<size_t>(state)];
  for (int w = 0; w < 4; ++w) {
    for (uint64_t bits = same.words()[w]; bits != 0; bits &= bits - 1) r[w * 64 + __builtin_ctzll(bits)] = next;
  }
  return memo;
}

}  // namespace steer::grammar
