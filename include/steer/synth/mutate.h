// Single-point textual mutations of Python source, for building candidate
// pools with known behaviour classes and for checking that tests are strong
// enough to reject near-miss programs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace steer::synth {

struct Mutant {
  std::string description;  // e.g. "offset 41: '<' -> '<='"
  std::string code;
};

// Every single-point mutation of `code` outside string literals and
// comments, in source order:
//   integer literals: n -> n+1 and, for n >= 1, n -> n-1;
//   comparisons: < <-> <=, > <-> >=, == <-> !=;
//   binary arithmetic: + <-> -;
//   a dropped return: "return X" -> "X" (the value is computed, None returned).
// Augmented assignments (+=), arrows (->), shifts and ** are left alone.
std::vector<Mutant> MutatePython(std::string_view code);

}  // namespace steer::synth
