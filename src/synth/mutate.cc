#include "steer/synth/mutate.h"

#include <cctype>

namespace steer::synth {
namespace {

bool IsIdent(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// code[i] is code (not in a string or comment) for each i.
std::vector<bool> CodeMask(std::string_view s) {
  std::vector<bool> mask(s.size(), false);
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == '#') {
      while (i < s.size() && s[i] != '\n') ++i;
      continue;
    }
    if (c == '\'' || c == '"') {
      bool triple = s.substr(i, 3) == std::string(3, c);
      size_t q = triple ? 3 : 1;
      i += q;
      while (i < s.size()) {
        if (s[i] == '\\') {
          i += 2;
          continue;
        }
        if (triple ? s.substr(i, 3) == std::string(3, c) : s[i] == c) {
          i += q;
          break;
        }
        if (!triple && s[i] == '\n') break;  // unterminated: stop at the line end
        ++i;
      }
      continue;
    }
    mask[i] = true;
    ++i;
  }
  return mask;
}

// The last non-space character before i, or 0.
char PrevNonSpace(std::string_view s, size_t i) {
  while (i > 0) {
    --i;
    if (s[i] != ' ' && s[i] != '\t') return s[i];
  }
  return 0;
}

}  // namespace

std::vector<Mutant> MutatePython(std::string_view code) {
  std::vector<Mutant> out;
  std::vector<bool> mask = CodeMask(code);
  auto replace = [&](size_t pos, size_t len, const std::string& with) {
    std::string m(code);
    m.replace(pos, len, with);
    out.push_back({"offset " + std::to_string(pos) + ": '" + std::string(code.substr(pos, len)) + "' -> '" +
                       with + "'",
                   std::move(m)});
  };
  const size_t n = code.size();
  for (size_t i = 0; i < n; ++i) {
    if (!mask[i]) continue;
    char c = code[i];
    char next = i + 1 < n ? code[i + 1] : 0;
    char prev = i > 0 ? code[i - 1] : 0;
    if (std::isdigit(static_cast<unsigned char>(c)) && !IsIdent(prev) && prev != '.') {
      size_t j = i;
      while (j < n && std::isdigit(static_cast<unsigned char>(code[j]))) ++j;
      char after = j < n ? code[j] : 0;
      if (!IsIdent(after) && after != '.' && j - i <= 9) {
        long v = std::stol(std::string(code.substr(i, j - i)));
        replace(i, j - i, std::to_string(v + 1));
        if (v >= 1) replace(i, j - i, std::to_string(v - 1));
      }
      i = j - 1;
      continue;
    }
    if (c == 'r' && code.substr(i, 7) == "return " && !IsIdent(prev)) {
      size_t j = i + 7;
      while (j < n && code[j] == ' ') ++j;
      if (j < n && code[j] != '\n' && code[j] != '#') replace(i, j - i, "");
      continue;
    }
    // Two-character operators first.
    std::string_view two = code.substr(i, 2);
    if (two == "<=" || two == ">=") {
      replace(i, 2, std::string(1, c));
      ++i;
      continue;
    }
    if (two == "==" || two == "!=") {
      replace(i, 2, two == "==" ? "!=" : "==");
      ++i;
      continue;
    }
    if ((c == '<' || c == '>') && next != c && next != '=' && prev != c && prev != '-' && prev != '=') {
      replace(i, 1, std::string(1, c) + "=");
      continue;
    }
    if ((c == '+' || c == '-') && next != '=' && next != '>' && prev != c && prev != 'e' && prev != 'E') {
      char p = PrevNonSpace(code, i);
      bool binary = IsIdent(p) || p == ')' || p == ']' || p == '}' || p == '\'' || p == '"';
      // A keyword before the sign makes it unary ("return -1", "in -x").
      size_t k = i;
      while (k > 0 && (code[k - 1] == ' ' || code[k - 1] == '\t')) --k;
      size_t w = k;
      while (w > 0 && IsIdent(code[w - 1])) --w;
      std::string_view word = code.substr(w, k - w);
      if (word == "return" || word == "in" || word == "and" || word == "or" || word == "not" || word == "if" ||
          word == "else" || word == "yield" || word == "lambda")
        binary = false;
      if (binary) replace(i, 1, c == '+' ? "-" : "+");
    }
  }
  return out;
}

}  // namespace steer::synth
