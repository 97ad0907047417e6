#include "oracle.h"

#include "steer/util/check.h"

namespace steer::grammar::testing {

OracleMatcher::OracleMatcher(const Grammar& g) : g_(g), prod_rule_(static_cast<size_t>(g.num_rules()), false) {
  // Productive rules: least fixpoint.
  for (bool changed = true; changed;) {
    changed = false;
    for (RuleId r = 0; r < g_.num_rules(); ++r) {
      if (prod_rule_[static_cast<size_t>(r)] || g_.rule(r).body < 0) continue;
      if (ProdExpr(g_.rule(r).body)) {
        prod_rule_[static_cast<size_t>(r)] = true;
        changed = true;
      }
    }
  }
}

bool OracleMatcher::ProdExpr(ExprId id) {
  const Expr& e = g_.expr(id);
  switch (e.kind) {
    case ExprKind::kEmpty:
      return true;
    case ExprKind::kBytes:
      return !e.bytes.Empty();
    case ExprKind::kRule:
      return prod_rule_[static_cast<size_t>(e.rule)];
    case ExprKind::kSeq:
      for (ExprId c : e.children)
        if (!ProdExpr(c)) return false;
      return true;
    case ExprKind::kAlt:
      for (ExprId c : e.children)
        if (ProdExpr(c)) return true;
      return false;
    case ExprKind::kRepeat:
      return e.min == 0 || ProdExpr(e.children[0]);
  }
  return false;
}

uint64_t OracleMatcher::Step(ExprId e, uint64_t from) {
  uint64_t out = 0;
  for (int p = 0; p <= len_; ++p)
    if ((from >> p) & 1) out |= Ends(e, p);
  return out;
}

uint64_t OracleMatcher::Ends(ExprId id, int i) {
  const Expr& e = g_.expr(id);
  switch (e.kind) {
    case ExprKind::kEmpty:
      return uint64_t{1} << i;
    case ExprKind::kBytes:
      return (i < len_ && e.bytes.Contains(static_cast<uint8_t>(s_[static_cast<size_t>(i)])))
                 ? uint64_t{1} << (i + 1)
                 : 0;
    case ExprKind::kRule:
      return ends_[static_cast<size_t>(e.rule)][static_cast<size_t>(i)];
    case ExprKind::kSeq: {
      uint64_t cur = uint64_t{1} << i;
      for (ExprId c : e.children) cur = Step(c, cur);
      return cur;
    }
    case ExprKind::kAlt: {
      uint64_t out = 0;
      for (ExprId c : e.children) out |= Ends(c, i);
      return out;
    }
    case ExprKind::kRepeat: {
      uint64_t cur = uint64_t{1} << i;
      for (int k = 0; k < e.min; ++k) cur = Step(e.children[0], cur);
      uint64_t acc = cur;
      // After min repetitions, up to max - min more (unbounded: until no new end).
      for (int k = e.min; e.max == kUnbounded || k < e.max; ++k) {
        uint64_t next = Step(e.children[0], cur);
        if (e.max == kUnbounded) {
          uint64_t fresh = next & ~acc;
          if (fresh == 0) break;
          acc |= next;
          cur = fresh;
        } else {
          if (next == 0) break;
          acc |= next;
          cur = next;
        }
      }
      return acc;
    }
  }
  return 0;
}

bool OracleMatcher::Pre(ExprId id, int i) {
  if (i == len_) return ProdExpr(id);
  const Expr& e = g_.expr(id);
  switch (e.kind) {
    case ExprKind::kEmpty:
      return false;
    case ExprKind::kBytes:
      return i + 1 == len_ && e.bytes.Contains(static_cast<uint8_t>(s_[static_cast<size_t>(i)]));
    case ExprKind::kRule:
      return pre_[static_cast<size_t>(e.rule)][static_cast<size_t>(i)] != 0;
    case ExprKind::kSeq: {
      // The input runs out inside (or at the end of) child k; children before
      // it match exactly, children after it derive something.
      uint64_t cur = uint64_t{1} << i;
      for (size_t k = 0; k < e.children.size(); ++k) {
        bool rest_prod = true;
        for (size_t r = k + 1; r < e.children.size(); ++r) rest_prod = rest_prod && ProdExpr(e.children[r]);
        if (rest_prod) {
          for (int p = 0; p <= len_; ++p)
            if (((cur >> p) & 1) && Pre(e.children[k], p)) return true;
        }
        cur = Step(e.children[k], cur);
      }
      return ((cur >> len_) & 1) != 0;
    }
    case ExprKind::kAlt:
      for (ExprId c : e.children)
        if (Pre(c, i)) return true;
      return false;
    case ExprKind::kRepeat: {
      // After j complete repetitions the input ends inside repetition j+1
      // (needs j < max; the remaining required ones are then derivable
      // because Pre(child) implies the child is productive), or it ends
      // exactly after j >= min repetitions.
      ExprId c = e.children[0];
      uint64_t cur = uint64_t{1} << i, seen = 0;
      for (int j = 0; e.max == kUnbounded || j < e.max; ++j) {
        for (int p = 0; p <= len_; ++p)
          if (((cur >> p) & 1) && Pre(c, p)) return true;
        if (j >= e.min && ((cur >> len_) & 1)) return true;
        if (j >= e.min && (cur & ~seen) == 0) break;  // no new positions: nothing new later
        if (j >= e.min) seen |= cur;
        cur = Step(c, cur);
        if (cur == 0) break;
      }
      if (e.max != kUnbounded && ((cur >> len_) & 1)) return true;
      return false;
    }
  }
  return false;
}

void OracleMatcher::Solve(std::string_view s) {
  STEER_CHECK(s.size() <= 63);
  s_ = s;
  len_ = static_cast<int>(s.size());
  size_t nr = static_cast<size_t>(g_.num_rules());
  ends_.assign(nr, std::vector<uint64_t>(static_cast<size_t>(len_) + 1, 0));
  pre_.assign(nr, std::vector<uint8_t>(static_cast<size_t>(len_) + 1, 0));
  for (bool changed = true; changed;) {
    changed = false;
    for (RuleId r = 0; r < g_.num_rules(); ++r) {
      ExprId body = g_.rule(r).body;
      if (body < 0) continue;
      for (int i = 0; i <= len_; ++i) {
        uint64_t e = Ends(body, i) | ends_[static_cast<size_t>(r)][static_cast<size_t>(i)];
        if (e != ends_[static_cast<size_t>(r)][static_cast<size_t>(i)]) {
          ends_[static_cast<size_t>(r)][static_cast<size_t>(i)] = e;
          changed = true;
        }
      }
    }
    if (changed) continue;
    // Ends is settled; now Pre (which reads Ends) to its own fixpoint.
    for (RuleId r = 0; r < g_.num_rules(); ++r) {
      ExprId body = g_.rule(r).body;
      if (body < 0) continue;
      for (int i = 0; i <= len_; ++i) {
        if (!pre_[static_cast<size_t>(r)][static_cast<size_t>(i)] && Pre(body, i)) {
          pre_[static_cast<size_t>(r)][static_cast<size_t>(i)] = 1;
          changed = true;
        }
      }
    }
  }
}

bool OracleMatcher::Complete(std::string_view s) {
  Solve(s);
  return (ends_[static_cast<size_t>(g_.start())][0] >> len_) & 1;
}

bool OracleMatcher::Prefix(std::string_view s) {
  Solve(s);
  return pre_[static_cast<size_t>(g_.start())][0] != 0;
}

bool OracleMatcher::ExprMatches(ExprId e, std::string_view s) {
  Solve(s);
  return (Ends(e, 0) >> len_) & 1;
}

}  // namespace steer::grammar::testing
