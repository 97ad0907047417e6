// The external-process potential: contract, batching, and failures (a
// checker that hangs, crashes, or answers garbage).
#include "steer/potential/external.h"

#include <gtest/gtest.h>

#include <chrono>

#include "steer/potential/contract.h"

namespace steer::potential {
namespace {

// A POSIX sh checker (read/echo: no buffering surprises): texts of at most
// 3 bytes are allowed; the prefix weight is −1 per byte and the complete
// weight one less (a soft, consistent potential).
const char* kChecker =
    "while read n; do i=0; while [ $i -lt $n ]; do read k h; l=$(( ${#h} / 2 ));"
    " if [ $l -gt 3 ]; then echo -inf; elif [ \"$k\" = p ]; then echo $(( -l )); else echo $(( -l - 1 )); fi;"
    " i=$((i+1)); done; done";

const std::vector<std::string> kTokens = {"a", "bc", "", "d"};

TEST(External, PassesContractAndBatches) {
  auto p = ExternalPotential::Create(kChecker, kTokens);
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  std::vector<std::vector<TokenId>> contexts = {{}, {0}, {1}, {0, 1}, {1, 1}, {2}, {0, 0, 3}};
  Status st = CheckContract(**p, contexts);
  ASSERT_TRUE(st.ok()) << st.error().ToString();
  EXPECT_NEAR(*(*p)->LogPrefixOf(std::vector<TokenId>{1}), -2.0, 1e-12);
  EXPECT_NEAR(*(*p)->LogCompleteOf(std::vector<TokenId>{0}), -2.0, 1e-12);
  EXPECT_EQ(*(*p)->LogPrefixOf(std::vector<TokenId>{1, 1}), kLogZero);
  // A batched Extend of 3 states is one round trip.
  std::vector<StatePtr> states;
  std::vector<State*> ptrs;
  for (int i = 0; i < 3; ++i) {
    states.push_back(std::move((*p)->Start()).value());
    ptrs.push_back(states.back().get());
  }
  const int64_t before = (*p)->batches();
  const TokenId toks[3] = {0, 1, 3};
  ASSERT_TRUE((*p)->Extend(ptrs, toks).ok());
  EXPECT_EQ((*p)->batches(), before + 1);
}

TEST(External, HangingCheckerIsKilledAfterTimeout) {
  ExternalOptions o;
  o.timeout_ms = 200;
  auto p = ExternalPotential::Create("sleep 30", kTokens, o);
  ASSERT_TRUE(p.ok());
  const auto t0 = std::chrono::steady_clock::now();
  auto s = (*p)->Start();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(s.error().message.find("200 ms"), std::string::npos) << s.error().ToString();
  EXPECT_NE(s.error().message.find("signal 9"), std::string::npos) << s.error().ToString();
  EXPECT_LT(secs, 5.0);
  // Stays failed with the same error.
  auto again = (*p)->Start();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message, s.error().message);
}

TEST(External, CrashingCheckerIsReportedWithItsStatus) {
  auto p = ExternalPotential::Create("read n; exit 3", kTokens);
  ASSERT_TRUE(p.ok());
  auto s = (*p)->Start();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("closed its output"), std::string::npos) << s.error().ToString();
  EXPECT_NE(s.error().message.find("status 3"), std::string::npos) << s.error().ToString();
  EXPECT_EQ(s.error().location, "read n; exit 3");
}

TEST(External, MalformedAnswerIsAnError) {
  auto p = ExternalPotential::Create("while read l; do echo hello; done", kTokens);
  ASSERT_TRUE(p.ok());
  auto s = (*p)->Start();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(s.error().message.find("'hello'"), std::string::npos) << s.error().ToString();
}

TEST(External, MissingProgramIsAnError) {
  auto p = ExternalPotential::Create("/nonexistent/checker", kTokens);
  ASSERT_TRUE(p.ok());  // the shell starts; the command inside it fails
  auto s = (*p)->Start();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("status 127"), std::string::npos) << s.error().ToString();
}

}  // namespace
}  // namespace steer::potential
