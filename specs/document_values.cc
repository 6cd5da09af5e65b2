// Typed reads of spec values and the words used to describe them; declared in specs/document.hh.
#include <charconv>
#include <cstdio>
#include <system_error>

#include "specs/document.hh"

namespace hydrant::specs {
namespace {

// A JSON number, or a YAML plain scalar that reads like one: shown without quotes in messages.
bool looksNumeric(const std::string& s) {
  if (s.empty() || !((s[0] >= '0' && s[0] <= '9') || s[0] == '-')) return false;
  double value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

std::optional<bool> boolLiteral(const Value& value, Format format) {
  if (!value.isScalar()) return std::nullopt;
  const std::string& s = value.text;
  if (format == Format::kJson) {
    // The string "true" is not the boolean true.
    if (value.quoted) return std::nullopt;
    if (s == "true") return true;
    if (s == "false") return false;
    return std::nullopt;
  }
  // YAML 1.2's core schema; 1.1's yes/no/on/off are left to be strings.
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  return std::nullopt;
}

// Plain digits only: no "0x10", "1e3", "1_000", "+5" or spaces.
std::optional<long long> integerLiteral(const Value& value) {
  if (!value.isScalar() || value.text.empty()) return std::nullopt;
  const std::string& s = value.text;
  long long n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return n;
}

void expected(const Scope& scope, const Entry& entry, const std::string& what) {
  scope.error(entry.valueWhere(),
              entry.name + ": expected " + what + ", got " + describe(entry.value, scope.format()));
}

std::optional<std::string> readString(const Scope& scope, const Entry& entry, bool nonEmpty) {
  const Value& v = entry.value;
  const bool isString = v.isScalar() && (scope.format() == Format::kYaml || v.quoted);
  if (!isString || (nonEmpty && v.text.empty())) {
    expected(scope, entry, nonEmpty ? "a non-empty string" : "a string");
    return std::nullopt;
  }
  return v.text;
}

std::optional<std::string> readText(const Scope& scope, const Entry& entry) {
  if (!entry.value.isScalar()) {
    expected(scope, entry, "a string, number or boolean");
    return std::nullopt;
  }
  return entry.value.text;
}

std::optional<int> readInt(const Scope& scope, const Entry& entry, int min, int max) {
  const auto value = integerLiteral(entry.value);
  if (!value || *value < min || *value > max) {
    expected(scope, entry, "an integer from " + std::to_string(min) + " to " + std::to_string(max));
    return std::nullopt;
  }
  return static_cast<int>(*value);
}

std::optional<bool> readFlag(const Scope& scope, const Entry& entry) {
  if (const auto b = boolLiteral(entry.value, scope.format())) return b;
  const auto value = integerLiteral(entry.value);
  if (!value || (*value != 0 && *value != 1)) {
    expected(scope, entry, "true, false, 0 or 1");
    return std::nullopt;
  }
  return *value == 1;
}

bool matchesName(std::string_view name, std::string_view more) {
  // ASCII only, whatever the locale.
  auto isLetter = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
  };
  auto isDigit = [](char c) { return c >= '0' && c <= '9'; };
  if (name.empty() || !isLetter(name[0])) return false;
  for (char c : name.substr(1)) {
    if (!isLetter(c) && !isDigit(c) && more.find(c) == std::string_view::npos) return false;
  }
  return true;
}

std::string describe(const Value& value, Format format) {
  switch (value.kind) {
    case Value::Kind::kScalar: {
      const std::string& s = value.text;
      const bool literal = s == "true" || s == "false" || looksNumeric(s);
      return !value.quoted && literal ? s : quote(s);
    }
    case Value::Kind::kSequence:
      return format == Format::kJson ? "an array" : "a sequence";
    case Value::Kind::kMap:
      return anObject(format);
    case Value::Kind::kNull:
      break;
  }
  return "null";
}

std::string anObject(Format format) { return format == Format::kJson ? "an object" : "a mapping"; }

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace hydrant::specs
