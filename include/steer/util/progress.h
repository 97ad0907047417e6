// Progress lines on stderr for long work. Redraws in place on a terminal,
// prints at most one line per `min_interval_s` otherwise (logs stay short).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace steer {

class Progress {
 public:
  Progress(std::string label, size_t total, bool enabled = true, double min_interval_s = 1.0);
  ~Progress();  // calls Finish() if not finished

  void Update(size_t done, const std::string& detail = {});
  void Finish(const std::string& detail = {});

 private:
  void Draw(size_t done, const std::string& detail, bool final_line);

  std::string label_;
  size_t total_;
  bool enabled_;
  bool tty_;
  bool finished_ = false;
  double min_interval_s_;
  std::chrono::steady_clock::time_point start_, last_;
  size_t last_done_ = 0;
};

}  // namespace steer
