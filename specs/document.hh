// Reading one spec document into a located tree (Value) — JSON by a strict reader of our own,
// YAML through yaml-cpp — and typed reads of its values that report what is wrong and where.
// Internal to specs/ (parse.cc, parse_root.cc); everyone else uses specs/parse.hh.
// Not synchronized: one Sink per parse; a Value is a plain value type.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "specs/parse.hh"
#include "specs/text.hh"

namespace YAML {
class Node;
}

namespace hydrant::specs {

// A 1-based place in the text; line 0 means the value has no place (an empty YAML document).
struct Position {
  int line = 0;
  int column = 0;
};

// A document whose mappings and sequences nest deeper than this is refused: reading recurses, and
// a spec needs five levels.
inline constexpr int kMaxDepth = 200;
// Aliases in YAML can make a short text stand for a huge tree; copying stops at this many values.
inline constexpr long kMaxYamlValues = 1'000'000;
struct Member;

// One value of a document, in the same shape whichever format it was written in. A scalar keeps
// its text as written (escapes decoded), numbers and booleans included: the rules tell `300` from
// `"300"` and `true` from `"true"` by `quoted`.
struct Value {
  enum class Kind : unsigned char { kNull, kScalar, kMap, kSequence };
  Kind kind = Kind::kNull;
  // A scalar written in quotes: a JSON string; in YAML '…' or "…" (or tagged "!").
  bool quoted = false;
  Position where;
  std::string text;             // a scalar's
  std::vector<Value> items;     // a sequence's
  std::vector<Member> members;  // a mapping's, in file order, repeated keys included

  bool isMap() const { return kind == Kind::kMap; }
  bool isScalar() const { return kind == Kind::kScalar; }
  bool isNull() const { return kind == Kind::kNull; }
};

// One key of a mapping and its value. In YAML a key may be any value; in JSON it is a string.
struct Member {
  Value key;
  Value value;
};

// The diagnostics of one file.
class Sink {
 public:
  Sink(std::string filename, Format format);

  Format format() const { return format_; }
  // `where` in this file; no line for a value without a place.
  Location at(Position where) const;
  // Only the line and column of `where` are used: the file is this sink's.
  void add(const Location& where, std::string message);
  bool empty() const { return diagnostics_.empty(); }
  // Everything added, in file order (in the order added for one place).
  std::vector<Diagnostic> sorted() const;

 private:
  std::string filename_;
  Format format_;
  std::vector<Diagnostic> diagnostics_;
};

// What messages are about, as a prefix: `jobset "main": input "src": `. Cheap to copy; the Sink
// must outlive it.
class Scope {
 public:
  explicit Scope(Sink& sink) : sink_(&sink) {}
  Scope within(const std::string& what) const;  // this prefix + what + ": "
  void error(Position where, const std::string& message) const;
  Format format() const { return sink_->format(); }
  Sink& sink() const { return *sink_; }

 private:
  Sink* sink_;
  std::string prefix_;
};

// One key of a mapping whose key is a scalar, and its value. Refers into the document.
struct Entry {
  const std::string& name;
  const Value& key;
  const Value& value;
  // The value's place; the key's for an empty value, which yaml-cpp places at the next token
  // (possibly lines later).
  Position valueWhere() const;
};

// Reads `text` as the sink's format: JSON strictly (RFC 8259: no comments, no trailing commas),
// YAML through yaml-cpp (an empty text gives a null value). nullopt after adding the diagnostic
// to `sink`.
std::optional<Value> loadDocument(const std::string& text, Sink& sink);
// The JSON half of loadDocument (specs/document_json.cc).
std::optional<Value> loadJson(const std::string& text, Sink& sink);
// The YAML half of loadDocument (specs/document_yaml.cc).
std::optional<Value> loadYaml(const std::string& text, Sink& sink);
// `node` (loaded by the caller, marks kept) as a Value. Aliases are copied, so that a value
// nested deeper than kMaxDepth or a document that expands to more than kMaxYamlValues values is
// reported, and gives nullopt. REQUIRES: node.IsDefined().
std::optional<Value> fromYaml(const YAML::Node& node, Sink& sink);

// Visits the entries of a mapping in file order. A key that is not a scalar, and every repeat of
// a key, is reported at the key and not visited.
void forEachEntry(const Scope& scope, const Value& map,
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
std::optional<bool> boolLiteral(const Value& value, Format format);
// The integer a scalar spells: decimal digits with an optional '-', quoted or not.
std::optional<long long> integerLiteral(const Value& value);

// One key a KeyReader table accepts, and what reading it does to the object being built.
template <class Target>
struct KeyReader {
  std::string name;
  void (*read)(Target& target, const Scope& scope, const Entry& entry);
};

// The keys that were read from a mapping, with their places.
using SeenKeys = std::map<std::string, Position, std::less<>>;

// Reads the entries of `map` with the readers of their keys, in file order, reporting keys that
// are not names, repeats and unknown keys (`note` goes with an unknown key holding an object).
// Returns the keys that were read, with their places.
template <class Target>
SeenKeys readKeys(const Scope& scope, const Value& map,
                  const std::vector<KeyReader<Target>>& readers, Target& target,
                  const std::string& note = "") {
  SeenKeys seen;
  forEachEntry(scope, map, [&](const Entry& entry) {
    for (const auto& reader : readers) {
      if (reader.name != entry.name) continue;
      seen.emplace(entry.name, entry.key.where);
      reader.read(target, scope, entry);
      return;
    }
    std::vector<std::string> names;
    for (const auto& reader : readers) names.push_back(reader.name);
    reportUnknownKey(scope, entry, names, entry.value.isMap() ? note : "");
  });
  return seen;
}

// Reports `missing key "x"` at `where` for each of `required` not in `seen`.
void requireKeys(const Scope& scope, Position where, const SeenKeys& seen,
                 const std::vector<std::string>& required);

// What is wrong with a path that must name something inside a checkout ("must not be empty",
// "must be relative to its input", "points outside its input"), or nullopt.
std::optional<std::string> pathProblem(const std::string& path);

// True when `name` is [A-Za-z_] followed by [A-Za-z0-9_] or any of `more`.
bool matchesName(std::string_view name, std::string_view more);

// For "got …": `"abc"`, `5`, `true`, `null`, and in the words of the format `an object` or
// `an array` (JSON), `a mapping` or `a sequence` (YAML).
std::string describe(const Value& value, Format format);
// "an object" (JSON) or "a mapping" (YAML).
std::string anObject(Format format);
// "a, b, c".
std::string joined(const std::vector<std::string>& items);

}  // namespace hydrant::specs
