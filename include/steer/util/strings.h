// String helpers: JSON string escaping, hex, splitting, number parsing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace steer {

// Appends s as a JSON string literal (with quotes). Bytes that are not valid
// UTF-8 are written as \u00XX of the byte (lossy, but always valid JSON).
void AppendJsonString(std::string_view s, std::string* out);
std::string JsonString(std::string_view s);

std::string HexEncode(std::string_view bytes);
std::optional<std::string> HexDecode(std::string_view hex);

std::vector<std::string_view> Split(std::string_view s, std::string_view sep);
std::optional<int64_t> ParseInt(std::string_view s);
std::optional<double> ParseDouble(std::string_view s);

}  // namespace steer
