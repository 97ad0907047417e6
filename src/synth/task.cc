#include "steer/synth/task.h"

#include <zlib.h>

#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>

#include "steer/util/file.h"

namespace steer::synth {
namespace {

using nlohmann::json;

// Calls fn(line_number, line) for each non-blank line.
template <typename Fn>
Status ForEachLine(std::string_view text, Fn fn) {
  size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    ++line_no;
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    STEER_RETURN_IF_ERROR(fn(line_no, line));
  }
  return {};
}

Result<json> ParseLine(std::string_view line, const std::string& where) {
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return MakeError(ErrorCode::kInvalidInput, "not a JSON object", where);
  return j;
}

Status GetString(const json& j, const char* key, bool required, std::string* out, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) return MakeError(ErrorCode::kInvalidInput, std::string("missing \"") + key + "\"", where);
    return {};
  }
  if (!it->is_string())
    return MakeError(ErrorCode::kInvalidInput, std::string("\"") + key + "\" is not a string", where + ": /" + key);
  *out = it->get<std::string>();
  return {};
}

}  // namespace

Result<std::string> ReadMaybeGzip(const std::string& path) {
  STEER_ASSIGN_OR_RETURN(std::string raw, ReadFile(path));
  if (raw.size() < 2 || static_cast<unsigned char>(raw[0]) != 0x1f || static_cast<unsigned char>(raw[1]) != 0x8b)
    return raw;
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return MakeError(ErrorCode::kInternal, "inflateInit2 failed", path);
  zs.next_in = reinterpret_cast<Bytef*>(raw.data());
  zs.avail_in = static_cast<uInt>(raw.size());
  std::string out;
  char buf[1 << 16];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      size_t at = zs.total_in;
      inflateEnd(&zs);
      return MakeError(ErrorCode::kInvalidInput, "corrupt gzip data", path + ": offset " + std::to_string(at));
    }
    out.append(buf, sizeof buf - zs.avail_out);
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      return MakeError(ErrorCode::kInvalidInput, "truncated gzip data", path);
    }
  }
  inflateEnd(&zs);
  return out;
}

Result<std::vector<Task>> ParseTasks(std::string_view jsonl, const std::string& source) {
  std::vector<Task> tasks;
  std::unordered_set<std::string> ids;
  STEER_RETURN_IF_ERROR(ForEachLine(jsonl, [&](int line_no, std::string_view line) -> Status {
    std::string where = source + ":" + std::to_string(line_no);
    STEER_ASSIGN_OR_RETURN(json j, ParseLine(line, where));
    Task t;
    STEER_RETURN_IF_ERROR(GetString(j, "task_id", true, &t.task_id, where));
    STEER_RETURN_IF_ERROR(GetString(j, "prompt", true, &t.prompt, where));
    STEER_RETURN_IF_ERROR(GetString(j, "entry_point", true, &t.entry_point, where));
    STEER_RETURN_IF_ERROR(GetString(j, "test", true, &t.test, where));
    STEER_RETURN_IF_ERROR(GetString(j, "canonical_solution", false, &t.canonical_solution, where));
    STEER_RETURN_IF_ERROR(GetString(j, "public_tests", false, &t.public_tests, where));
    STEER_RETURN_IF_ERROR(GetString(j, "input_generator", false, &t.input_generator, where));
    if (t.entry_point.empty() || t.entry_point.find_first_of(" ()\n\t") != std::string::npos)
      return MakeError(ErrorCode::kInvalidInput, "entry_point is not an identifier", where + ": /entry_point");
    if (!ids.insert(t.task_id).second)
      return MakeError(ErrorCode::kInvalidInput, "duplicate task_id \"" + t.task_id + "\"", where);
    tasks.push_back(std::move(t));
    return {};
  }));
  return tasks;
}

Result<std::vector<Task>> LoadTasks(const std::string& path) {
  STEER_ASSIGN_OR_RETURN(std::string text, ReadMaybeGzip(path));
  return ParseTasks(text, path);
}

Result<std::vector<Sample>> ParseSamples(std::string_view jsonl, const std::string& source,
                                         const std::vector<Task>& tasks) {
  std::unordered_map<std::string, int> counts;
  for (const Task& t : tasks) counts[t.task_id] = 0;
  std::vector<Sample> samples;
  STEER_RETURN_IF_ERROR(ForEachLine(jsonl, [&](int line_no, std::string_view line) -> Status {
    std::string where = source + ":" + std::to_string(line_no);
    STEER_ASSIGN_OR_RETURN(json j, ParseLine(line, where));
    Sample s;
    STEER_RETURN_IF_ERROR(GetString(j, "task_id", true, &s.task_id, where));
    STEER_RETURN_IF_ERROR(GetString(j, "completion", true, &s.completion, where));
    auto it = counts.find(s.task_id);
    if (it == counts.end())
      return MakeError(ErrorCode::kInvalidInput, "unknown task_id \"" + s.task_id + "\"", where + ": /task_id");
    s.index = it->second++;
    samples.push_back(std::move(s));
    return {};
  }));
  return samples;
}

Result<std::vector<Sample>> LoadSamples(const std::string& path, const std::vector<Task>& tasks) {
  STEER_ASSIGN_OR_RETURN(std::string text, ReadMaybeGzip(path));
  return ParseSamples(text, path, tasks);
}

}  // namespace steer::synth
