// JSON documents, read by a strict RFC 8259 parser that builds Values with their places in one
// pass; declared in specs/document.hh. A text it refuses is handed to nlohmann_json only to word
// the message, so that messages stay what they were when nlohmann checked every file.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string_view>
#include <system_error>

#include "specs/document.hh"

namespace hydrant::specs {
namespace {

// yaml-cpp read JSON files before this parser did, and could not read a key whose ':' is on a
// later line or more than this many bytes after the key's opening quote. Such files are still
// refused, with the message they had, so that a file keeps its meaning across versions.
constexpr size_t kMaxKeySpan = 1024;

// Why a text was not read. kTooDeep and kKeySpan texts are valid JSON.
enum class Problem { kSyntax, kTooLarge, kTooDeep, kKeySpan };

struct Failure {
  Problem problem = Problem::kSyntax;
  Position where;
  size_t offset = 0;  // of the byte at `where`
  size_t length = 0;  // of a number too large
};

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void appendUtf8(std::string& out, unsigned codePoint) {
  if (codePoint < 0x80) {
    out += static_cast<char>(codePoint);
  } else if (codePoint < 0x800) {
    out += static_cast<char>(0xC0 | (codePoint >> 6));
    out += static_cast<char>(0x80 | (codePoint & 0x3F));
  } else if (codePoint < 0x10000) {
    out += static_cast<char>(0xE0 | (codePoint >> 12));
    out += static_cast<char>(0x80 | ((codePoint >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (codePoint & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (codePoint >> 18));
    out += static_cast<char>(0x80 | ((codePoint >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((codePoint >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (codePoint & 0x3F));
  }
}

// The length of the well-formed UTF-8 sequence (RFC 3629) that starts `s`, or 0.
size_t utf8Length(std::string_view s) {
  const auto byte = [&](size_t i) { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0u; };
  const auto tail = [&](size_t i) { return byte(i) >= 0x80 && byte(i) <= 0xBF; };
  const unsigned lead = byte(0);
  if (lead >= 0xC2 && lead <= 0xDF) return tail(1) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    // No overlong forms (E0 80..9F), no UTF-16 surrogates (ED A0..BF).
    const unsigned second = byte(1);
    const bool ok = lead == 0xE0   ? second >= 0xA0 && second <= 0xBF
                    : lead == 0xED ? second >= 0x80 && second <= 0x9F
                                   : tail(1);
    return ok && tail(2) ? 3 : 0;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    // Nothing overlong (F0 80..8F), nothing beyond U+10FFFF (F4 90..).
    const unsigned second = byte(1);
    const bool ok = lead == 0xF0   ? second >= 0x90 && second <= 0xBF
                    : lead == 0xF4 ? second >= 0x80 && second <= 0x8F
                                   : tail(1);
    return ok && tail(2) && tail(3) ? 4 : 0;
  }
  return 0;
}

// For a number std::from_chars found out of range for a double: whether it is too large (nlohmann
// refuses it, as it cannot store infinity) rather than too small (nlohmann keeps 0). That is the
// sign of the power of ten of its first significant digit: it is beyond 1e308 or below 1e-307.
bool tooLarge(std::string_view number) {
  const size_t e = number.find_first_of("eE");
  const std::string_view mantissa = number.substr(0, e);
  const size_t point = std::min(mantissa.find('.'), mantissa.size());
  // Not zero, or it would be in range.
  const size_t first = mantissa.find_first_of("123456789");
  long long power = first < point ? static_cast<long long>(point - first) - 1
                                  : -static_cast<long long>(first - point);
  if (e != std::string_view::npos) {
    long long exponent = 0;
    for (const char c : number.substr(e + 1)) {
      if (c >= '0' && c <= '9') exponent = std::min(exponent * 10 + (c - '0'), 1'000'000'000'000LL);
    }
    power += number[e + 1] == '-' ? -exponent : exponent;
  }
  return power >= 0;
}

// Reads JSON text into a Value in one pass, with the place of every value: 1-based line, and
// column in bytes from the start of the line (a leading byte order mark takes none).
class JsonReader {
 public:
  explicit JsonReader(std::string_view text) : text_(text) {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = lineStart_ = 3;
  }

  // False with failure() set when the text is not one JSON value this reader takes.
  bool read(Value& out) {
    skipSpace();
    if (!value(out, 0)) return false;
    skipSpace();
    return pos_ == text_.size() || fail(Problem::kSyntax);
  }

  const Failure& failure() const { return failure_; }

 private:
  // `depth` mappings and sequences enclose the value.
  bool value(Value& out, int depth) {
    out.where = here();
    switch (pos_ < text_.size() ? text_[pos_] : '\0') {
      case '{':
        return object(out, depth);
      case '[':
        return array(out, depth);
      case '"':
        out.kind = Value::Kind::kScalar;
        out.quoted = true;
        return string(out.text, nullptr);
      case 't':
        return literal(out, "true", Value::Kind::kScalar);
      case 'f':
        return literal(out, "false", Value::Kind::kScalar);
      case 'n':
        return literal(out, "null", Value::Kind::kNull);
      default:
        return number(out);
    }
  }

  bool object(Value& out, int depth) {
    out.kind = Value::Kind::kMap;
    if (depth >= kMaxDepth) return fail(Problem::kTooDeep);
    ++pos_;
    skipSpace();
    if (consume('}')) return true;
    while (true) {
      Member& member = out.members.emplace_back();
      if (!key(member.key)) return false;
      skipSpace();
      if (!value(member.value, depth + 1)) return false;
      skipSpace();
      if (consume('}')) return true;
      if (!consume(',')) return fail(Problem::kSyntax);
      skipSpace();
    }
  }

  bool array(Value& out, int depth) {
    out.kind = Value::Kind::kSequence;
    if (depth >= kMaxDepth) return fail(Problem::kTooDeep);
    ++pos_;
    skipSpace();
    if (consume(']')) return true;
    while (true) {
      if (!value(out.items.emplace_back(), depth + 1)) return false;
      skipSpace();
      if (consume(']')) return true;
      if (!consume(',')) return fail(Problem::kSyntax);
      skipSpace();
    }
  }

  // A key and the ':' after it.
  bool key(Value& out) {
    out.where = here();
    out.kind = Value::Kind::kScalar;
    out.quoted = true;
    if (pos_ >= text_.size() || text_[pos_] != '"') return fail(Problem::kSyntax);
    const size_t start = pos_;
    const int line = line_;
    int pairs = 0;
    if (!string(out.text, &pairs)) return false;
    skipSpace();
    if (!consume(':')) return fail(Problem::kSyntax);
    // yaml-cpp saw each surrogate pair as "\U0001f600", two bytes shorter.
    const size_t span = pos_ - 1 - start - 2 * static_cast<size_t>(pairs);
    if (line_ != line || span > kMaxKeySpan) return fail(Problem::kKeySpan, out.where);
    return true;
  }

  // A string from its opening quote, escapes decoded; `pairs`, if given, counts the surrogate
  // pairs in it.
  bool string(std::string& out, int* pairs) {
    ++pos_;
    while (true) {
      const size_t run = pos_;
      while (pos_ < text_.size() && plain(text_[pos_])) ++pos_;
      out.append(text_, run, pos_ - run);
      if (pos_ >= text_.size()) return fail(Problem::kSyntax);
      const auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c == '\\') {
        if (!escape(out, pairs)) return false;
        continue;
      }
      const size_t length = c < 0x20 ? 0 : utf8Length(text_.substr(pos_));
      if (length == 0) return fail(Problem::kSyntax);
      out.append(text_, pos_, length);
      pos_ += length;
    }
  }

  static bool plain(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x80 && c != '"' && c != '\\';
  }

  bool escape(std::string& out, int* pairs) {
    const char c = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
    pos_ += 2;
    switch (c) {
      case '"':
      case '\\':
      case '/':
        out += c;
        return true;
      case 'b':
        out += '\b';
        return true;
      case 'f':
        out += '\f';
        return true;
      case 'n':
        out += '\n';
        return true;
      case 'r':
        out += '\r';
        return true;
      case 't':
        out += '\t';
        return true;
      case 'u':
        return unicode(out, pairs);
      default:
        return fail(Problem::kSyntax);
    }
  }

  // After "\u": a code point, or a UTF-16 surrogate pair written as two escapes.
  bool unicode(std::string& out, int* pairs) {
    const int first = hex4();
    if (first < 0 || (first >= 0xDC00 && first <= 0xDFFF)) return fail(Problem::kSyntax);
    unsigned codePoint = static_cast<unsigned>(first);
    if (first >= 0xD800 && first <= 0xDBFF) {
      if (text_.substr(pos_, 2) != "\\u") return fail(Problem::kSyntax);
      pos_ += 2;
      const int second = hex4();
      if (second < 0xDC00 || second > 0xDFFF) return fail(Problem::kSyntax);
      codePoint = 0x10000 + ((codePoint - 0xD800) << 10) + (static_cast<unsigned>(second) - 0xDC00);
      if (pairs) ++*pairs;
    }
    appendUtf8(out, codePoint);
    return true;
  }

  // Four hex digits, or -1.
  int hex4() {
    if (pos_ + 4 > text_.size()) return -1;
    int value = 0;
    for (size_t i = pos_; i < pos_ + 4; ++i) {
      const int digit = hexDigit(text_[i]);
      if (digit < 0) return -1;
      value = value * 16 + digit;
    }
    pos_ += 4;
    return value;
  }

  // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, kept as written.
  bool number(Value& out) {
    const size_t start = pos_;
    consume('-');
    if (!consume('0') && digits() == 0) return fail(Problem::kSyntax);
    if (consume('.') && digits() == 0) return fail(Problem::kSyntax);
    if (consume('e') || consume('E')) {
      if (!consume('+')) consume('-');
      if (digits() == 0) return fail(Problem::kSyntax);
    }
    const std::string_view number = text_.substr(start, pos_ - start);
    double parsed = 0;
    const auto result = std::from_chars(number.data(), number.data() + number.size(), parsed);
    if (result.ec == std::errc::result_out_of_range && tooLarge(number)) {
      failure_ = {Problem::kTooLarge, out.where, start, number.size()};
      return false;
    }
    out.kind = Value::Kind::kScalar;
    out.text = number;
    return true;
  }

  size_t digits() {
    const size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    return pos_ - start;
  }

  bool literal(Value& out, std::string_view word, Value::Kind kind) {
    if (text_.substr(pos_, word.size()) != word) return fail(Problem::kSyntax);
    pos_ += word.size();
    out.kind = kind;
    if (kind == Value::Kind::kScalar) out.text = word;
    return true;
  }

  bool consume(char c) {
    if (pos_ >= text_.size() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }

  void skipSpace() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\n') {
        ++line_;
        lineStart_ = ++pos_;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++pos_;
      } else {
        return;
      }
    }
  }

  Position here() const { return {line_, static_cast<int>(pos_ - lineStart_) + 1}; }

  bool fail(Problem problem) { return fail(problem, here()); }
  bool fail(Problem problem, Position where) {
    failure_ = {problem, where, pos_};
    return false;
  }

  std::string_view text_;
  size_t pos_ = 0;
  int line_ = 1;
  size_t lineStart_ = 0;
  Failure failure_;
};

// nlohmann reports the 1-based offset of the last byte it read; 0 or past the end when the
// input ended early.
Location locationOfByte(const std::string& text, size_t byte) {
  const size_t index = std::min(byte == 0 ? 0 : byte - 1, text.size());
  const size_t newline = index == 0 ? std::string::npos : text.rfind('\n', index - 1);
  const size_t lineStart = newline == std::string::npos ? 0 : newline + 1;
  const auto line =
      std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(index), '\n');
  return {"", static_cast<int>(line) + 1, static_cast<int>(index - lineStart) + 1};
}

// nlohmann says "[json.exception.parse_error.101] parse error at line 3, column 1: syntax error
// while parsing object key - unexpected '}'; expected string literal". The place is given
// separately, and "last read: '…'" shows raw bytes, so both go.
std::string cleanJsonMessage(const std::string& what) {
  std::string message = what;
  if (size_t syntax = message.find("syntax error while parsing "); syntax != std::string::npos) {
    if (size_t dash = message.find(" - ", syntax); dash != std::string::npos) {
      message = message.substr(dash + 3);
    }
  } else if (size_t colon = message.find(": "); colon != std::string::npos) {
    message = message.substr(colon + 2);
  }
  if (size_t read = message.find("; last read: '"); read != std::string::npos) {
    const size_t expected = message.rfind("'; expected ");
    message.erase(read, expected == std::string::npos || expected < read ? std::string::npos
                                                                         : expected + 1 - read);
  }
  return message;
}

// The two mistakes people make most when they write JSON by hand get a plain word.
std::string jsonHint(const std::string& text, size_t byte) {
  const size_t index = byte == 0 ? 0 : byte - 1;
  if (index >= text.size()) return "";
  if (text[index] == '/' && index + 1 < text.size() &&
      (text[index + 1] == '/' || text[index + 1] == '*')) {
    return " (JSON has no comments)";
  }
  if ((text[index] == '}' || text[index] == ']') && index > 0) {
    const size_t before = text.find_last_not_of(" \t\r\n", index - 1);
    if (before != std::string::npos && text[before] == ',')
      return " (JSON allows no trailing comma)";
  }
  return "";
}

// What this reader stopped at, for a text nlohmann reads: nlohmann takes a NUL byte after the
// value for the end of the text, and ignores what follows.
std::string byteAt(const std::string& text, size_t offset) {
  if (offset >= text.size()) return "end of input";
  const auto c = static_cast<unsigned char>(text[offset]);
  if (c > 0x20 && c < 0x7F) return std::string("'") + static_cast<char>(c) + "'";
  char hex[16];
  std::snprintf(hex, sizeof hex, "byte 0x%02X", c);
  return hex;
}

// Adds nlohmann's account of why `text` is not JSON; false when nlohmann reads it.
bool reportInvalidJson(const std::string& text, Sink& sink) {
  try {
    [[maybe_unused]] const auto parsed = nlohmann::json::parse(text);
    return false;
  } catch (const nlohmann::json::parse_error& e) {
    sink.add(locationOfByte(text, e.byte),
             "invalid JSON: " + cleanJsonMessage(e.what()) + jsonHint(text, e.byte));
  } catch (const nlohmann::json::exception& e) {
    sink.add(Location{}, "invalid JSON: " + cleanJsonMessage(e.what()));
  }
  return true;
}

}  // namespace

std::optional<Value> loadJson(const std::string& text, Sink& sink) {
  JsonReader reader(text);
  Value root;
  if (reader.read(root)) return root;
  const Failure& failure = reader.failure();
  if (failure.problem == Problem::kTooLarge) {
    // Nothing before it is invalid, and nlohmann would say this without a place.
    sink.add(sink.at(failure.where), "invalid JSON: number overflow parsing '" +
                                         text.substr(failure.offset, failure.length) + "'");
    return std::nullopt;
  }
  // Invalid JSON is reported first, wherever it is, as it was when nlohmann checked every file.
  if (reportInvalidJson(text, sink)) return std::nullopt;
  std::string message = "invalid JSON: unexpected " + byteAt(text, failure.offset);
  if (failure.problem == Problem::kTooDeep) {
    message = "cannot read this JSON: nesting deeper than " + std::to_string(kMaxDepth);
  } else if (failure.problem == Problem::kKeySpan) {
    message =
        "cannot read this JSON: end of map flow not found (a key must be on one line with its "
        "':', and at most 1024 characters)";
  }
  sink.add(sink.at(failure.where), message);
  return std::nullopt;
}

}  // namespace hydrant::specs
