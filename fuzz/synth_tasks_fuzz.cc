// Fuzzes the task and sample JSONL parsers: errors, never crashes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "steer/synth/task.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto tasks = steer::synth::ParseTasks(text, "fuzz");
  std::vector<steer::synth::Task> known(1);
  known[0].task_id = "t";
  (void)steer::synth::ParseSamples(text, "fuzz", tasks.ok() ? *tasks : known);
  return 0;
}
