// The root projects file, and the same written inline in hydrant.yaml; declared in parse.hh.
#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "specs/document.hh"
#include "specs/parse.hh"

namespace hydrant::specs {
namespace {

// A closed set of words: `key: expected "a" or "b", got …`.
std::optional<std::string> readWord(const Scope& scope, const Entry& entry,
                                    const std::vector<std::string>& words) {
  const bool scalar = entry.value.isScalar();
  if (scalar && std::find(words.begin(), words.end(), entry.value.text) != words.end()) {
    // In JSON a word must still be a JSON string.
    if (auto word = readString(scope, entry)) return word;
    return std::nullopt;
  }
  std::string what;
  for (size_t i = 0; i < words.size(); ++i) {
    what += (i == 0 ? "" : i + 1 == words.size() ? " or " : ", ") + quote(words[i]);
  }
  expected(scope, entry, what);
  return std::nullopt;
}

void readFile(DeclarativeInput& d, const Scope& scope, const Entry& entry) {
  const auto file = readString(scope, entry);
  if (!file) return;
  if (const auto problem = pathProblem(*file)) {
    return scope.error(entry.valueWhere(), "file " + quote(*file) + " " + *problem);
  }
  d.file = *file;
}

const std::vector<KeyReader<DeclarativeInput>>& declarativeKeys() {
  using S = const Scope&;
  using E = const Entry&;
  static const std::vector<KeyReader<DeclarativeInput>> keys = {
      {"file", readFile},
      {"type",
       [](DeclarativeInput& d, S s, E e) {
         assign(d.type, readWord(s, e, {"git", "path"}));
       }},
      {"value", [](DeclarativeInput& d, S s, E e) { assign(d.value, readString(s, e, true)); }},
  };
  return keys;
}

void readDeclarative(ProjectSpec& p, const Scope& project, const Entry& entry) {
  if (!entry.value.isMap()) return expected(project, entry, anObject(project.format()));
  const Scope scope = project.within("declarative");
  const auto seen = readKeys(scope, entry.value, declarativeKeys(), p.declarative);
  requireKeys(scope, entry.key.where, seen, {"file", "value"});
}

// The keys of a project, Hydra's project fields plus `prune` and `declarative`.
const std::vector<KeyReader<ProjectSpec>>& projectKeys() {
  using P = ProjectSpec;
  using S = const Scope&;
  using E = const Entry&;
  static const std::vector<KeyReader<ProjectSpec>> keys = {
      {"displayname", [](P& p, S s, E e) { assign(p.displayname, readString(s, e, true)); }},
      {"description", [](P& p, S s, E e) { assign(p.description, readString(s, e)); }},
      {"homepage", [](P& p, S s, E e) { assign(p.homepage, readString(s, e)); }},
      {"enabled", [](P& p, S s, E e) { assign(p.enabled, readFlag(s, e)); }},
      {"hidden", [](P& p, S s, E e) { assign(p.hidden, readFlag(s, e)); }},
      {"prune",
       [](P& p, S s, E e) {
         const auto word = readWord(s, e, {"disable", "delete"});
         if (word) p.prune = *word == "delete" ? Prune::kDelete : Prune::kDisable;
       }},
      {"declarative", readDeclarative},
  };
  return keys;
}

std::optional<ProjectSpec> readProject(const Scope& top, const Entry& entry) {
  if (!validProjectName(entry.name)) {
    top.error(entry.key.where,
              "project name " + quote(entry.name) + " must match [A-Za-z_][A-Za-z0-9_-]*");
  }
  const Scope scope = top.within("project " + quote(entry.name));
  if (!entry.value.isMap()) {
    scope.error(entry.valueWhere(), "expected " + anObject(scope.format()) + ", got " +
                                        describe(entry.value, scope.format()));
    return std::nullopt;
  }
  ProjectSpec p;
  p.name = entry.name;
  p.displayname = entry.name;
  p.declarative.type = "git";
  p.where = top.sink().at(entry.key.where);
  const auto seen = readKeys(scope, entry.value, projectKeys(), p);
  requireKeys(scope, entry.key.where, seen, {"declarative"});
  return p;
}

Result<RootFile> readRoot(Sink& sink, const Value& root) {
  const Scope top(sink);
  if (!root.isMap()) {
    top.error(root.where, "expected " + anObject(sink.format()) + " of projects, got " +
                              describe(root, sink.format()));
    return toError(sink.sorted());
  }
  RootFile file;
  forEachEntry(top, root, [&](const Entry& entry) {
    if (auto project = readProject(top, entry)) file.projects.push_back(std::move(*project));
  });
  if (!sink.empty()) return toError(sink.sorted());
  std::sort(file.projects.begin(), file.projects.end(),
            [](const ProjectSpec& a, const ProjectSpec& b) { return a.name < b.name; });
  return file;
}

}  // namespace

Result<RootFile> parseRootFile(const std::string& text, const std::string& filename) {
  Sink sink(filename, formatOf(filename));
  const auto root = loadDocument(text, sink);
  if (!root) return toError(sink.sorted());
  return readRoot(sink, *root);
}

Result<RootFile> parseRootNode(const YAML::Node& node, const std::string& filename) {
  Sink sink(filename, Format::kYaml);
  // A lookup of a missing key gives a node that throws when asked for anything else.
  if (!node.IsDefined()) {
    sink.add(sink.at(Position{}), "expected a mapping of projects, got nothing");
    return toError(sink.sorted());
  }
  const auto root = fromYaml(node, sink);
  if (!root) return toError(sink.sorted());
  return readRoot(sink, *root);
}

}  // namespace hydrant::specs
