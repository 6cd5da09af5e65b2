// Reading one spec document: JSON (checked strictly first) or YAML text loaded through yaml-cpp,
// marks turned into file positions, and typed reads of values that report what is wrong and
// where. Internal to specs/ (parse.cc, parse_root.cc); everyone else uses specs/parse.hh.
// Not synchronized: one Sink per parse.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "specs/parse.hh"

namespace hydrant::specs {

// Marks on `line` (0-based) at or after `column` lie `delta` columns left of the same place in
// the original text, because loadDocument rewrote an escape before them into a shorter one.
struct ColumnShift {
  int line = 0;
  int column = 0;
  int delta = 0;
};

// The diagnostics of one file, and how its marks become Locations.
class Sink {
 public:
  Sink(std::string filename, Format format);

  Format format() const { return format_; }
  void setShifts(std::vector<ColumnShift> shifts) { shifts_ = std::move(shifts); }
  // The 1-based place of `mark` in the original text; no line for a null mark.
  Location at(const YAML::Mark& mark) const;
  // Only the line and column of `where` are used: the file is this sink's.
  void add(const Location& where, std::string message);
  bool empty() const { return diagnostics_.empty(); }
  // Everything added, in file order (in the order added for one place).
  std::vector<Diagnostic> sorted() const;

 private:
  std::string filename_;
  Format format_;
  std::vector<ColumnShift> shifts_;
  std::vector<Diagnostic> diagnostics_;
};

// What messages are about, as a prefix: `jobset "main": input "src": `. Cheap to copy; the Sink
// must outlive it.
class Scope {
 public:
  explicit Scope(Sink& sink) : sink_(&sink) {}
  Scope within(const std::string& what) const;  // this prefix + what + ": "
  void error(const YAML::Mark& mark, const std::string& message) const;
  Format format() const { return sink_->format(); }
  Sink& sink() const { return *sink_; }

 private:
  Sink* sink_;
  std::string prefix_;
};

// One key of a mapping and its value.
struct Entry {
  std::string name;
  YAML::Node key;
  YAML::Node value;
  // The value's mark; the key's for an empty value, which yaml-cpp marks at the next token
  // (possibly lines later).
  YAML::Mark valueMark() const;
};

// Checks `text` (strictly, when the sink's format is JSON) and loads it. An empty YAML text gives
// a null node. nullopt after adding the diagnostic to `sink`.
std::optional<YAML::Node> loadDocument(const std::string& text, Sink& sink);

// Visits the entries of a mapping in file order. A key that is not a scalar, and every repeat of
// a key, is reported at the key and not visited.
void forEachEntry(const Scope& scope, const YAML::Node& map,
                  const std::function<void(const Entry&)>& visit);

// Reports `unknown key "x"` with a did-you-mean among `known`; without one, `note` if it is not
// empty, else the list of known keys.
void reportUnknownKey(const Scope& scope, const Entry& entry, const std::vector<std::string>& known,
                      const std::string& note);

// Reports `<key>: expected <what>, got <the value>` at the value.
void expected(const Scope& scope, const Entry& entry, const std::string& what);

// Typed reads. Each returns the value, or nullopt after reporting it with expected().
// A string: in JSON a JSON string, in YAML any scalar but null.
std::optional<std::string> readString(const Scope& scope, const Entry& entry,
                                      bool nonEmpty = false);
// A string, number or boolean, as written (true → "true").
std::optional<std::string> readText(const Scope& scope, const Entry& entry);
// An integer in [min, max]; JSON also accepts one written as a string ("300"), like Hydra.
std::optional<int> readInt(const Scope& scope, const Entry& entry, int min, int max);
// true, false, 0 or 1.
std::optional<bool> readFlag(const Scope& scope, const Entry& entry);

// Stores what a typed read returned, if anything: `assign(spec.keepnr, readInt(…))`.
template <class T, class U>
void assign(T& field, std::optional<U> value) {
  if (value) field = std::move(*value);
}

// The boolean a scalar spells (JSON: unquoted true/false; YAML: true/True/TRUE, false/…).
std::optional<bool> boolLiteral(const YAML::Node& node, Format format);
// The integer a scalar spells: decimal digits with an optional '-', quoted or not.
std::optional<long long> integerLiteral(const YAML::Node& node);

// One key a KeyReader table accepts, and what reading it does to the object being built.
template <class Target>
struct KeyReader {
  std::string name;
  void (*read)(Target& target, const Scope& scope, const Entry& entry);
};

// Reads the entries of `map` with the readers of their keys, in file order, reporting keys that
// are not names, repeats and unknown keys (`note` goes with an unknown key holding an object).
// Returns the keys that were read, with their marks.
template <class Target>
std::map<std::string, YAML::Mark> readKeys(const Scope& scope, const YAML::Node& map,
                                           const std::vector<KeyReader<Target>>& readers,
                                           Target& target, const std::string& note = "") {
  std::vector<std::string> names;
  for (const auto& reader : readers) names.push_back(reader.name);
  std::map<std::string, YAML::Mark> seen;
  forEachEntry(scope, map, [&](const Entry& entry) {
    for (const auto& reader : readers) {
      if (reader.name != entry.name) continue;
      seen.emplace(entry.name, entry.key.Mark());
      reader.read(target, scope, entry);
      return;
    }
    reportUnknownKey(scope, entry, names, entry.value.IsMap() ? note : "");
  });
  return seen;
}

// Reports `missing key "x"` at `mark` for each of `required` not in `seen`.
void requireKeys(const Scope& scope, const YAML::Mark& mark,
                 const std::map<std::string, YAML::Mark>& seen,
                 const std::vector<std::string>& required);

// What is wrong with a path that must name something inside a checkout ("must not be empty",
// "must be relative to its input", "points outside its input"), or nullopt.
std::optional<std::string> pathProblem(const std::string& path);

// True when `name` is [A-Za-z_] followed by [A-Za-z0-9_] or any of `more`.
bool matchesName(std::string_view name, std::string_view more);

// `"text"` with quotes, backslashes and control characters escaped.
std::string quote(std::string_view text);
// For "got …": `"abc"`, `5`, `true`, `null`, and in the words of the format `an object` or
// `an array` (JSON), `a mapping` or `a sequence` (YAML).
std::string describe(const YAML::Node& node, Format format);
// "an object" (JSON) or "a mapping" (YAML).
std::string anObject(Format format);
// "a, b, c".
std::string joined(const std::vector<std::string>& items);

}  // namespace hydrant::specs
