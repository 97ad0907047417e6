// Test support: run a program (usually the built steer binary) through the
// shell and capture what it printed and how it exited.
#pragma once

#include <string>

namespace steer::testing {

struct RunResult {
  int exit_code;    // -1 if the process did not exit normally
  std::string out;  // everything written to stdout
  std::string err;  // everything written to stderr
};

// Runs `binary args` with `stdin_text` as its standard input. `args` is
// shell text: quote paths that may hold spaces.
RunResult RunCommand(const std::string& binary, const std::string& args,
                     const std::string& stdin_text = "");

}  // namespace steer::testing
