#include "steer/util/result.h"

#include <gtest/gtest.h>

namespace steer {
namespace {

Result<int> Half(int x) {
  if (x % 2) return MakeError(ErrorCode::kInvalidInput, "odd", "arg");
  return x / 2;
}

Result<int> Quarter(int x) {
  STEER_ASSIGN_OR_RETURN(int h, Half(x));
  STEER_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(Result, ValueAndErrorPropagate) {
  EXPECT_EQ(Quarter(8).value(), 2);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(r.error().ToString(), "arg: odd");
}

TEST(Result, ExitCodes) {
  EXPECT_EQ(MakeError(ErrorCode::kInvalidInput, "x").ExitCode(), 2);
  EXPECT_EQ(MakeError(ErrorCode::kUnsupported, "x").ExitCode(), 2);
  EXPECT_EQ(MakeError(ErrorCode::kIo, "x").ExitCode(), 1);
  EXPECT_EQ(MakeError(ErrorCode::kInternal, "x").ExitCode(), 1);
}

TEST(Result, WithinPrefixesLocation) {
  Error e = MakeError(ErrorCode::kInvalidInput, "bad", "offset 12");
  EXPECT_EQ(e.Within("f.gguf").ToString(), "f.gguf: offset 12: bad");
  EXPECT_EQ(MakeError(ErrorCode::kInvalidInput, "bad").Within("f").ToString(), "f: bad");
}

TEST(ResultDeathTest, ValueOnErrorAborts) {
  Result<int> r = Half(3);
  EXPECT_DEATH((void)r.value(), "failed Result");
}

}  // namespace
}  // namespace steer
