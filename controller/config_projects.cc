// The `projects:` section of hydrant.yaml. Declared in controller/config.hh.
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <set>

#include "controller/config.hh"
#include "specs/parse.hh"
#include "specs/suggest.hh"

namespace hydrant::config {

namespace {

constexpr long long kMaxSeconds = 365LL * 24 * 60 * 60;

Error at(const std::string& filename, const YAML::Mark& mark, const std::string& message) {
  return Error::invalid(filename + ":" + std::to_string(mark.line + 1) + ":" +
                        std::to_string(mark.column + 1) + ": projects: " + message);
}

std::optional<long long> seconds(const YAML::Node& node) {
  if (!node.IsScalar()) return std::nullopt;
  const std::string& s = node.Scalar();
  long long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 1 || v > kMaxSeconds) {
    return std::nullopt;
  }
  return v;
}

bool specFileName(const std::string& file) {
  for (const char* ext : {".json", ".yaml", ".yml"}) {
    const std::string e = ext;
    if (file.size() > e.size() && file.compare(file.size() - e.size(), e.size(), e) == 0) {
      return true;
    }
  }
  return false;
}

// Sets one key of the section; returns a message for a bad value.
std::optional<std::string> setKey(ProjectsConfig& p, const std::string& name, const YAML::Node& v,
                                  const std::string& filename) {
  if (name == "inline") {
    auto root = specs::parseRootNode(v, filename);
    if (!root) return "\n" + root.error().message;  // already located, one per line
    p.inline_projects = std::move(*root);
    return std::nullopt;
  }
  if (name == "interval" || name == "timeout") {
    auto s = seconds(v);
    if (!s) return name + ": expected seconds as an integer from 1 to " + std::to_string(kMaxSeconds);
    (name == "interval" ? p.interval : p.timeout) = std::chrono::seconds(*s);
    return std::nullopt;
  }
  if (!v.IsScalar() || v.Scalar().empty()) return name + ": expected a non-empty string";
  if (name == "url") p.url = v.Scalar();
  if (name == "ref") p.ref = v.Scalar();
  if (name == "file") {
    if (!specFileName(v.Scalar())) return "file: expected a .json, .yaml or .yml file name";
    p.file = v.Scalar();
  }
  return std::nullopt;
}

}  // namespace

Result<ProjectsConfig> parseProjects(const YAML::Node& node, const std::string& filename) {
  static const std::vector<std::string> kKeys = {"url", "ref", "file", "interval", "timeout",
                                                 "inline"};
  if (!node.IsMap()) {
    return at(filename, node.Mark(), "expected a mapping with url (and ref, file, interval) or inline");
  }
  ProjectsConfig p;
  std::set<std::string> seen;
  for (const auto& entry : node) {
    const std::string name = entry.first.Scalar();
    if (std::find(kKeys.begin(), kKeys.end(), name) == kKeys.end()) {
      auto hint = specs::didYouMean(name, kKeys);
      return at(filename, entry.first.Mark(),
                "unknown key \"" + name + "\"" + (hint ? " (did you mean \"" + *hint + "\"?)" : ""));
    }
    if (!seen.insert(name).second) {
      return at(filename, entry.first.Mark(), "duplicate key \"" + name + "\"");
    }
    if (auto problem = setKey(p, name, entry.second, filename)) {
      if (problem->front() == '\n') return Error::invalid(problem->substr(1));
      return at(filename, entry.second.Mark(), *problem);
    }
  }
  if (p.url.empty() == !p.inline_projects.has_value()) {
    return at(filename, node.Mark(), "give either url (a git repository) or inline projects");
  }
  if (p.inline_projects && (seen.count("ref") || seen.count("file"))) {
    return at(filename, node.Mark(), "ref and file belong to url, not to inline projects");
  }
  return p;
}

}  // namespace hydrant::config
