#include "steer/util/progress.h"

#include <unistd.h>

#include <cstdio>

namespace steer {

Progress::Progress(std::string label, size_t total, bool enabled, double min_interval_s)
    : label_(std::move(label)),
      total_(total),
      enabled_(enabled),
      tty_(::isatty(STDERR_FILENO) != 0),
      min_interval_s_(min_interval_s),
      start_(std::chrono::steady_clock::now()),
      last_(start_ - std::chrono::hours(1)) {}

Progress::~Progress() {
  if (!finished_) Finish();
}

void Progress::Update(size_t done, const std::string& detail) {
  last_done_ = done;
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  double since = std::chrono::duration<double>(now - last_).count();
  if (since < (tty_ ? 0.1 : min_interval_s_)) return;
  last_ = now;
  Draw(done, detail, false);
}

void Progress::Finish(const std::string& detail) {
  if (finished_) return;
  finished_ = true;
  if (enabled_) Draw(total_ ? total_ : last_done_, detail, true);
}

void Progress::Draw(size_t done, const std::string& detail, bool final_line) {
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  char buf[256];
  if (total_ > 0) {
    std::snprintf(buf, sizeof buf, "%s: %zu/%zu (%.0f%%) %.1fs", label_.c_str(), done, total_,
                  100.0 * static_cast<double>(done) / static_cast<double>(total_), secs);
  } else {
    std::snprintf(buf, sizeof buf, "%s: %zu %.1fs", label_.c_str(), done, secs);
  }
  std::string line = buf;
  if (!detail.empty()) line += " " + detail;
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final_line ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

}  // namespace steer
