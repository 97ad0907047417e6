// Test support: where the reference data (../shared) is, and skipping with a
// clear message when it is absent (a user's clone has no ../shared; CI does).
#pragma once

#include <gtest/gtest.h>

#include <string>

namespace steer::testing {

// The reference data folder: $STEER_SHARED if set, else the ../shared beside
// the source tree. Returns "" if it does not exist.
std::string SharedDir();
// SharedDir() + "/" + rel, or "" when the file is absent.
std::string SharedPath(const std::string& rel);
// The source tree root (for files under the repo, e.g. examples).
std::string SourceDir();
// A fresh temporary directory, removed at process exit.
std::string TempDir();

}  // namespace steer::testing

// Skips the current test unless `rel` exists under the shared folder; binds
// the absolute path to `var`.
#define STEER_REQUIRE_SHARED(var, rel)                                              \
  std::string var = ::steer::testing::SharedPath(rel);                              \
  if (var.empty())                                                                  \
  GTEST_SKIP() << "reference data ../shared/" << (rel)                               \
               << " is absent (set STEER_SHARED to the shared/ folder to run this test)"
