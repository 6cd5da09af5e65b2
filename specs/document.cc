#include "specs/document.hh"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "specs/suggest.hh"

namespace hydrant::specs {
namespace {

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

// yaml-cpp is lenient where JSON is not (comments, trailing commas, single quotes), so JSON is
// first checked by a strict parser. Neither rejects a repeated key; forEachEntry does.
bool checkJson(const std::string& text, Sink& sink) {
  try {
    [[maybe_unused]] const auto parsed = nlohmann::json::parse(text);
    return true;
  } catch (const nlohmann::json::parse_error& e) {
    sink.add(locationOfByte(text, e.byte),
             "invalid JSON: " + cleanJsonMessage(e.what()) + jsonHint(text, e.byte));
  } catch (const nlohmann::json::exception& e) {
    sink.add(Location{}, "invalid JSON: " + cleanJsonMessage(e.what()));
  }
  return false;
}

std::optional<unsigned> hex4(const std::string& text, size_t at) {
  if (at + 4 > text.size()) return std::nullopt;
  unsigned value = 0;
  for (size_t i = at; i < at + 4; ++i) {
    const char c = text[i];
    const int digit = c >= '0' && c <= '9'   ? c - '0'
                      : c >= 'a' && c <= 'f' ? c - 'a' + 10
                      : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                             : -1;
    if (digit < 0) return std::nullopt;
    value = value * 16 + static_cast<unsigned>(digit);
  }
  return value;
}

// The code point of a UTF-16 surrogate pair written as "\ud83d\ude00" at `at`, if there is one.
std::optional<unsigned> surrogatePair(const std::string& text, size_t at) {
  if (text.compare(at, 2, "\\u") != 0 || text.compare(at + 6, 2, "\\u") != 0) return std::nullopt;
  const auto high = hex4(text, at + 2);
  const auto low = hex4(text, at + 8);
  if (!high || !low || *high < 0xD800 || *high > 0xDBFF || *low < 0xDC00 || *low > 0xDFFF) {
    return std::nullopt;
  }
  return 0x10000 + ((*high - 0xD800) << 10) + (*low - 0xDC00);
}

// yaml-cpp rejects surrogate pairs, the way many JSON writers (Python's json, for one) escape
// characters beyond U+FFFF. Each becomes YAML's "\U0001f600", two columns shorter; `shifts`
// records that so later marks on the line still point into the original text.
// REQUIRES: `text` is valid JSON, so a backslash only ever starts an escape inside a string.
std::string rewriteSurrogatePairs(const std::string& text, std::vector<ColumnShift>& shifts) {
  std::string out;
  out.reserve(text.size());
  int line = 0;
  int column = 0;
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '\\') {
      if (auto codePoint = surrogatePair(text, i)) {
        char escape[11];
        std::snprintf(escape, sizeof escape, "\\U%08x", *codePoint);
        out += escape;
        column += 10;
        shifts.push_back({line, column, 2});
        i += 12;
      } else {
        out.append(text, i, 2);
        column += 2;
        i += 2;
      }
      continue;
    }
    out += text[i];
    ++column;
    if (text[i++] == '\n') {
      ++line;
      column = 0;
    }
  }
  return out;
}

}  // namespace

Sink::Sink(std::string filename, Format format) : filename_(std::move(filename)), format_(format) {}

Location Sink::at(const YAML::Mark& mark) const {
  if (mark.is_null() || mark.line < 0) return {filename_, 0, 0};
  int column = mark.column;
  for (const auto& shift : shifts_) {
    if (shift.line == mark.line && shift.column <= mark.column) column += shift.delta;
  }
  return {filename_, mark.line + 1, column + 1};
}

void Sink::add(const Location& where, std::string message) {
  diagnostics_.push_back({Location{filename_, where.line, where.column}, std::move(message)});
}

std::vector<Diagnostic> Sink::sorted() const {
  std::vector<Diagnostic> out = diagnostics_;
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::pair(a.where.line, a.where.column) < std::pair(b.where.line, b.where.column);
  });
  return out;
}

Scope Scope::within(const std::string& what) const {
  Scope inner = *this;
  inner.prefix_ += what + ": ";
  return inner;
}

void Scope::error(const YAML::Mark& mark, const std::string& message) const {
  sink_->add(sink_->at(mark), prefix_ + message);
}

YAML::Mark Entry::valueMark() const {
  const YAML::Mark mark = value.Mark();
  if (value.IsNull() && (mark.is_null() || mark.line != key.Mark().line)) return key.Mark();
  return mark;
}

std::optional<YAML::Node> loadDocument(const std::string& text, Sink& sink) {
  std::string yamlText = text;
  if (sink.format() == Format::kJson) {
    if (!checkJson(text, sink)) return std::nullopt;
    std::vector<ColumnShift> shifts;
    yamlText = rewriteSurrogatePairs(text, shifts);
    sink.setShifts(std::move(shifts));
  }
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(yamlText);
  } catch (const YAML::Exception& e) {
    // Valid JSON that yaml-cpp, a YAML parser, cannot read: YAML's limits on keys, or nesting
    // deeper than yaml-cpp allows.
    std::string message = e.msg;
    if (sink.format() == Format::kJson) {
      const bool keyLimit = e.msg == YAML::ErrorMsg::END_OF_MAP_FLOW;
      message = "cannot read this JSON: " + e.msg +
                (keyLimit ? " (a key must be on one line with its ':', and at most 1024 characters)"
                          : "");
    }
    sink.add(sink.at(e.mark), message);
    return std::nullopt;
  }
  if (documents.size() > 1) {
    sink.add(sink.at(documents[1].Mark()), "expected one document, found a second one");
    return std::nullopt;
  }
  return documents.empty() ? YAML::Node() : documents[0];
}

void forEachEntry(const Scope& scope, const YAML::Node& map,
                  const std::function<void(const Entry&)>& visit) {
  std::set<std::string> seen;
  for (const auto& pair : map) {
    const YAML::Node& key = pair.first;
    if (!key.IsScalar()) {
      scope.error(key.Mark(), "expected a key name, got " + describe(key, scope.format()));
      continue;
    }
    // yaml-cpp keeps both pairs, but a lookup would silently see only one of them.
    if (!seen.insert(key.Scalar()).second) {
      scope.error(key.Mark(), "duplicate key " + quote(key.Scalar()));
      continue;
    }
    visit(Entry{key.Scalar(), key, pair.second});
  }
}

void reportUnknownKey(const Scope& scope, const Entry& entry, const std::vector<std::string>& known,
                      const std::string& note) {
  std::string message = "unknown key " + quote(entry.name);
  if (const auto hint = didYouMean(entry.name, known)) {
    message += " (did you mean " + quote(*hint) + "?)";
  } else if (!note.empty()) {
    message += " " + note;
  } else {
    message += "; known keys: " + joined(known);
  }
  scope.error(entry.key.Mark(), message);
}

void requireKeys(const Scope& scope, const YAML::Mark& mark,
                 const std::map<std::string, YAML::Mark>& seen,
                 const std::vector<std::string>& required) {
  for (const auto& key : required) {
    if (!seen.contains(key)) scope.error(mark, "missing key " + quote(key));
  }
}

std::optional<std::string> pathProblem(const std::string& path) {
  if (path.empty()) return "must not be empty";
  if (path.front() == '/') return "must be relative to its input";
  // Lexical only: the input is not at hand, and a spec must not depend on what its symlinks
  // point to.
  const std::filesystem::path normal = std::filesystem::path(path).lexically_normal();
  if (!normal.empty() && *normal.begin() == "..") return "points outside its input";
  return std::nullopt;
}

}  // namespace hydrant::specs
