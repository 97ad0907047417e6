#include "shared_data.h"

#include <cstdlib>
#include <filesystem>

namespace steer::testing {
namespace fs = std::filesystem;

std::string SharedDir() {
  const char* env = std::getenv("STEER_SHARED");
  std::string dir = env && *env ? env : STEER_SHARED_DIR_DEFAULT;
  std::error_code ec;
  return fs::is_directory(dir, ec) ? fs::weakly_canonical(dir, ec).string() : std::string();
}

std::string SharedPath(const std::string& rel) {
  std::string dir = SharedDir();
  if (dir.empty()) return {};
  std::string p = dir + "/" + rel;
  std::error_code ec;
  return fs::exists(p, ec) ? p : std::string();
}

std::string SourceDir() { return STEER_SOURCE_DIR_DEFAULT; }

namespace {
struct TempRoot {
  std::string path;
  TempRoot() {
    std::string templ = (fs::temp_directory_path() / "steer-test-XXXXXX").string();
    if (char* p = ::mkdtemp(templ.data())) path = p;
  }
  ~TempRoot() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
};
}  // namespace

std::string TempDir() {
  static TempRoot root;
  static int counter = 0;
  std::string dir = root.path + "/" + std::to_string(counter++);
  fs::create_directories(dir);
  return dir;
}

}  // namespace steer::testing
