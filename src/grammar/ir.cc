#include "steer/grammar/ir.h"

#include <algorithm>
#include <map>

#include "steer/util/check.h"

namespace steer::grammar {

// ---------------------------------------------------------------- ByteSet

ByteSet ByteSet::Single(uint8_t b) {
  ByteSet s;
  s.Add(b);
  return s;
}

ByteSet ByteSet::Range(uint8_t lo, uint8_t hi) {
  ByteSet s;
  s.AddRange(lo, hi);
  return s;
}

ByteSet ByteSet::All() { return Range(0, 255); }

void ByteSet::AddRange(uint8_t lo, uint8_t hi) {
  // Word by word: bits [lo, hi] intersected with each word's 64 bytes.
  for (int w = lo >> 6; w <= hi >> 6; ++w) {
    int a = std::max<int>(lo, w * 64) - w * 64, b = std::min<int>(hi, w * 64 + 63) - w * 64;  // 0 <= a <= b <= 63
    uint64_t upto_b = b == 63 ? ~uint64_t{0} : (uint64_t{1} << (b + 1)) - 1;
    w_[w] |= upto_b & ~((uint64_t{1} << a) - 1);
  }
}

int ByteSet::Count() const {
  return __builtin_popcountll(w_[0]) + __builtin_popcountll(w_[1]) + __builtin_popcountll(w_[2]) +
         __builtin_popcountll(w_[3]);
}

ByteSet& ByteSet::operator|=(const ByteSet& o) {
  for (int i = 0; i < 4; ++i) w_[i] |= o.w_[i];
  return *this;
}

ByteSet& ByteSet::operator&=(const ByteSet& o) {
  for (int i = 0; i < 4; ++i) w_[i] &= o.w_[i];
  return *this;
}

ByteSet& ByteSet::Subtract(const ByteSet& o) {
  for (int i = 0; i < 4; ++i) w_[i] &= ~o.w_[i];
  return *this;
}

bool ByteSet::operator==(const ByteSet& o) const {
  return w_[0] == o.w_[0] && w_[1] == o.w_[1] && w_[2] == o.w_[2] && w_[3] == o.w_[3];
}

// ---------------------------------------------------------------- Grammar

Grammar::Grammar(GrammarLimits limits) : limits_(limits) {}

ExprId Grammar::Add(Expr e) {
  exprs_.push_back(std::move(e));
  return static_cast<ExprId>(exprs_.size() - 1);
}

RuleId Grammar::DeclareRule(std::string_view name) {
  auto it = rule_ids_.find(std::string(name));
  if (it != rule_ids_.end()) return it->second;
  RuleId id = static_cast<RuleId>(rules_.size());
  rules_.push_back(Rule{std::string(name), -1});
  rule_ids_.emplace(std::string(name), id);
  return id;
}

void Grammar::DefineRule(RuleId rule, ExprId body) {
  STEER_CHECK(rule >= 0 && rule < num_rules());
  STEER_CHECK(body >= 0 && body < num_exprs());
  rules_[static_cast<size_t>(rule)].body = body;
}

RuleId Grammar::NewRule(std::string_view hint) {
  std::string base(hint.empty() ? "rule" : hint);
  for (;;) {
    std::string name = base + "_" + std::to_string(fresh_counter_++);
    if (rule_ids_.count(name) == 0) return DeclareRule(name);
  }
}

RuleId Grammar::FindRule(std::string_view name) const {
  auto it = rule_ids_.find(std::string(name));
  return it == rule_ids_.end() ? -1 : it->second;
}

ExprId Grammar::Empty() { return Add(Expr{}); }

ExprId Grammar::Bytes(const ByteSet& set) {
  Expr e;
  e.kind = ExprKind::kBytes;
  e.bytes = set;
  return Add(std::move(e));
}

ExprId Grammar::Literal(std::string_view bytes) {
  if (bytes.empty()) return Empty();
  if (bytes.size() == 1) return Bytes(ByteSet::Single(static_cast<uint8_t>(bytes[0])));
  std::vector<ExprId> parts;
  parts.reserve(bytes.size());
  for (char c : bytes) parts.push_back(Bytes(ByteSet::Single(static_cast<uint8_t>(c))));
  return Seq(std::move(parts));
}

ExprId Grammar::Ref(RuleId rule) {
  STEER_CHECK(rule >= 0 && rule < num_rules());
  Expr e;
  e.kind = ExprKind::kRule;
  e.rule = rule;
  return Add(std::move(e));
}

ExprId Grammar::Seq(std::vector<ExprId> children) {
  if (children.size() == 1) return children[0];
  for (ExprId c : children) STEER_CHECK(c >= 0 && c < num_exprs());
  Expr e;
  e.kind = ExprKind::kSeq;
  e.children = std::move(children);
  return Add(std::move(e));
}

ExprId Grammar::Alt(std::vector<ExprId> children) {
  if (children.size() == 1) return children[0];
  for (ExprId c : children) STEER_CHECK(c >= 0 && c < num_exprs());
  Expr e;
  e.kind = ExprKind::kAlt;
  e.children = std::move(children);
  return Add(std::move(e));
}

ExprId Grammar::Repeat(ExprId child, int32_t min, int32_t max) {
  STEER_CHECK(child >= 0 && child < num_exprs());
  Expr e;
  e.kind = ExprKind::kRepeat;
  e.children = {child};
  e.min = min;
  e.max = max;
  return Add(std::move(e));
}

// ---------------------------------------------------------------- Codepoints
//
// A scalar-value range [lo, hi] is split (RE2/utf8-ranges style) into pieces
// whose UTF-8 encodings all have the same length and differ only in a suffix
// of "free" continuation bytes, so each piece is a sequence of byte ranges:
// e.g. U+0080..U+07FF = [C2-DF][80-BF]. The sequences are then merged into a
// trie on their leading byte ranges, and siblings whose remaining subtrees are
// identical are joined into one byte set, so "any code point" lowers to four
// short alternatives instead of dozens.

namespace {

using ByteRangeSeq = std::vector<std::pair<uint8_t, uint8_t>>;

int EncodeCp(uint32_t cp, uint8_t out[4]) {
  if (cp < 0x80) {
    out[0] = static_cast<uint8_t>(cp);
    return 1;
  }
  if (cp < 0x800) {
    out[0] = static_cast<uint8_t>(0xC0 | (cp >> 6));
    out[1] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = static_cast<uint8_t>(0xE0 | (cp >> 12));
    out[1] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = static_cast<uint8_t>(0xF0 | (cp >> 18));
  out[1] = static_cast<uint8_t>(0x80 | ((cp >> 12) & 0x3F));
  out[2] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F));
  out[3] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
  return 4;
}

// Appends the byte-range sequences of [lo, hi] (no surrogates inside).
void SplitUtf8(uint32_t lo, uint32_t hi, std::vector<ByteRangeSeq>* out) {
  std::vector<std::pair<uint32_t, uint32_t>> stack = {{lo, hi}};
  while (!stack.empty()) {
    auto [s, e] = stack.back();
    stack.pop_back();
    bool split = false;
    for (uint32_t boundary : {0x7Fu, 0x7FFu, 0xFFFFu}) {
      if (s <= boundary && e > boundary) {
        stack.push_back({boundary + 1, e});
        stack.push_back({s, boundary});
        split = true;
        break;
      }
    }
    if (split) continue;
    for (int i = 1; i <= 3 && !split; ++i) {
      uint32_t m = (1u << (6 * i)) - 1;
      if ((s & ~m) != (e & ~m)) {
        if ((s & m) != 0) {
          stack.push_back({(s | m) + 1, e});
          stack.push_back({s, s | m});
          split = true;
        } else if ((e & m) != m) {
          stack.push_back({e & ~m, e});
          stack.push_back({s, (e & ~m) - 1});
          split = true;
        }
      }
    }
    if (split) continue;
    uint8_t a[4], b[4];
    int n = EncodeCp(s, a);
    int n2 = EncodeCp(e, b);
    STEER_CHECK(n == n2);
    ByteRangeSeq seq;
    for (int i = 0; i < n; ++i) seq.push_back({a[i], b[i]});
    out->push_back(std::move(seq));
  }
}

// Trie over byte ranges, built from the sequences above.
struct CpTrieNode {
  std::map<std::pair<uint8_t, uint8_t>, int> children;  // range -> node index
  bool terminal = false;
};

}  // namespace

ExprId Grammar::Codepoints(std::vector<std::pair<uint32_t, uint32_t>> ranges, bool negated) {
  // Normalize: clamp, sort, merge, then complement if negated, then remove
  // the surrogate block.
  std::vector<std::pair<uint32_t, uint32_t>> norm;
  for (auto [lo, hi] : ranges) {
    if (lo > hi || lo > 0x10FFFF) continue;
    norm.push_back({lo, std::min<uint32_t>(hi, 0x10FFFF)});
  }
  std::sort(norm.begin(), norm.end());
  std::vector<std::pair<uint32_t, uint32_t>> merged;
  for (auto r : norm) {
    if (!merged.empty() && r.first <= merged.back().second + 1) {
      merged.back().second = std::max(merged.back().second, r.second);
    } else {
      merged.push_back(r);
    }
  }
  if (negated) {
    std::vector<std::pair<uint32_t, uint32_t>> comp;
    uint32_t next = 0;
    for (auto [lo, hi] : merged) {
      if (lo > next) comp.push_back({next, lo - 1});
      next = hi + 1;
    }
    if (next <= 0x10FFFF) comp.push_back({next, 0x10FFFF});
    merged = std::move(comp);
  }
  std::vector<ByteRangeSeq> seqs;
  for (auto [lo, hi] : merged) {
    if (hi < 0xD800 || lo > 0xDFFF) {
      SplitUtf8(lo, hi, &seqs);
    } else {
      if (lo < 0xD800) SplitUtf8(lo, 0xD7FF, &seqs);
      if (hi > 0xDFFF) SplitUtf8(0xE000, hi, &seqs);
    }
  }
  if (seqs.empty()) return Alt({});  // matches nothing

  std::vector<CpTrieNode> trie(1);
  for (const ByteRangeSeq& seq : seqs) {
    int node = 0;
    for (auto range : seq) {
      auto it = trie[static_cast<size_t>(node)].children.find(range);
      if (it == trie[static_cast<size_t>(node)].children.end()) {
        int fresh = static_cast<int>(trie.size());
        trie[static_cast<size_t>(node)].children.emplace(range, fresh);
        trie.emplace_back();
        node = fresh;
      } else {
        node = it->second;
      }
    }
    trie[static_cast<size_t>(node)].terminal = true;
  }
  // Children always have larger indices than parents, so a reverse pass sees
  // every subtree before its parent. For each node: a canonical key of its
  // subtree (for merging identical siblings) and the expression "what may
  // follow once this node is reached".
  std::vector<std::string> key(trie.size());
  std::vector<ExprId> rest(trie.size(), -1);
  std::map<std::string, ExprId> built;  // subtree key -> its expression (shared)
  for (size_t i = trie.size(); i-- > 0;) {
    const CpTrieNode& n = trie[i];
    if (n.children.empty()) {
      key[i] = "$";
      rest[i] = -1;  // nothing follows
      continue;
    }
    STEER_CHECK(!n.terminal);  // all sequences of one prefix have equal length
    // Group children by the key of their subtree.
    std::map<std::string, std::pair<ByteSet, int>> groups;
    for (auto& [range, child] : n.children) {
      auto& g = groups[key[static_cast<size_t>(child)]];
      g.first.AddRange(range.first, range.second);
      g.second = child;
    }
    std::string k = "(";
    for (auto& [child_key, g] : groups) {
      for (int w = 0; w < 4; ++w) k += std::to_string(g.first.words()[w]) + ",";
      k += child_key + "|";
    }
    k += ")";
    auto it = built.find(k);
    if (it == built.end()) {
      std::vector<ExprId> alts;
      for (auto& [child_key, g] : groups) {
        ExprId head = Bytes(g.first);
        ExprId tail = rest[static_cast<size_t>(g.second)];
        alts.push_back(tail < 0 ? head : Seq({head, tail}));
      }
      it = built.emplace(k, Alt(std::move(alts))).first;
    }
    key[i] = std::move(k);
    rest[i] = it->second;
  }
  return rest[0];
}

// ---------------------------------------------------------------- Validate

Status Grammar::Validate() const {
  if (num_exprs() > limits_.max_exprs) {
    return MakeError(ErrorCode::kResourceExhausted,
                     "grammar has " + std::to_string(num_exprs()) +
                         " expressions, over the limit max_exprs=" + std::to_string(limits_.max_exprs));
  }
  if (num_rules() > limits_.max_rules) {
    return MakeError(ErrorCode::kResourceExhausted,
                     "grammar has " + std::to_string(num_rules()) +
                         " rules, over the limit max_rules=" + std::to_string(limits_.max_rules));
  }
  if (start_ < 0 || start_ >= num_rules()) {
    return MakeError(ErrorCode::kInvalidInput, "grammar has no start rule");
  }
  std::vector<int32_t> depth(exprs_.size(), 1);
  for (size_t i = 0; i < exprs_.size(); ++i) {
    const Expr& e = exprs_[i];
    for (ExprId c : e.children) {
      STEER_CHECK(c >= 0 && static_cast<size_t>(c) < i);  // constructors guarantee it
      depth[i] = std::max(depth[i], depth[static_cast<size_t>(c)] + 1);
    }
    if (depth[i] > limits_.max_expr_depth) {
      return MakeError(ErrorCode::kResourceExhausted,
                       "expression nesting deeper than the limit max_expr_depth=" +
                           std::to_string(limits_.max_expr_depth));
    }
    switch (e.kind) {
      case ExprKind::kRule: {
        const Rule& r = rules_[static_cast<size_t>(e.rule)];
        if (r.body < 0) {
          return MakeError(ErrorCode::kInvalidInput, "rule '" + r.name + "' is used but never defined");
        }
        break;
      }
      case ExprKind::kRepeat: {
        if (e.children.size() != 1) return MakeError(ErrorCode::kInternal, "repeat without exactly one child");
        if (e.min < 0 || (e.max != kUnbounded && e.max < e.min)) {
          return MakeError(ErrorCode::kInvalidInput, "repetition {" + std::to_string(e.min) + "," +
                                                         std::to_string(e.max) + "} has bad bounds");
        }
        int32_t bound = e.max == kUnbounded ? e.min : e.max;
        if (bound > limits_.max_repeat_bound) {
          return MakeError(ErrorCode::kResourceExhausted,
                           "repetition bound " + std::to_string(bound) +
                               " is over the limit max_repeat_bound=" + std::to_string(limits_.max_repeat_bound));
        }
        break;
      }
      default:
        break;
    }
  }
  const Rule& start = rules_[static_cast<size_t>(start_)];
  if (start.body < 0) {
    return MakeError(ErrorCode::kInvalidInput, "start rule '" + start.name + "' is never defined");
  }
  return Status();
}

// ---------------------------------------------------------------- ToString

namespace {

void AppendByteEscaped(uint8_t b, std::string* out) {
  static const char kHex[] = "0123456789ABCDEF";
  if (b == '\\' || b == ']' || b == '[' || b == '"' || b == '-' || b == '^' || b < 0x20 || b >= 0x7F) {
    *out += "\\x";
    *out += kHex[b >> 4];
    *out += kHex[b & 15];
  } else {
    *out += static_cast<char>(b);
  }
}

void AppendByteSet(const ByteSet& s, std::string* out) {
  if (s.Count() == 1) {
    for (int b = 0; b < 256; ++b) {
      if (s.Contains(static_cast<uint8_t>(b))) {
        *out += '"';
        AppendByteEscaped(static_cast<uint8_t>(b), out);
        *out += '"';
      }
    }
    return;
  }
  *out += '[';
  int b = 0;
  while (b < 256) {
    if (!s.Contains(static_cast<uint8_t>(b))) {
      ++b;
      continue;
    }
    int e = b;
    while (e + 1 < 256 && s.Contains(static_cast<uint8_t>(e + 1))) ++e;
    AppendByteEscaped(static_cast<uint8_t>(b), out);
    if (e > b) {
      if (e > b + 1) *out += '-';
      AppendByteEscaped(static_cast<uint8_t>(e), out);
    }
    b = e + 1;
  }
  *out += ']';
}

}  // namespace

std::string Grammar::ToString() const {
  // Expressions are printed with an explicit stack of (expr, phase) frames so
  // that even an unvalidated, deeply nested grammar cannot overflow the stack.
  std::string out;
  struct Frame {
    ExprId id;
    size_t next_child;
  };
  for (RuleId r = 0; r < num_rules(); ++r) {
    const Rule& rule = rules_[static_cast<size_t>(r)];
    out += rule.name;
    out += " ::= ";
    if (rule.body < 0) {
      out += "<undefined>\n";
      continue;
    }
    std::vector<Frame> stack = {{rule.body, 0}};
    while (!stack.empty()) {
      Frame& f = stack.back();
      const Expr& e = exprs_[static_cast<size_t>(f.id)];
      switch (e.kind) {
        case ExprKind::kEmpty:
          out += "\"\"";
          stack.pop_back();
          continue;
        case ExprKind::kBytes:
          AppendByteSet(e.bytes, &out);
          stack.pop_back();
          continue;
        case ExprKind::kRule:
          out += rules_[static_cast<size_t>(e.rule)].name;
          stack.pop_back();
          continue;
        default:
          break;
      }
      if (e.kind == ExprKind::kAlt && e.children.empty()) {
        out += "[]";  // matches nothing
        stack.pop_back();
        continue;
      }
      if (f.next_child == 0) out += '(';
      if (f.next_child == e.children.size()) {
        out += ')';
        if (e.kind == ExprKind::kRepeat) {
          if (e.min == 0 && e.max == kUnbounded) {
            out += '*';
          } else if (e.min == 1 && e.max == kUnbounded) {
            out += '+';
          } else if (e.min == 0 && e.max == 1) {
            out += '?';
          } else {
            out += '{' + std::to_string(e.min);
            if (e.max != e.min) out += ',' + (e.max == kUnbounded ? std::string() : std::to_string(e.max));
            out += '}';
          }
        }
        stack.pop_back();
        continue;
      }
      if (f.next_child > 0) out += e.kind == ExprKind::kAlt ? " | " : " ";
      ExprId child = e.children[f.next_child++];
      stack.push_back({child, 0});
    }
    out += '\n';
  }
  return out;
}

}  // namespace steer::grammar

// ---------------------------------------------------------------- analysis

namespace steer::grammar {
namespace {

// Nullability of every expression given the rules' nullability. Children
// have smaller ids than parents, so one forward pass suffices.
std::vector<uint8_t> ExprNullable(const Grammar& g, const std::vector<uint8_t>& rule_nullable) {
  std::vector<uint8_t> n(static_cast<size_t>(g.num_exprs()), 0);
  for (ExprId i = 0; i < g.num_exprs(); ++i) {
    const Expr& e = g.expr(i);
    uint8_t v = 0;
    switch (e.kind) {
      case ExprKind::kEmpty: v = 1; break;
      case ExprKind::kBytes: v = 0; break;
      case ExprKind::kRule: v = rule_nullable[static_cast<size_t>(e.rule)]; break;
      case ExprKind::kSeq:
        v = 1;
        for (ExprId c : e.children) v = v && n[static_cast<size_t>(c)];
        break;
      case ExprKind::kAlt:
        for (ExprId c : e.children) v = v || n[static_cast<size_t>(c)];
        break;
      case ExprKind::kRepeat: v = e.min == 0 || n[static_cast<size_t>(e.children[0])]; break;
    }
    n[static_cast<size_t>(i)] = v;
  }
  return n;
}

}  // namespace

RuleId Grammar::FindLeftRecursiveRule() const {
  size_t nr = rules_.size();
  std::vector<uint8_t> rule_nullable(nr, 0);
  std::vector<uint8_t> expr_nullable;
  for (bool changed = true; changed;) {
    changed = false;
    expr_nullable = ExprNullable(*this, rule_nullable);
    for (size_t r = 0; r < nr; ++r) {
      ExprId b = rules_[r].body;
      if (!rule_nullable[r] && b >= 0 && expr_nullable[static_cast<size_t>(b)]) {
        rule_nullable[r] = 1;
        changed = true;
      }
    }
  }
  // left[e] = rules that can come first in e; computed bottom-up like above.
  std::vector<std::vector<RuleId>> left(exprs_.size());
  for (size_t i = 0; i < exprs_.size(); ++i) {
    const Expr& e = exprs_[i];
    std::vector<RuleId>& out = left[i];
    switch (e.kind) {
      case ExprKind::kRule: out.push_back(e.rule); break;
      case ExprKind::kSeq:
        for (ExprId c : e.children) {
          out.insert(out.end(), left[static_cast<size_t>(c)].begin(), left[static_cast<size_t>(c)].end());
          if (!expr_nullable[static_cast<size_t>(c)]) break;
        }
        break;
      case ExprKind::kAlt:
        for (ExprId c : e.children)
          out.insert(out.end(), left[static_cast<size_t>(c)].begin(), left[static_cast<size_t>(c)].end());
        break;
      case ExprKind::kRepeat:
        if (e.max != 0) out = left[static_cast<size_t>(e.children[0])];
        break;
      default: break;
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  }
  // Cycle search in the rule graph (iterative DFS, colors 0 new, 1 open, 2 done).
  std::vector<uint8_t> color(nr, 0);
  for (size_t s = 0; s < nr; ++s) {
    if (color[s] != 0) continue;
    std::vector<std::pair<size_t, size_t>> stack = {{s, 0}};
    color[s] = 1;
    while (!stack.empty()) {
      auto& [r, k] = stack.back();
      ExprId b = rules_[r].body;
      const std::vector<RuleId>* succ = b >= 0 ? &left[static_cast<size_t>(b)] : nullptr;
      if (succ == nullptr || k == succ->size()) {
        color[r] = 2;
        stack.pop_back();
        continue;
      }
      size_t next = static_cast<size_t>((*succ)[k++]);
      if (color[next] == 1) return static_cast<RuleId>(next);
      if (color[next] == 0) {
        color[next] = 1;
        stack.push_back({next, 0});
      }
    }
  }
  return -1;
}

}  // namespace steer::grammar
