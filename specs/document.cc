#include "specs/document.hh"

#include <algorithm>
#include <filesystem>
#include <unordered_set>
#include <utility>

#include "specs/suggest.hh"

namespace hydrant::specs {

Sink::Sink(std::string filename, Format format) : filename_(std::move(filename)), format_(format) {}

Location Sink::at(Position where) const {
  if (where.line <= 0) return {filename_, 0, 0};
  return {filename_, where.line, where.column};
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

void Scope::error(Position where, const std::string& message) const {
  sink_->add(sink_->at(where), prefix_ + message);
}

Position Entry::valueWhere() const {
  if (value.isNull() && (value.where.line <= 0 || value.where.line != key.where.line)) {
    return key.where;
  }
  return value.where;
}

std::optional<Value> loadDocument(const std::string& text, Sink& sink) {
  return sink.format() == Format::kJson ? loadJson(text, sink) : loadYaml(text, sink);
}

void forEachEntry(const Scope& scope, const Value& map,
                  const std::function<void(const Entry&)>& visit) {
  // Most mappings have a handful of keys, and a scan of the ones before is cheapest; the top of a
  // file may have thousands of jobsets.
  constexpr size_t kScanLimit = 16;
  std::unordered_set<std::string_view> seen;
  const auto& members = map.members;
  for (size_t i = 0; i < members.size(); ++i) {
    const Value& key = members[i].key;
    if (!key.isScalar()) {
      scope.error(key.where, "expected a key name, got " + describe(key, scope.format()));
      continue;
    }
    bool repeat = false;
    if (members.size() <= kScanLimit) {
      repeat =
          std::any_of(members.begin(), members.begin() + static_cast<std::ptrdiff_t>(i),
                      [&](const Member& m) { return m.key.isScalar() && m.key.text == key.text; });
    } else {
      repeat = !seen.insert(key.text).second;
    }
    // Both are kept, but a lookup would silently see only one of them.
    if (repeat) {
      scope.error(key.where, "duplicate key " + quote(key.text));
      continue;
    }
    visit(Entry{key.text, key, members[i].value});
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
  scope.error(entry.key.where, message);
}

void requireKeys(const Scope& scope, Position where, const SeenKeys& seen,
                 const std::vector<std::string>& required) {
  for (const auto& key : required) {
    if (!seen.contains(key)) scope.error(where, "missing key " + quote(key));
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
