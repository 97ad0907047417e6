#include "tokenizer/special.h"

#include <algorithm>

namespace steer::tokenizer {

void SpecialMatcher::Add(TokenId id, std::string_view text, bool needs_parse_special) {
  specials_.push_back(Special{id, text, needs_parse_special});
  if (!needs_parse_special) any_always_ = true;
}

void SpecialMatcher::Finish() {
  std::sort(specials_.begin(), specials_.end(), [](const Special& a, const Special& b) {
    return a.text.size() != b.text.size() ? a.text.size() > b.text.size() : a.id < b.id;
  });
  by_first_.assign(256, {});
  for (size_t i = 0; i < specials_.size(); ++i) {
    by_first_[static_cast<uint8_t>(specials_[i].text[0])].push_back(static_cast<uint32_t>(i));
  }
}

void SpecialMatcher::Partition(std::string_view text, bool parse_special,
                               std::vector<Fragment>* out) const {
  const uint32_t n = static_cast<uint32_t>(text.size());
  if (n == 0) return;
  if (!parse_special && !any_always_) {
    out->push_back({0, n, kNoToken});
    return;
  }
  struct Occurrence {
    uint32_t priority;  // index into specials_
    uint32_t pos;
  };
  std::vector<Occurrence> occ;
  for (uint32_t p = 0; p < n; ++p) {
    for (uint32_t idx : by_first_[static_cast<uint8_t>(text[p])]) {
      const Special& s = specials_[idx];
      if (s.needs_parse_special && !parse_special) continue;
      if (text.compare(p, s.text.size(), s.text) == 0) occ.push_back({idx, p});
    }
  }
  if (occ.empty()) {
    out->push_back({0, n, kNoToken});
    return;
  }
  std::sort(occ.begin(), occ.end(), [](const Occurrence& a, const Occurrence& b) {
    return a.priority != b.priority ? a.priority < b.priority : a.pos < b.pos;
  });
  std::vector<bool> taken(n, false);
  std::vector<Fragment> matches;
  for (const Occurrence& o : occ) {
    const Special& s = specials_[o.priority];
    uint32_t end = o.pos + static_cast<uint32_t>(s.text.size());
    bool free = true;
    for (uint32_t k = o.pos; k < end && free; ++k) free = !taken[k];
    if (!free) continue;
    for (uint32_t k = o.pos; k < end; ++k) taken[k] = true;
    matches.push_back({o.pos, end, s.id});
  }
  std::sort(matches.begin(), matches.end(),
            [](const Fragment& a, const Fragment& b) { return a.begin < b.begin; });
  uint32_t at = 0;
  for (const Fragment& m : matches) {
    if (at < m.begin) out->push_back({at, m.begin, kNoToken});
    out->push_back(m);
    at = m.end;
  }
  if (at < n) out->push_back({at, n, kNoToken});
}

}  // namespace steer::tokenizer
