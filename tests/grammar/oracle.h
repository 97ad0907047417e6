// A naive matcher over the grammar IR, for tests only: NEVER use in
// production. It decides membership and viable-prefix for strings of at most
// 63 bytes by Kleene iteration to the least fixpoint:
//   Ends(e, i)  = the set of j such that e derives s[i, j) (a 64-bit mask);
//   Pre(e, i)   = s[i, L) is a prefix of some string e derives;
//   Prod(e)     = e derives some string.
// Rules are tables indexed by start position, recomputed until nothing
// changes, so left recursion and nullable rules need no special care. The
// code follows the definitions literally; it is slow (every round re-walks
// every rule at every position) and that is the point.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "steer/grammar/ir.h"

namespace steer::grammar::testing {

class OracleMatcher {
 public:
  explicit OracleMatcher(const Grammar& g);
  // s.size() must be <= 63.
  bool Complete(std::string_view s);
  bool Prefix(std::string_view s);
  // Whether expression `e` (rules resolved in the grammar) derives exactly s.
  bool ExprMatches(ExprId e, std::string_view s);

 private:
  void Solve(std::string_view s);
  uint64_t Ends(ExprId e, int i);
  uint64_t Step(ExprId e, uint64_t from);
  bool Pre(ExprId e, int i);
  bool ProdExpr(ExprId e);

  const Grammar& g_;
  std::vector<bool> prod_rule_;
  std::string_view s_;
  int len_ = 0;
  std::vector<std::vector<uint64_t>> ends_;  // [rule][i]
  std::vector<std::vector<uint8_t>> pre_;    // [rule][i]
  bool changed_ = false;
};

}  // namespace steer::grammar::testing
