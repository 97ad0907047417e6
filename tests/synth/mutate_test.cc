#include "steer/synth/mutate.h"

#include <gtest/gtest.h>

#include <set>

namespace steer::synth {
namespace {

std::set<std::string> Codes(const std::vector<Mutant>& ms) {
  std::set<std::string> out;
  for (const auto& m : ms) out.insert(m.code);
  return out;
}

TEST(Mutate, ProducesEachSinglePointMutation) {
  std::string code = "    if x <= 2:\n        return x + 1\n    return -1\n";
  std::set<std::string> got = Codes(MutatePython(code));
  std::set<std::string> want = {
      "    if x < 2:\n        return x + 1\n    return -1\n",
      "    if x <= 3:\n        return x + 1\n    return -1\n",
      "    if x <= 1:\n        return x + 1\n    return -1\n",
      "    if x <= 2:\n        x + 1\n    return -1\n",
      "    if x <= 2:\n        return x - 1\n    return -1\n",
      "    if x <= 2:\n        return x + 2\n    return -1\n",
      "    if x <= 2:\n        return x + 0\n    return -1\n",
      "    if x <= 2:\n        return x + 1\n    -1\n",
      "    if x <= 2:\n        return x + 1\n    return -2\n",
      "    if x <= 2:\n        return x + 1\n    return -0\n",
  };
  EXPECT_EQ(got, want);
}

TEST(Mutate, LeavesStringsCommentsAndCompoundOperatorsAlone) {
  std::string code = "    s = 'a<b+1' + \"\"\"x == 2\"\"\"  # y < 3\n    n += 1\n    f = lambda: -x\n    z = x ** y >> 1\n";
  for (const Mutant& m : MutatePython(code)) {
    EXPECT_NE(m.code.find("'a<b+1'"), std::string::npos) << m.description;
    EXPECT_NE(m.code.find("\"\"\"x == 2\"\"\""), std::string::npos) << m.description;
    EXPECT_NE(m.code.find("# y < 3"), std::string::npos) << m.description;
    EXPECT_EQ(m.code.find("n -= 1"), std::string::npos) << m.description;
    EXPECT_EQ(m.code.find("lambda: +x"), std::string::npos) << m.description;
  }
  // Only the '+' between the strings and the two integers (1 in "n += 1",
  // 1 in ">> 1", each +1/-1) are mutable.
  EXPECT_EQ(MutatePython(code).size(), 5u);
}

}  // namespace
}  // namespace steer::synth
