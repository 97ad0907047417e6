// Lark front end (see include/steer/grammar/lark.h): a recursive-descent
// parser over the text that lowers each definition straight to IR.
//
// Names: rules and terminals share the IR's rule namespace (their cases
// differ). Terminals referenced from a rule are followed by the %ignore
// expression (rule "%ignore", defined at the end), and the start symbol is
// preceded by it, so ignored tokens may come before, between and after
// tokens. Recursion depth is bounded by limits.max_nesting.
#include "steer/grammar/lark.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "steer/grammar/regex.h"
#include "steer/util/check.h"
#include "steer/util/utf8.h"

namespace steer::grammar {
namespace {

// The terminals of `%import common.X`, written for steer in Lark syntax.
// ESCAPED_STRING: a double-quoted string on one line where a backslash
// escapes the next character.
constexpr const char* kCommon = R"lark(
DIGIT: "0".."9"
HEXDIGIT: "a".."f" | "A".."F" | DIGIT
INT: DIGIT+
SIGNED_INT: ["+" | "-"] INT
DECIMAL: INT "." INT? | "." INT
_EXP: ("e" | "E") SIGNED_INT
FLOAT: INT _EXP | DECIMAL _EXP?
SIGNED_FLOAT: ["+" | "-"] FLOAT
NUMBER: FLOAT | INT
SIGNED_NUMBER: ["+" | "-"] NUMBER
ESCAPED_STRING: "\"" (/[^"\\\n]/ | "\\" /./)* "\""
LCASE_LETTER: "a".."z"
UCASE_LETTER: "A".."Z"
LETTER: UCASE_LETTER | LCASE_LETTER
WORD: LETTER+
CNAME: ("_" | LETTER) ("_" | LETTER | DIGIT)*
WS_INLINE: (" " | "\t")+
WS: /[ \t\f\r\n]/+
CR: "\r"
LF: "\n"
NEWLINE: (CR? LF)+
)lark";

constexpr const char* kCommonPrefix = "common__";
constexpr const char* kIgnoreRule = "%ignore";

bool IsTerminalName(std::string_view name) {
  size_t i = name.find_first_not_of('_');
  return i != std::string_view::npos && std::isupper(static_cast<unsigned char>(name[i]));
}

class LarkParser {
 public:
  LarkParser(Grammar& g, std::string_view text, std::string prefix)
      : g_(g), t_(text), prefix_(std::move(prefix)) {}

  // Parses all definitions into g_.
  Status ParseAll() {
    for (;;) {
      SkipBlankLines();
      if (pos_ >= t_.size()) return Status();
      if (t_[pos_] == '%') {
        STEER_RETURN_IF_ERROR(ParseDirective());
      } else {
        STEER_RETURN_IF_ERROR(ParseDefinition());
      }
    }
  }

  // Checks references, terminal cycles and the start rule; defines the
  // ignore rule and the root.
  Status Finish() {
    for (const auto& [name, pos] : first_use_) {
      if (!defs_.count(name)) {
        return ErrAt(pos, std::string(IsTerminalName(name) ? "undefined terminal " : "undefined rule ") + name);
      }
    }
    // Terminals must not be recursive: DFS over terminal -> terminal edges.
    std::map<std::string, int> color;
    std::vector<std::string> order;
    for (const auto& [name, _] : term_edges_) order.push_back(name);
    for (const auto& start : order) {
      if (color[start]) continue;
      std::vector<std::pair<std::string, size_t>> stack{{start, 0}};
      color[start] = 1;
      while (!stack.empty()) {
        auto& [node, next] = stack.back();
        const auto& edges = term_edges_[node];
        if (next == edges.size()) {
          color[node] = 2;
          stack.pop_back();
          continue;
        }
        const std::string child = edges[next++];
        if (color[child] == 1) {
          return ErrAt(defs_[child], "circular reference in token " + child);
        }
        if (!color[child]) {
          color[child] = 1;
          stack.push_back({child, 0});
        }
      }
    }
    if (!defs_.count("start")) return ErrAt(t_.size(), "no start rule (a rule named 'start')");
    RuleId ign = g_.DeclareRule(kIgnoreRule);
    g_.DefineRule(ign, ignores_.empty() ? g_.Empty() : g_.Star(g_.Alt(ignores_)));
    RuleId root = g_.NewRule("lark_root");
    g_.DefineRule(root, g_.Seq({g_.Ref(ign), g_.Ref(g_.DeclareRule("start"))}));
    g_.SetStart(root);
    return Status();
  }

 private:
  struct Ctx {
    bool terminal = false;  // inside a terminal definition (no %ignore)
    int depth = 0;          // bracket nesting
  };

  // ------------------------------------------------------------ positions
  std::string LineCol(size_t pos) const {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < pos && i < t_.size(); ++i) {
      if (t_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return std::to_string(line) + ":" + std::to_string(col);
  }
  Error ErrAt(size_t pos, const std::string& msg, ErrorCode code = ErrorCode::kInvalidInput) const {
    return MakeError(code, msg, prefix_.empty() ? LineCol(pos) : "common library " + LineCol(pos));
  }
  Error Err(const std::string& msg, ErrorCode code = ErrorCode::kInvalidInput) const {
    return ErrAt(pos_, msg, code);
  }

  // ------------------------------------------------------------ lexing
  bool AtEnd() const { return pos_ >= t_.size(); }
  char Cur() const { return AtEnd() ? '\0' : t_[pos_]; }
  bool Peek(std::string_view s) const { return t_.substr(pos_, s.size()) == s; }

  // Skips spaces, tabs and comments (not newlines).
  void SkipInline() {
    while (!AtEnd()) {
      char c = t_[pos_];
      if (c == ' ' || c == '\t' || c == '\r') {
        ++pos_;
      } else if (Peek("//")) {
        while (!AtEnd() && t_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }
  void SkipBlankLines() {
    for (;;) {
      SkipInline();
      if (Cur() == '\n') {
        ++pos_;
      } else {
        return;
      }
    }
  }
  // At a newline outside brackets: does the definition continue with '|'?
  bool ContinuesOnNextLine() {
    size_t save = pos_;
    SkipBlankLines();
    if (Cur() == '|') return true;
    pos_ = save;
    return false;
  }
  std::string ReadName() {
    size_t start = pos_;
    while (!AtEnd() && (std::isalnum(static_cast<unsigned char>(t_[pos_])) || t_[pos_] == '_')) ++pos_;
    return std::string(t_.substr(start, pos_ - start));
  }
  std::string Mapped(const std::string& name) const {
    return prefix_.empty() || !IsTerminalName(name) ? name : prefix_ + name;
  }
  Result<int64_t> ReadInt() {
    size_t start = pos_;
    bool neg = false;
    if (Cur() == '-') {
      neg = true;
      ++pos_;
    }
    int64_t v = 0;
    bool any = false;
    while (!AtEnd() && std::isdigit(static_cast<unsigned char>(t_[pos_]))) {
      v = std::min<int64_t>(v * 10 + (t_[pos_++] - '0'), int64_t{1} << 40);
      any = true;
    }
    if (!any) return ErrAt(start, "expected a number");
    return neg ? -v : v;
  }

  // ------------------------------------------------------------ directives
  Status ParseDirective() {
    size_t start = pos_;
    ++pos_;
    std::string d = ReadName();
    SkipInline();
    if (d == "ignore") {
      Ctx ctx{true, 0};
      STEER_ASSIGN_OR_RETURN(ExprId e, ParseAlts(ctx));
      ignores_.push_back(e);
    } else if (d == "import") {
      STEER_RETURN_IF_ERROR(ParseImport());
    } else if (d == "llguidance") {
      if (Cur() != '{') return Err("expected '{' after %llguidance");
      size_t close = t_.find('}', pos_);
      if (close == std::string_view::npos) return Err("unterminated %llguidance options");
      std::string_view body = t_.substr(pos_ + 1, close - pos_ - 1);
      if (body.find_first_not_of(" \t\r\n") != std::string_view::npos) {
        return Err("%llguidance options are not supported", ErrorCode::kUnsupported);
      }
      pos_ = close + 1;
    } else {
      return ErrAt(start, "directive %" + d + " is not supported", ErrorCode::kUnsupported);
    }
    return EndOfLine();
  }

  Status EndOfLine() {
    SkipInline();
    if (!AtEnd() && Cur() != '\n') return Err(std::string("unexpected '") + Cur() + "'");
    return Status();
  }

  Status ImportCommon(const std::string& name, const std::string& alias, size_t pos) {
    if (!IsTerminalName(name) || !CommonNames().count(name)) {
      return ErrAt(pos, "Unknown common terminal " + name + " in %import", ErrorCode::kNotFound);
    }
    if (!common_loaded_) {
      LarkParser lib(g_, kCommon, kCommonPrefix);
      Status st = lib.ParseAll();
      STEER_CHECK_MSG(st.ok(), "the built-in common library parses");
      common_loaded_ = true;
    }
    if (defs_.count(alias)) return ErrAt(pos, "duplicate terminal " + alias);
    defs_[alias] = pos;
    g_.DefineRule(g_.DeclareRule(alias), g_.Ref(g_.DeclareRule(kCommonPrefix + name)));
    return Status();
  }

  static const std::set<std::string>& CommonNames() {
    static const std::set<std::string> kNames = {
        "DIGIT", "HEXDIGIT", "INT", "SIGNED_INT", "DECIMAL", "FLOAT", "SIGNED_FLOAT", "NUMBER",
        "SIGNED_NUMBER", "ESCAPED_STRING", "LCASE_LETTER", "UCASE_LETTER", "LETTER", "WORD",
        "CNAME", "WS_INLINE", "WS", "CR", "LF", "NEWLINE"};
    return kNames;
  }

  Status ParseImport() {
    size_t start = pos_;
    std::string module = ReadName();
    if (module != "common") {
      return ErrAt(start, "%import of module '" + module + "' is not supported (only common)",
                   ErrorCode::kUnsupported);
    }
    if (Cur() == '.') {
      ++pos_;
      size_t npos = pos_;
      std::string name = ReadName();
      SkipInline();
      std::string alias = name;
      if (Peek("->")) {
        pos_ += 2;
        SkipInline();
        alias = ReadName();
        if (!IsTerminalName(alias)) return Err("an imported terminal's alias must be a terminal name");
      }
      return ImportCommon(name, alias, npos);
    }
    SkipInline();
    if (Cur() != '(') return Err("expected '.NAME' or '(NAMES)' after %import common");
    ++pos_;
    for (;;) {
      SkipInline();
      size_t npos = pos_;
      std::string name = ReadName();
      if (name.empty()) return Err("expected a terminal name");
      STEER_RETURN_IF_ERROR(ImportCommon(name, name, npos));
      SkipInline();
      if (Cur() == ',') {
        ++pos_;
        continue;
      }
      if (Cur() == ')') {
        ++pos_;
        return Status();
      }
      return Err("expected ',' or ')'");
    }
  }

  // ------------------------------------------------------------ definitions
  Status ParseDefinition() {
    const size_t start = pos_;
    if (Cur() == '?' || Cur() == '!') ++pos_;
    std::string name = ReadName();
    if (name.empty()) return Err(std::string("expected a rule or terminal name, found '") + Cur() + "'");
    const bool terminal = IsTerminalName(name);
    if (Cur() == '.') {  // priority
      ++pos_;
      Result<int64_t> priority = ReadInt();
      if (!priority.ok()) return priority.error();
    }
    SkipInline();
    if (Cur() == '{') return Err("rule templates are not supported", ErrorCode::kUnsupported);
    if (Cur() != ':') return Err("expected ':' after " + name);
    ++pos_;
    SkipInline();
    const std::string mapped = Mapped(name);
    if (defs_.count(mapped)) return ErrAt(start, std::string(terminal ? "duplicate terminal " : "duplicate rule ") + name);
    defs_[mapped] = start;
    current_ = mapped;
    Ctx ctx{terminal, 0};
    if (terminal) term_edges_[mapped];  // a node even without edges
    STEER_ASSIGN_OR_RETURN(ExprId body, ParseAlts(ctx));
    STEER_RETURN_IF_ERROR(EndOfLine());
    g_.DefineRule(g_.DeclareRule(mapped), body);
    return Status();
  }

  // Alternatives up to ')' / ']' / the end of the definition.
  Result<ExprId> ParseAlts(const Ctx& ctx) {
    std::vector<ExprId> alts;
    for (;;) {
      STEER_ASSIGN_OR_RETURN(ExprId seq, ParseSeq(ctx));
      alts.push_back(seq);
      SkipInline();
      if (Cur() == '\n' && (ctx.depth > 0 || ContinuesOnNextLine())) {
        SkipBlankLines();
      }
      if (Cur() == '|') {
        ++pos_;
        continue;
      }
      break;
    }
    return alts.size() == 1 ? alts[0] : g_.Alt(std::move(alts));
  }

  Result<ExprId> ParseSeq(const Ctx& ctx) {
    std::vector<ExprId> items;
    for (;;) {
      SkipInline();
      if (Cur() == '\n' && ctx.depth > 0) {
        SkipBlankLines();
      }
      if (AtEnd() || Cur() == '\n' || Cur() == '|' || Cur() == ')' || Cur() == ']') break;
      if (Peek("->")) {  // alias: no effect on the language
        pos_ += 2;
        SkipInline();
        if (ReadName().empty()) return Err("expected a name after '->'");
        continue;
      }
      STEER_ASSIGN_OR_RETURN(ExprId atom, ParseAtom(ctx));
      STEER_ASSIGN_OR_RETURN(ExprId item, ParsePostfix(atom));
      items.push_back(item);
    }
    if (items.empty()) return g_.Empty();
    return items.size() == 1 ? items[0] : g_.Seq(std::move(items));
  }

  Result<ExprId> Repeat(ExprId e, int64_t lo, int64_t hi, size_t at) {
    if (lo < 0) return ErrAt(at, "range start must be >= 0");
    if (hi >= 0 && hi < lo) return ErrAt(at, "range end must be >= start");
    const int64_t cap = g_.limits().max_repeat_bound;
    if (lo > cap || hi > cap) {
      return ErrAt(at, "repeat bound over the limit max_repeat_bound=" + std::to_string(cap),
                   ErrorCode::kResourceExhausted);
    }
    return g_.Repeat(e, static_cast<int32_t>(lo), hi < 0 ? kUnbounded : static_cast<int32_t>(hi));
  }

  Result<ExprId> ParsePostfix(ExprId e) {
    for (;;) {
      SkipInline();
      const size_t at = pos_;
      char c = Cur();
      if (c == '?') {
        ++pos_;
        e = g_.Optional(e);
      } else if (c == '*') {
        ++pos_;
        e = g_.Star(e);
      } else if (c == '+') {
        ++pos_;
        e = g_.Plus(e);
      } else if (c == '~') {
        ++pos_;
        SkipInline();
        STEER_ASSIGN_OR_RETURN(int64_t lo, ReadInt());
        int64_t hi = lo;
        if (Peek("..")) {
          pos_ += 2;
          STEER_ASSIGN_OR_RETURN(hi, ReadInt());
        }
        STEER_ASSIGN_OR_RETURN(e, Repeat(e, lo, hi, at));
      } else if (c == '{') {
        ++pos_;
        SkipInline();
        int64_t lo = 0, hi = -1;
        if (Cur() != ',') {
          STEER_ASSIGN_OR_RETURN(lo, ReadInt());
        }
        SkipInline();
        if (Cur() == ',') {
          ++pos_;
          SkipInline();
          if (Cur() != '}') {
            STEER_ASSIGN_OR_RETURN(hi, ReadInt());
            if (hi < 0) return ErrAt(at, "range end must be >= start");
          }
        } else {
          hi = lo;
        }
        SkipInline();
        if (Cur() != '}') return Err("expected '}'");
        ++pos_;
        STEER_ASSIGN_OR_RETURN(e, Repeat(e, lo, hi, at));
      } else {
        return e;
      }
    }
  }

  // A token (string, regex, range, terminal) in rule context is followed by
  // the ignore expression.
  ExprId Token(ExprId e, const Ctx& ctx) {
    return ctx.terminal ? e : g_.Seq({e, g_.Ref(g_.DeclareRule(kIgnoreRule))});
  }

  Result<ExprId> ParseAtom(const Ctx& ctx) {
    const size_t at = pos_;
    char c = Cur();
    if (c == '(' || c == '[') {
      if (ctx.depth + 1 > g_.limits().max_nesting) {
        return Err("nesting deeper than max_nesting=" + std::to_string(g_.limits().max_nesting),
                   ErrorCode::kResourceExhausted);
      }
      ++pos_;
      Ctx inner{ctx.terminal, ctx.depth + 1};
      STEER_ASSIGN_OR_RETURN(ExprId e, ParseAlts(inner));
      SkipBlankLines();
      const char close = c == '(' ? ')' : ']';
      if (Cur() != close) return Err(std::string("expected '") + close + "'");
      ++pos_;
      return c == '[' ? g_.Optional(e) : e;
    }
    if (c == '"') {
      STEER_ASSIGN_OR_RETURN(std::string s, ReadString());
      bool ci = false;
      if (Cur() == 'i' && !(pos_ + 1 < t_.size() && std::isalnum(static_cast<unsigned char>(t_[pos_ + 1])))) {
        ci = true;
        ++pos_;
      }
      if (Peek("..")) {  // "a".."z"
        pos_ += 2;
        SkipInline();
        if (Cur() != '"') return Err("expected a string after '..'");
        STEER_ASSIGN_OR_RETURN(std::string hi, ReadString());
        size_t la = 0, lb = 0;
        uint32_t a = utf8::Decode(s, 0, &la), b = utf8::Decode(hi, 0, &lb);
        if (s.empty() || hi.empty() || la != s.size() || lb != hi.size() || a == utf8::kInvalid ||
            b == utf8::kInvalid) {
          return ErrAt(at, "a literal range needs single characters");
        }
        if (b < a) return ErrAt(at, "range end must be >= start");
        return Token(g_.Codepoints({{a, b}}), ctx);
      }
      if (!ci) return Token(s.empty() ? g_.Empty() : g_.Literal(s), ctx);
      std::vector<ExprId> seq;
      for (char ch : s) {
        ByteSet b = ByteSet::Single(static_cast<uint8_t>(ch));
        if (std::isalpha(static_cast<unsigned char>(ch))) {
          b.Add(static_cast<uint8_t>(std::tolower(static_cast<unsigned char>(ch))));
          b.Add(static_cast<uint8_t>(std::toupper(static_cast<unsigned char>(ch))));
        }
        seq.push_back(g_.Bytes(b));
      }
      return Token(seq.empty() ? g_.Empty() : g_.Seq(std::move(seq)), ctx);
    }
    if (c == '/') {
      ++pos_;
      std::string pat;
      for (;;) {
        if (AtEnd() || Cur() == '\n') return ErrAt(at, "unterminated regex");
        if (Cur() == '\\' && pos_ + 1 < t_.size() && t_[pos_ + 1] == '/') {
          pat += '/';
          pos_ += 2;
          continue;
        }
        if (Cur() == '\\' && pos_ + 1 < t_.size()) {
          pat += t_.substr(pos_, 2);
          pos_ += 2;
          continue;
        }
        if (Cur() == '/') break;
        pat += Cur();
        ++pos_;
      }
      ++pos_;
      RegexFlags flags;
      while (!AtEnd() && std::isalpha(static_cast<unsigned char>(Cur()))) {
        if (Cur() == 'i') {
          flags.case_insensitive = true;
        } else if (Cur() == 's') {
          flags.dot_all = true;
        } else {
          return Err(std::string("regex flag '") + Cur() + "' is not supported", ErrorCode::kUnsupported);
        }
        ++pos_;
      }
      Result<ExprId> e = AddRegex(&g_, pat, flags);
      if (!e.ok()) return ErrAt(at, "regex: " + e.error().message + " (pattern column " + e.error().location + ")", e.error().code);
      return Token(*e, ctx);
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::string name = ReadName();
      const std::string mapped = Mapped(name);
      if (!first_use_.count(mapped)) first_use_[mapped] = at;
      ExprId ref = g_.Ref(g_.DeclareRule(mapped));
      if (IsTerminalName(name)) {
        if (ctx.terminal) term_edges_[current_].push_back(mapped);
        return Token(ref, ctx);
      }
      if (ctx.terminal) return ErrAt(at, "terminal " + current_ + " references rule " + name);
      return ref;
    }
    return Err(std::string("unexpected '") + c + "'");
  }

  // A "..." literal with Python escapes; returns its UTF-8 bytes.
  Result<std::string> ReadString() {
    const size_t at = pos_;
    ++pos_;  // opening quote
    std::string out;
    auto hex = [&](int n) -> Result<uint32_t> {
      uint32_t v = 0;
      for (int i = 0; i < n; ++i) {
        if (AtEnd() || !std::isxdigit(static_cast<unsigned char>(Cur()))) return Err("bad hex escape");
        char h = Cur();
        v = v * 16 + static_cast<uint32_t>(std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (h | 32) - 'a' + 10);
        ++pos_;
      }
      return v;
    };
    for (;;) {
      if (AtEnd() || Cur() == '\n') return ErrAt(at, "unterminated string");
      char c = Cur();
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c != '\\') {
        out += c;
        ++pos_;
        continue;
      }
      ++pos_;
      if (AtEnd()) return ErrAt(at, "unterminated string");
      char e = Cur();
      ++pos_;
      uint32_t cp;
      switch (e) {
        case 'n': out += '\n'; continue;
        case 't': out += '\t'; continue;
        case 'r': out += '\r'; continue;
        case 'f': out += '\f'; continue;
        case 'v': out += '\v'; continue;
        case 'a': out += '\a'; continue;
        case 'b': out += '\b'; continue;
        case '0': out += '\0'; continue;
        case '\\': out += '\\'; continue;
        case '"': out += '"'; continue;
        case '\'': out += '\''; continue;
        case 'x': { STEER_ASSIGN_OR_RETURN(cp, hex(2)); break; }
        case 'u': { STEER_ASSIGN_OR_RETURN(cp, hex(4)); break; }
        case 'U': { STEER_ASSIGN_OR_RETURN(cp, hex(8)); break; }
        default:  // unknown escapes keep the backslash (as Python does)
          out += '\\';
          --pos_;
          continue;
      }
      if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return Err("escape is not a Unicode scalar value");
      utf8::Append(cp, &out);
    }
  }

  Grammar& g_;
  std::string_view t_;
  std::string prefix_;  // renames terminals (the common library)
  size_t pos_ = 0;
  std::string current_;                                 // the definition being parsed
  std::map<std::string, size_t> defs_;                  // defined names -> position
  std::map<std::string, size_t> first_use_;             // referenced names -> first position
  std::map<std::string, std::vector<std::string>> term_edges_;  // terminal -> terminals it uses
  std::vector<ExprId> ignores_;
  bool common_loaded_ = false;
};

}  // namespace

Result<Grammar> ParseLark(std::string_view text, const GrammarLimits& limits) {
  Grammar g(limits);
  LarkParser p(g, text, "");
  STEER_RETURN_IF_ERROR(p.ParseAll());
  STEER_RETURN_IF_ERROR(p.Finish());
  STEER_RETURN_IF_ERROR(g.Validate());
  return g;
}

}  // namespace steer::grammar
