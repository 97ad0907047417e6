#include "grammar/flat_grammar.h"

#include <array>
#include <map>
#include <optional>
#include <unordered_map>

namespace steer::grammar {
namespace {

// Upper bound on the total number of symbols in all productions: {m,n}
// expansion multiplies sizes, so it is checked here and not only in the IR.
constexpr int64_t kMaxSymbols = int64_t{1} << 24;

class Flattener {
 public:
  explicit Flattener(const Grammar& g) : g_(g), memo_(static_cast<size_t>(g.num_exprs())) {}

  Result<FlatGrammar> Run() {
    for (RuleId r = 0; r < g_.num_rules(); ++r) NewNt(g_.rule(r).name);
    for (RuleId r = 0; r < g_.num_rules(); ++r) {
      ExprId body = g_.rule(r).body;
      if (body < 0) continue;
      const Expr& e = g_.expr(body);
      if (e.kind == ExprKind::kAlt) {
        for (ExprId c : e.children) {
          std::vector<int32_t> syms;
          Lower(c, &syms);
          AddProd(r, std::move(syms));
        }
      } else {
        std::vector<int32_t> syms;
        Lower(body, &syms);
        AddProd(r, std::move(syms));
      }
      if (symbols_ > kMaxSymbols) break;
    }
    if (symbols_ > kMaxSymbols) {
      return MakeError(ErrorCode::kResourceExhausted,
                       "grammar expands to more than " + std::to_string(kMaxSymbols) +
                           " symbols (large repetition bounds on large expressions)");
    }
    int32_t start = g_.start();
    int32_t sprime = NewNt("<start>");
    AddProd(sprime, {start});
    return Finish(sprime);
  }

 private:
  int32_t NewNt(std::string name) {
    names_.push_back(std::move(name));
    bodies_.emplace_back();
    return static_cast<int32_t>(names_.size() - 1);
  }
  void AddProd(int32_t nt, std::vector<int32_t> syms) {
    symbols_ += static_cast<int64_t>(syms.size()) + 1;
    bodies_[static_cast<size_t>(nt)].push_back(std::move(syms));
  }
  int32_t Terminal(const ByteSet& s) {
    std::array<uint64_t, 4> key{s.words()[0], s.words()[1], s.words()[2], s.words()[3]};
    auto it = terminal_ids_.find(key);
    if (it != terminal_ids_.end()) return it->second;
    int32_t id = static_cast<int32_t>(terminals_.size());
    terminals_.push_back(s);
    terminal_ids_.emplace(key, id);
    return id;
  }
  std::string HelperName(const char* what) { return std::string(what) + "#" + std::to_string(names_.size()); }

  // Appends the symbols `id` lowers to. Recursion depth is bounded by the IR's
  // validated max_expr_depth.
  void Lower(ExprId id, std::vector<int32_t>* out) {
    if (symbols_ > kMaxSymbols) return;
    const Expr& e = g_.expr(id);
    switch (e.kind) {
      case ExprKind::kEmpty:
        return;
      case ExprKind::kBytes:
        out->push_back(TerminalSymbol(Terminal(e.bytes)));
        return;
      case ExprKind::kRule:
        out->push_back(e.rule);
        return;
      case ExprKind::kSeq:
        for (ExprId c : e.children) Lower(c, out);
        return;
      default:
        break;
    }
    auto& memo = memo_[static_cast<size_t>(id)];
    if (!memo.has_value()) memo = LowerCompound(e);
    symbols_ += static_cast<int64_t>(memo->size());
    out->insert(out->end(), memo->begin(), memo->end());
  }

  std::vector<int32_t> LowerCompound(const Expr& e) {
    if (e.kind == ExprKind::kAlt) {
      int32_t nt = NewNt(HelperName("alt"));
      for (ExprId c : e.children) {
        std::vector<int32_t> syms;
        Lower(c, &syms);
        AddProd(nt, std::move(syms));
      }
      return {nt};
    }
    // kRepeat
    std::vector<int32_t> xs;
    Lower(e.children[0], &xs);
    if (xs.empty()) return {};
    int32_t x = xs[0];
    if (xs.size() > 1) {
      x = NewNt(HelperName("group"));
      AddProd(x, std::move(xs));
    }
    symbols_ += e.min;
    if (e.max == kUnbounded && e.min > 0) {
      // P ::= x^min | P x rather than x^min S: after the min-th x the parse
      // state already loops (every further x returns to it), which the mask
      // walk's loop jump relies on (with S, the first x of S makes one more
      // distinct state).
      int32_t plus = NewNt(HelperName("plus"));
      AddProd(plus, std::vector<int32_t>(static_cast<size_t>(e.min), x));
      AddProd(plus, {plus, x});
      return {plus};
    }
    std::vector<int32_t> out(static_cast<size_t>(e.min), x);
    if (e.max == kUnbounded) {
      int32_t star = NewNt(HelperName("star"));
      AddProd(star, {});
      AddProd(star, {star, x});
      out.push_back(star);
    } else {
      int32_t prev = -1;
      for (int32_t k = 1; k <= e.max - e.min && symbols_ <= kMaxSymbols; ++k) {
        int32_t opt = NewNt(HelperName("opt"));
        AddProd(opt, {});
        AddProd(opt, prev < 0 ? std::vector<int32_t>{x} : std::vector<int32_t>{x, prev});
        prev = opt;
      }
      if (prev >= 0) out.push_back(prev);
    }
    return out;
  }

  Result<FlatGrammar> Finish(int32_t sprime) {
    size_t n = bodies_.size();
    // Productive nonterminals (least fixpoint), then drop the productions
    // that use an unproductive symbol.
    std::vector<uint8_t> productive(n, 0);
    auto sym_ok = [&](int32_t s) {
      return s >= 0 ? productive[static_cast<size_t>(s)] != 0 : !terminals_[static_cast<size_t>(TerminalOf(s))].Empty();
    };
    for (bool changed = true; changed;) {
      changed = false;
      for (size_t a = 0; a < n; ++a) {
        if (productive[a]) continue;
        for (const auto& p : bodies_[a]) {
          bool ok = true;
          for (int32_t s : p) ok = ok && sym_ok(s);
          if (ok) {
            productive[a] = 1;
            changed = true;
            break;
          }
        }
      }
    }
    FlatGrammar fg;
    fg.terminals = std::move(terminals_);
    fg.nt_names = std::move(names_);
    fg.prods.resize(n);
    fg.nullable.assign(n, 0);
    for (size_t a = 0; a < n; ++a) {
      for (const auto& p : bodies_[a]) {
        bool ok = true;
        for (int32_t s : p) {
          ok = ok && (s >= 0 ? productive[static_cast<size_t>(s)] != 0
                             : !fg.terminals[static_cast<size_t>(TerminalOf(s))].Empty());
        }
        if (!ok) continue;
        int32_t first = static_cast<int32_t>(fg.slot_next.size());
        fg.prods[a].push_back(first);
        for (int32_t s : p) {
          fg.slot_next.push_back(s);
          fg.slot_lhs.push_back(static_cast<int32_t>(a));
        }
        fg.slot_next.push_back(kEndOfProduction);
        fg.slot_lhs.push_back(static_cast<int32_t>(a));
        if (static_cast<int32_t>(a) == sprime) {
          fg.start_slot = first;
          fg.accept_slot = first + 1;
        }
      }
    }
    for (bool changed = true; changed;) {
      changed = false;
      for (size_t a = 0; a < n; ++a) {
        if (fg.nullable[a]) continue;
        for (int32_t first : fg.prods[a]) {
          bool all = true;
          for (int32_t s = first; fg.slot_next[static_cast<size_t>(s)] != kEndOfProduction && all; ++s) {
            int32_t sym = fg.slot_next[static_cast<size_t>(s)];
            all = sym >= 0 && fg.nullable[static_cast<size_t>(sym)];
          }
          if (all) {
            fg.nullable[a] = 1;
            changed = true;
            break;
          }
        }
      }
    }
    return fg;
  }

  const Grammar& g_;
  std::vector<std::optional<std::vector<int32_t>>> memo_;
  std::vector<std::string> names_;
  std::vector<std::vector<std::vector<int32_t>>> bodies_;
  std::vector<ByteSet> terminals_;
  std::map<std::array<uint64_t, 4>, int32_t> terminal_ids_;
  int64_t symbols_ = 0;
};

}  // namespace

Result<FlatGrammar> Flatten(const Grammar& g) {
  STEER_RETURN_IF_ERROR(g.Validate());
  return Flattener(g).Run();
}

}  // namespace steer::grammar
