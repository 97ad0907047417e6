#include "steer/tokenizer/pre_tokenizer.h"

#include <algorithm>
#include <string>

#include "tokenizer/unicode.h"

namespace steer::tokenizer {
namespace {

constexpr uint8_t kSLN = kSpace | kLetter | kNumber;

// The text as code points with their classes and byte offsets
// (off[i] = byte offset of cp[i]; off[n] = text size).
struct CodepointText {
  std::vector<uint32_t> cp;
  std::vector<uint8_t> fl;
  std::vector<uint32_t> off;

  explicit CodepointText(std::string_view s) {
    cp.reserve(s.size());
    fl.reserve(s.size());
    off.reserve(s.size() + 1);
    size_t i = 0;
    while (i < s.size()) {
      size_t len;
      uint32_t c = DecodeValidUtf8(s, i, &len);
      cp.push_back(c);
      fl.push_back(CodepointFlags(c));
      off.push_back(static_cast<uint32_t>(i));
      i += len;
    }
    off.push_back(static_cast<uint32_t>(s.size()));
  }
  size_t size() const { return cp.size(); }
};

bool IsNewline(uint32_t c) { return c == '\r' || c == '\n'; }

// --- single expressions: each returns the length in code points of the
// --- leftmost-first match starting at i within [i, e), or 0.

// Length of the run of code points from i with flags in `mask`.
size_t Run(const CodepointText& t, size_t i, size_t e, uint8_t mask) {
  size_t k = i;
  while (k < e && (t.fl[k] & mask)) ++k;
  return k - i;
}
// Length of the run from i of code points with none of `mask`.
size_t RunNot(const CodepointText& t, size_t i, size_t e, uint8_t mask) {
  size_t k = i;
  while (k < e && !(t.fl[k] & mask)) ++k;
  return k - i;
}

// 's|'t|'re|'ve|'m|'ll|'d, ASCII case-folded when `any_case`.
size_t Contraction(const CodepointText& t, size_t i, size_t e, bool any_case) {
  if (t.cp[i] != '\'' || i + 1 >= e) return 0;
  auto low = [&](size_t k) {
    uint32_t c = t.cp[k];
    return (any_case && c >= 'A' && c <= 'Z') ? c + 32 : c;
  };
  uint32_t a = low(i + 1);
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  if (i + 2 >= e) return 0;
  uint32_t b = low(i + 2);
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
  return 0;
}

// \s+(?!\S)|\s+ at a whitespace code point i: the whole run if it reaches
// the end, else all but its last code point (which then leads the next
// word), but at least one.
size_t TrailingSpaceRun(const CodepointText& t, size_t i, size_t e) {
  size_t n = Run(t, i, e, kSpace);
  if (i + n == e || n == 1) return n;
  return n - 1;
}

// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
size_t MatchGpt2(const CodepointText& t, size_t i, size_t e) {
  if (size_t n = Contraction(t, i, e, false)) return n;
  size_t j = i + (t.cp[i] == ' ' ? 1 : 0);
  if (j < e) {
    uint8_t f = t.fl[j];
    if (f & kLetter) return j - i + Run(t, j, e, kLetter);
    if (f & kNumber) return j - i + Run(t, j, e, kNumber);
    if (!(f & kSLN)) return j - i + RunNot(t, j, e, kSLN);
  }
  return TrailingSpaceRun(t, i, e);  // i is whitespace here
}

// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,max_digits}
// | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
size_t MatchLlama3(const CodepointText& t, size_t i, size_t e, size_t max_digits) {
  if (size_t n = Contraction(t, i, e, true)) return n;
  uint32_t c = t.cp[i];
  uint8_t f = t.fl[i];
  if (f & kLetter) return Run(t, i, e, kLetter);
  if (!(f & kNumber) && !IsNewline(c) && i + 1 < e && (t.fl[i + 1] & kLetter)) {
    return 1 + Run(t, i + 1, e, kLetter);
  }
  if (f & kNumber) return std::min(max_digits, Run(t, i, e, kNumber));
  size_t j = i + (c == ' ' ? 1 : 0);
  if (j < e && !(t.fl[j] & kSLN)) {
    size_t k = j + RunNot(t, j, e, kSLN);
    while (k < e && IsNewline(t.cp[k])) ++k;
    return k - i;
  }
  // Whitespace: \s*[\r\n]+ ends after the run's last newline, if any.
  size_t n = Run(t, i, e, kSpace);
  for (size_t k = i + n; k > i; --k) {
    if (IsNewline(t.cp[k - 1])) return k - i;
  }
  return TrailingSpaceRun(t, i, e);
}

size_t MatchNewline(const CodepointText& t, size_t i, size_t) { return IsNewline(t.cp[i]) ? 1 : 0; }

// \s?X+ where X is a class bit.
template <uint8_t kClass>
size_t MatchSpaceOptRun(const CodepointText& t, size_t i, size_t e) {
  size_t j = i + ((t.fl[i] & kSpace) ? 1 : 0);
  if (j < e && (t.fl[j] & kClass)) return j - i + Run(t, j, e, kClass);
  return (t.fl[i] & kClass) ? Run(t, i, e, kClass) : 0;
}

size_t MatchOneNumber(const CodepointText& t, size_t i, size_t) {
  return (t.fl[i] & kNumber) ? 1 : 0;
}
size_t MatchNumbers(const CodepointText& t, size_t i, size_t e) { return Run(t, i, e, kNumber); }

// [0-9][0-9][0-9]
size_t MatchThreeAsciiDigits(const CodepointText& t, size_t i, size_t e) {
  if (i + 3 > e) return 0;
  for (size_t k = i; k < i + 3; ++k) {
    if (t.cp[k] < '0' || t.cp[k] > '9') return 0;
  }
  return 3;
}

// [\p{P}$+<=>^~|`]+ (falcon) and [\p{P}$+<=>^~|]+ (default).
template <bool kBacktick>
size_t MatchPunctRun(const CodepointText& t, size_t i, size_t e) {
  auto in = [&](size_t k) {
    uint32_t c = t.cp[k];
    return (t.fl[k] & kPunct) || c == '$' || c == '+' || c == '<' || c == '=' || c == '>' ||
           c == '^' || c == '~' || c == '|' || (kBacktick && c == '`');
  };
  size_t k = i;
  while (k < e && in(k)) ++k;
  return k - i;
}

struct Range {
  uint32_t first, last;
};
bool InRanges(uint32_t c, const Range* r, size_t n) {
  for (size_t k = 0; k < n; ++k) {
    if (c >= r[k].first && c <= r[k].last) return true;
  }
  return false;
}

// [一-龥ࠀ-一가-퟿]+
constexpr Range kCjkRanges[] = {{0x4E00, 0x9FA5}, {0x0800, 0x4E00}, {0xAC00, 0xD7FF}};
size_t MatchCjk(const CodepointText& t, size_t i, size_t e) {
  size_t k = i;
  while (k < e && InRanges(t.cp[k], kCjkRanges, std::size(kCjkRanges))) ++k;
  return k - i;
}

// DeepSeek LLM's letter class (the Unicode cased letters, LC).
constexpr Range kDeepseekLetters[] = {
    {0x41, 0x5A}, {0x61, 0x7A}, {0xB5, 0xB5}, {0xC0, 0xD6}, {0xD8, 0xF6}, {0xF8, 0x1BA},
    {0x1BC, 0x1BF}, {0x1C4, 0x293}, {0x295, 0x2AF}, {0x370, 0x373}, {0x376, 0x377},
    {0x37B, 0x37D}, {0x37F, 0x37F}, {0x386, 0x386}, {0x388, 0x38A}, {0x38C, 0x38C},
    {0x38E, 0x3A1}, {0x3A3, 0x3F5}, {0x3F7, 0x481}, {0x48A, 0x52F}, {0x531, 0x556},
    {0x10A0, 0x10C5}, {0x13A0, 0x13F5}, {0x13F8, 0x13FD}, {0x1C90, 0x1CBA}, {0x1CBD, 0x1CBF},
    {0x1D00, 0x1D2B}, {0x1D6B, 0x1D77}, {0x1D79, 0x1D9A}, {0x1E00, 0x1F15}, {0x1F18, 0x1F1D},
    {0x1F20, 0x1F45}, {0x1F48, 0x1F4D}, {0x1F50, 0x1F57}, {0x1F59, 0x1F59}, {0x1F5B, 0x1F5B},
    {0x1F5D, 0x1F5D}, {0x1F5F, 0x1F7D}, {0x1F80, 0x1FB4}, {0x1FB6, 0x1FBC}, {0x1FBE, 0x1FBE},
    {0x1FC2, 0x1FC4}, {0x1FC6, 0x1FCC}, {0x1FD0, 0x1FD3}, {0x1FD6, 0x1FDB}, {0x1FE0, 0x1FEC},
    {0x1FF2, 0x1FF4}, {0x1FF6, 0x1FFC}, {0x2102, 0x2102}, {0x2107, 0x2107}, {0x210A, 0x2113},
    {0x2115, 0x2115}, {0x2119, 0x211D}, {0x2124, 0x2124}, {0x2126, 0x2126}, {0x2128, 0x2128},
    {0x212A, 0x212D}, {0x212F, 0x2134}, {0x2139, 0x2139}, {0x213C, 0x213F}, {0x2145, 0x2149},
    {0x214E, 0x214E}, {0x2183, 0x2184}, {0x2C00, 0x2C7B}, {0x2C7E, 0x2CE4}, {0x2CEB, 0x2CEE},
    {0x2CF2, 0x2CF3}, {0xA640, 0xA66D}, {0xA680, 0xA69B}, {0xA722, 0xA76F}, {0xA771, 0xA787},
    {0xA78B, 0xA78E}, {0xAB70, 0xABBF}, {0xFB00, 0xFB06}, {0xFB13, 0xFB17}, {0xFF21, 0xFF3A},
    {0xFF41, 0xFF5A}, {0x10400, 0x1044F}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB},
    {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x1E900, 0x1E943},
};
// [!-/:-~！-／：-～‘-‟　-。]
constexpr Range kDeepseekPunct[] = {{0x21, 0x2F},     {0x3A, 0x7E},     {0xFF01, 0xFF0F},
                                    {0xFF1A, 0xFF5E}, {0x2018, 0x201F}, {0x3000, 0x3002}};

template <const Range* kRanges, size_t kN>
size_t MatchSpaceOptRanges(const CodepointText& t, size_t i, size_t e) {
  auto in = [&](size_t k) { return InRanges(t.cp[k], kRanges, kN); };
  size_t j = i + ((t.fl[i] & kSpace) ? 1 : 0);
  if (!(j < e && in(j))) {
    if (!in(i)) return 0;
    j = i;
  }
  size_t k = j;
  while (k < e && in(k)) ++k;
  return k - i;
}

// \s+$ (the end of the current piece).
size_t MatchFinalSpace(const CodepointText& t, size_t i, size_t e) {
  size_t n = Run(t, i, e, kSpace);
  return i + n == e ? n : 0;
}

size_t MatchGpt2Stage(const CodepointText& t, size_t i, size_t e) { return MatchGpt2(t, i, e); }

using Matcher = size_t (*)(const CodepointText&, size_t, size_t);

// Refines every piece [b, e) of *pieces (code point indices) by one
// expression: matches and the gaps between them become pieces.
void ApplyStage(const CodepointText& t, Matcher match, std::vector<Piece>* pieces,
                std::vector<Piece>* scratch) {
  scratch->clear();
  for (const Piece& p : *pieces) {
    size_t gap = p.begin;
    size_t i = p.begin;
    while (i < p.end) {
      size_t n = match(t, i, p.end);
      if (n == 0) {
        ++i;
        continue;
      }
      if (gap < i) scratch->push_back({static_cast<uint32_t>(gap), static_cast<uint32_t>(i)});
      scratch->push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(i + n)});
      i += n;
      gap = i;
    }
    if (gap < p.end) scratch->push_back({static_cast<uint32_t>(gap), p.end});
  }
  pieces->swap(*scratch);
}

void SplitStages(const CodepointText& t, const Matcher* stages, size_t num_stages,
                 std::vector<Piece>* out) {
  std::vector<Piece> pieces{{0, static_cast<uint32_t>(t.size())}};
  std::vector<Piece> scratch;
  for (size_t s = 0; s < num_stages; ++s) ApplyStage(t, stages[s], &pieces, &scratch);
  for (const Piece& p : pieces) out->push_back({t.off[p.begin], t.off[p.end]});
}

template <typename F>
void SplitSingle(const CodepointText& t, F match, std::vector<Piece>* out) {
  size_t i = 0, n = t.size();
  while (i < n) {
    size_t len = match(t, i, n);
    // Every code point starts a match of these complete expressions.
    if (len == 0) len = 1;
    out->push_back({t.off[i], t.off[i + len]});
    i += len;
  }
}

}  // namespace

Result<PreTokenizer> PreTokenizerFromName(std::string_view name) {
  struct Entry {
    const char* name;
    PreTokenizer kind;
  };
  static constexpr Entry kNames[] = {
      {"default", PreTokenizer::kDefault},
      {"llama3", PreTokenizer::kLlama3},
      {"llama-v3", PreTokenizer::kLlama3},
      {"llama-bpe", PreTokenizer::kLlama3},
      {"falcon3", PreTokenizer::kLlama3},
      {"dbrx", PreTokenizer::kLlama3},
      {"smaug-bpe", PreTokenizer::kLlama3},
      {"qwen2", PreTokenizer::kQwen2},
      {"deepseek-r1-qwen", PreTokenizer::kQwen2},
      {"stablelm2", PreTokenizer::kQwen2},
      {"gpt-2", PreTokenizer::kGpt2},
      {"phi-2", PreTokenizer::kGpt2},
      {"mpt", PreTokenizer::kGpt2},
      {"olmo", PreTokenizer::kGpt2},
      {"jais", PreTokenizer::kGpt2},
      {"starcoder", PreTokenizer::kStarcoder},
      {"refact", PreTokenizer::kStarcoder},
      {"command-r", PreTokenizer::kStarcoder},
      {"smollm", PreTokenizer::kStarcoder},
      {"codeshell", PreTokenizer::kStarcoder},
      {"exaone", PreTokenizer::kStarcoder},
      {"minerva-7b", PreTokenizer::kStarcoder},
      {"falcon", PreTokenizer::kFalcon},
      {"deepseek-coder", PreTokenizer::kDeepseekCoder},
      {"deepseek-llm", PreTokenizer::kDeepseekLlm},
  };
  if (name.empty()) return PreTokenizer::kDefault;
  for (const Entry& e : kNames) {
    if (name == e.name) return e.kind;
  }
  return MakeError(ErrorCode::kUnsupported,
                   "unknown pre-tokenizer '" + std::string(name) + "'", "tokenizer.ggml.pre");
}

const char* PreTokenizerName(PreTokenizer kind) {
  switch (kind) {
    case PreTokenizer::kNone: return "none";
    case PreTokenizer::kGpt2: return "gpt-2";
    case PreTokenizer::kLlama3: return "llama3";
    case PreTokenizer::kQwen2: return "qwen2";
    case PreTokenizer::kStarcoder: return "starcoder";
    case PreTokenizer::kFalcon: return "falcon";
    case PreTokenizer::kDefault: return "default";
    case PreTokenizer::kDeepseekCoder: return "deepseek-coder";
    case PreTokenizer::kDeepseekLlm: return "deepseek-llm";
  }
  return "?";
}

void PreTokenize(PreTokenizer kind, std::string_view text, std::vector<Piece>* pieces) {
  if (text.empty()) return;
  if (kind == PreTokenizer::kNone) {
    pieces->push_back({0, static_cast<uint32_t>(text.size())});
    return;
  }
  CodepointText t(text);
  switch (kind) {
    case PreTokenizer::kNone:
      break;
    case PreTokenizer::kGpt2:
      SplitSingle(t, MatchGpt2, pieces);
      break;
    case PreTokenizer::kLlama3:
      SplitSingle(t, [](const CodepointText& x, size_t i, size_t e) { return MatchLlama3(x, i, e, 3); },
                  pieces);
      break;
    case PreTokenizer::kQwen2:
      SplitSingle(t, [](const CodepointText& x, size_t i, size_t e) { return MatchLlama3(x, i, e, 1); },
                  pieces);
      break;
    case PreTokenizer::kStarcoder: {
      static constexpr Matcher kStages[] = {MatchOneNumber, MatchGpt2Stage};
      SplitStages(t, kStages, std::size(kStages), pieces);
      break;
    }
    case PreTokenizer::kFalcon: {
      static constexpr Matcher kStages[] = {MatchPunctRun<true>, MatchGpt2Stage,
                                            MatchThreeAsciiDigits};
      SplitStages(t, kStages, std::size(kStages), pieces);
      break;
    }
    case PreTokenizer::kDefault: {
      static constexpr Matcher kStages[] = {MatchPunctRun<false>, MatchGpt2Stage, MatchNumbers,
                                            MatchThreeAsciiDigits};
      SplitStages(t, kStages, std::size(kStages), pieces);
      break;
    }
    case PreTokenizer::kDeepseekCoder: {
      static constexpr Matcher kStages[] = {MatchNewline, MatchSpaceOptRun<kLetter>,
                                            MatchSpaceOptRun<kPunct>, MatchCjk, MatchOneNumber};
      SplitStages(t, kStages, std::size(kStages), pieces);
      break;
    }
    case PreTokenizer::kDeepseekLlm: {
      static constexpr Matcher kStages[] = {
          MatchNewline,
          MatchSpaceOptRanges<kDeepseekLetters, std::size(kDeepseekLetters)>,
          MatchSpaceOptRanges<kDeepseekPunct, std::size(kDeepseekPunct)>,
          MatchFinalSpace,
          MatchCjk,
          MatchNumbers};
      SplitStages(t, kStages, std::size(kStages), pieces);
      break;
    }
  }
}

}  // namespace steer::tokenizer
