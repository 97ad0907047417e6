#include "run_command.h"

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "shared_data.h"

namespace steer::testing {
namespace {
std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

RunResult RunCommand(const std::string& binary, const std::string& args,
                     const std::string& stdin_text) {
  const std::string dir = TempDir();
  const std::string in_path = dir + "/stdin", out_path = dir + "/stdout", err_path = dir + "/stderr";
  std::ofstream(in_path, std::ios::binary) << stdin_text;
  const std::string cmd =
      binary + " " + args + " <" + in_path + " >" + out_path + " 2>" + err_path;
  const int status = std::system(cmd.c_str());
  return RunResult{WIFEXITED(status) ? WEXITSTATUS(status) : -1, Slurp(out_path), Slurp(err_path)};
}

}  // namespace steer::testing
