// What the grammar front-end fuzz targets share: the input layout (grammar
// text, then an optional "\x00" and a text to match) and a capped run of the
// matcher over that text (Earley set size and state count are limited, so a
// slow input means a bug, not a big grammar).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "steer/grammar/ir.h"
#include "steer/grammar/matcher.h"

namespace steer::fuzz {

struct GrammarInput {
  std::string_view grammar;
  std::string_view text;
};

// Without a "\x00", the text is the whole input when whole_input_is_text,
// else empty.
inline GrammarInput SplitGrammarInput(const uint8_t* data, size_t size, bool whole_input_is_text) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t split = in.find('\0');
  if (split == std::string_view::npos) return {in, whole_input_is_text ? in : std::string_view()};
  return {in.substr(0, split), in.substr(split + 1)};
}

// Compiles the grammar with capped Earley limits and feeds it up to 256
// bytes of text, asking IsComplete after each, then rolls back half and asks
// CanContinue.
inline void ExerciseMatcher(const grammar::Grammar& g, std::string_view text) {
  grammar::MatcherOptions mo;
  mo.max_set_items = 4096;
  mo.max_states = 4096;
  auto parser = grammar::CompileParser(g, mo);
  if (!parser.ok()) return;
  grammar::Matcher m(*parser);
  for (char c : text.substr(0, 256)) {
    if (!m.AcceptByte(static_cast<uint8_t>(c))) break;
    (void)m.IsComplete();
  }
  m.Rollback(m.num_bytes() / 2);
  (void)m.CanContinue();
}

}  // namespace steer::fuzz
