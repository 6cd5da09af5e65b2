// Agreement between Hydrant's two validators of spec files: the C++ parser (specs/parse.hh),
// which the controller runs, and the JSON Schemas in schema/spec/, which users run in their
// editors and CI. Every example under examples/ must pass both, and a table of named good and bad
// specs must get the same verdict from both, except two marked kinds of row: kCppOnly (rules JSON
// Schema cannot express, which only the C++ parser enforces) and kYamlLenient (YAML scalars the
// C++ parser reads by their text whatever their YAML type). The schema side is the real
// python3-jsonschema (Debian package), run as a child process; YAML reaches it as the JSON a
// YAML 1.2 reader sees.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "controller/proc/process.hh"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "specs/parse.hh"
#include "yaml-cpp/yaml.h"

namespace hydrant::specs {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Validates the JSON instance on stdin against the schema file argv[1]. Exit 0: valid; 1:
// invalid or not JSON (one line per error on stdout); 3: the schema could not be loaded.
constexpr const char* kValidatorProgram = R"py(
import json, sys
try:
    import jsonschema
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
except Exception as e:
    print("cannot validate: %r" % (e,), file=sys.stderr)
    sys.exit(3)
try:
    instance = json.loads(sys.stdin.read())
except ValueError as e:
    print("not JSON: %s" % (e,))
    sys.exit(1)
errors = list(jsonschema.Draft202012Validator(schema).iter_errors(instance))
def show(e, indent):
    print(indent + "/" + "/".join(str(p) for p in e.absolute_path) + ": " + e.message)
    for sub in e.context:
        show(sub, indent + "  ")
for e in errors:
    show(e, "")
sys.exit(1 if errors else 0)
)py";

// The same check for many instances at once: stdin is a JSON array of [schema path, instance
// text]; stdout a JSON array of [valid, errors]. Starting python per instance costs ~0.2 s.
constexpr const char* kBatchProgram = R"py(
import json, sys, jsonschema
validators = {}
out = []
for path, text in json.load(sys.stdin):
    if path not in validators:
        with open(path) as f:
            validators[path] = jsonschema.Draft202012Validator(json.load(f))
    try:
        errors = ["/" + "/".join(str(p) for p in e.absolute_path) + ": " + e.message
                  for e in validators[path].iter_errors(json.loads(text))]
    except ValueError as e:
        errors = ["not JSON: %s" % (e,)]
    out.append([not errors, "\n".join(errors)])
json.dump(out, sys.stdout)
)py";

enum class Kind { kSpec, kRoot };

std::string schemaPath(Kind kind) {
  return std::string(HYDRANT_SOURCE_DIR) + "/schema/spec/" +
         (kind == Kind::kSpec ? "jobsets" : "projects") + ".schema.json";
}

struct Verdict {
  bool accepted = false;
  std::string detail;  // the errors, for the failure message
};

using BatchKey = std::pair<Kind, std::string>;
std::map<BatchKey, Verdict>& batch() {
  static std::map<BatchKey, Verdict> verdicts;
  return verdicts;
}

// Validates every (kind, instance) in one python run and remembers the verdicts.
void validateInBatch(const std::vector<BatchKey>& items) {
  nlohmann::json in = nlohmann::json::array();
  for (const auto& [kind, text] : items) in.push_back({schemaPath(kind), text});
  proc::RunOptions o;
  o.argv = {"/usr/bin/python3", "-I", "-c", kBatchProgram};
  o.stdin_data = in.dump();
  o.timeout = 120s;
  Result<proc::RunResult> r = proc::run(o);
  if (!r || !r->ok()) return;  // each row then runs on its own and reports the problem
  auto out = nlohmann::json::parse(r->out, nullptr, false);
  if (!out.is_array() || out.size() != items.size()) return;
  for (size_t i = 0; i < items.size(); ++i) {
    batch()[items[i]] = {out[i][0].get<bool>(), out[i][1].get<std::string>()};
  }
}

// The schema's verdict on a JSON instance; fails the test if the validator cannot run.
Verdict schemaVerdict(Kind kind, const std::string& instance_json) {
  if (auto it = batch().find({kind, instance_json}); it != batch().end()) return it->second;
  proc::RunOptions o;
  o.argv = {"/usr/bin/python3", "-I", "-c", kValidatorProgram, schemaPath(kind)};
  o.stdin_data = instance_json;
  o.timeout = 60s;
  Result<proc::RunResult> r = proc::run(o);
  if (!r) {
    ADD_FAILURE() << r.error().message;
    return {};
  }
  if (r->exit_code != 0 && r->exit_code != 1) {
    ADD_FAILURE() << "python3-jsonschema " << r->describe() << ": " << r->err;
    return {};
  }
  return {r->exit_code == 0, r->out};
}

// A plain YAML scalar, typed by the YAML 1.2 core schema (what a YAML-aware editor sees).
nlohmann::json plainScalar(const std::string& s) {
  static const std::regex kNull("~|null|Null|NULL|");
  static const std::regex kTrue("true|True|TRUE");
  static const std::regex kFalse("false|False|FALSE");
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (std::regex_match(s, kNull)) return nullptr;
  if (std::regex_match(s, kTrue)) return true;
  if (std::regex_match(s, kFalse)) return false;
  if (std::regex_match(s, kInt)) {
    try {
      return std::stoll(s);
    } catch (const std::out_of_range&) {
      return std::stod(s);
    }
  }
  if (std::regex_match(s, kFloat)) return std::stod(s);
  return s;
}

// The JSON that a YAML document stands for. Quoted scalars (tag "!") stay strings.
nlohmann::json yamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return nullptr;
    case YAML::NodeType::Scalar:
      if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str") return node.Scalar();
      return plainScalar(node.Scalar());
    case YAML::NodeType::Sequence: {
      nlohmann::json a = nlohmann::json::array();
      for (const YAML::Node& item : node) a.push_back(yamlToJson(item));
      return a;
    }
    case YAML::NodeType::Map: {
      nlohmann::json o = nlohmann::json::object();
      for (const auto& kv : node) o[kv.first.as<std::string>()] = yamlToJson(kv.second);
      return o;
    }
    case YAML::NodeType::Undefined:
      break;
  }
  return nullptr;
}

bool isYaml(const std::string& filename) {
  std::string ext = fs::path(filename).extension().string();
  return ext == ".yaml" || ext == ".yml";
}

// What the schema side gets: JSON text as written, YAML converted. A YAML document that does not
// load stands for nothing a schema could accept; null is rejected by both schemas.
std::string instanceJson(const std::string& text, const std::string& filename) {
  if (!isYaml(filename)) return text;
  try {
    return yamlToJson(YAML::Load(text)).dump();
  } catch (const YAML::Exception&) {
    return "null";
  }
}

Verdict cppVerdict(Kind kind, const std::string& text, const std::string& filename) {
  if (kind == Kind::kSpec) {
    Result<ProjectFile> r = parseProjectFile(text, filename);
    return {r.has_value(), r ? "" : r.error().message};
  }
  Result<RootFile> r = parseRootFile(text, filename);
  return {r.has_value(), r ? "" : r.error().message};
}

// --- every example in the repository passes both validators ---

std::string readFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(SpecSchema, EveryExampleSpecPassesBothValidators) {
  std::vector<fs::path> files;
  for (const auto& e :
       fs::recursive_directory_iterator(fs::path(HYDRANT_SOURCE_DIR) / "examples")) {
    std::string ext = e.path().extension().string();
    if (!e.is_regular_file() || (ext != ".json" && ext != ".yaml" && ext != ".yml")) continue;
    if (e.path().filename() == "hydrant.yaml") continue;
    files.push_back(e.path());
  }
  if (files.empty()) GTEST_SKIP() << "no spec or projects file under examples/ yet";
  std::sort(files.begin(), files.end());
  for (const fs::path& path : files) {
    SCOPED_TRACE(path.string());
    Kind kind = path.stem() == "projects" ? Kind::kRoot : Kind::kSpec;
    std::string text = readFile(path);
    Verdict cpp = cppVerdict(kind, text, path.filename().string());
    EXPECT_TRUE(cpp.accepted) << cpp.detail;
    Verdict schema = schemaVerdict(kind, instanceJson(text, path.string()));
    EXPECT_TRUE(schema.accepted) << schema.detail;
  }
}

// --- a table of named good and bad specs ---

enum class Expect {
  kAccept,       // both accept
  kReject,       // both reject
  kCppOnly,      // only the C++ parser rejects: a rule JSON Schema cannot express (across keys, a
                 // path that leaves its input after a descent, 3.0 as an integer, a repeated key)
  kYamlLenient,  // only the schema rejects: a YAML scalar of another YAML type (`5`, `"true"`),
                 // which the C++ parser reads by its text
};

struct Row {
  const char* name;
  Kind kind;
  const char* filename;
  Expect expect;
  const char* text;
};

std::ostream& operator<<(std::ostream& os, const Row& row) { return os << row.name; }

// A valid legacy jobset body, to keep rows short.
#define LEGACY \
  R"("nixexprinput": "src", "nixexprpath": "release.nix", "inputs": {"src": {"type": "git", "value": "https://example.org/r.git"}})"

const Row kRows[] = {
    // Modes.
    {"StaticLegacyJobset", Kind::kSpec, "spec.json", Expect::kAccept, R"({"main": {)" LEGACY "}}"},
    {"StaticFlakeJobset", Kind::kSpec, "spec.json", Expect::kAccept,
     R"({"main": {"type": 1, "flake": "github:o/r"}})"},
    {"EmptyObjectIsStatic", Kind::kSpec, "spec.json", Expect::kAccept, "{}"},
    {"GeneratedModeIsOneJobset", Kind::kSpec, "spec.json", Expect::kAccept,
     R"({"checkinterval": 60, )" LEGACY "}"},
    {"GeneratedFlake", Kind::kSpec, "spec.json", Expect::kAccept,
     R"({"type": 1, "flake": "github:o/r"})"},
    {"GeneratedModeWithJobsetLikeValue", Kind::kSpec, "spec.json", Expect::kReject,
     R"({"main": {)" LEGACY R"(}, "enabled": 1})"},
    {"TopLevelArray", Kind::kSpec, "spec.json", Expect::kReject, "[]"},
    {"TopLevelNumber", Kind::kSpec, "spec.json", Expect::kReject, "3"},
    {"YamlStatic", Kind::kSpec, "spec.yaml", Expect::kAccept,
     "main:\n  nixexprinput: src\n  nixexprpath: release.nix\n  checkinterval: 60\n"
     "  inputs:\n    src: {type: git, value: 'https://example.org/r.git main'}\n"
     "pr-1:\n  type: 1\n  flake: github:o/r/pull/1/head\n"},
    {"YamlGenerated", Kind::kSpec, "spec.yaml", Expect::kAccept,
     "type: 1\nflake: github:o/r\nenabled: true\n"},
    {"YamlEmptyDocument", Kind::kSpec, "spec.yaml", Expect::kReject, ""},
    // Jobset names.
    {"JobsetNameWithDotsAndDashes", Kind::kSpec, "spec.json", Expect::kAccept,
     R"({"_release-1.x": {)" LEGACY "}}"},
    {"JobsetNameStartsWithDigit", Kind::kSpec, "spec.json", Expect::kReject,
     R"({"1main": {)" LEGACY "}}"},
    {"DotJobsetsInStaticMode", Kind::kSpec, "spec.json", Expect::kReject,
     R"({".jobsets": {)" LEGACY "}}"},
    // Keys and their types.
    {"UnknownJobsetKey", Kind::kSpec, "spec.json", Expect::kReject,
     R"({"main": {"type": 1, "flake": "github:o/r", "flakeref": "github:o/r"}})"},
    {"AllKeysInHydraSpellings", Kind::kSpec, "spec.json", Expect::kAccept,
     R"({"main": {"enabled": true, "hidden": 0, "type": 0, "description": "d",
         "checkinterval": "300", "schedulingshares": 42, "enableemail": false,
         "emailoverride": "a@example.org", "keepnr": "3", "enable_dynamic_run_command": false, )" LEGACY
     "}}"},
    {"EnabledOneShotAsString", Kind::kSpec, "spec.json", Expect::kAccept,
     R"({"main": {"enabled": "2", )" LEGACY "}}"},
    {"EnabledFour", Kind::kSpec, "spec.json", Expect::kReject,
     R"({"main": {"enabled": 4, )" LEGACY "}}"},
    {"HiddenTwo", Kind::kSpec, "spec.json", Expect::kReject,
     R"({"main": {"hidden": 2, )" LEGACY "}}"},
    {"EnableemailWord", Kind::kSpec, "spec.json", Expect::kReject,
     R"({"main": {"enableemail": "yes", )" LEGACY "}}"},
    {"DescriptionNotString", Kind::kSpec, "spec.json", Expect::kReject,
     R"({"main": {"description": 5, )" LEGACY "}}"},
    {"CheckintervalZero", Kind::kSpec, "spec.json", Expect::kAccept,
     R"({"main": {"checkinterval": 0, )" LEGACY "}}"},
    {"CheckintervalMaximum", Kind::kSpec, "spec.json", Expect::kAccept,
     R"({"main": {"checkinterval": "2147483647", )" LEGACY "}}"},
    {"CheckintervalNegative", Kind::kSpec, "spec.json", Expect::kReject,
     R"({"main": {"checkinterval": -1, )" LEGACY "}}"},
    {"CheckintervalTooLarge", Kind::kSpec, "spec.json", Expect::kReject,
     R"({"main": {"checkinterval": 2147483648, )" LEGACY "}}"},
    {"CheckintervalQuotedTooLarge", Kind::kSpec, "spec.json", Expect::kReject,
     R"({"main": {"checkinterval": "2147483648", )" LEGACY "}}"},
    {"CheckintervalLeadingZeros", Kind::kSpec, "spec.json", Expect::kAccept,
     R"({"main": {"checkinterval": "0300", )" LEGACY "}}"},
    {"CheckintervalWithUnit", Kind::kSpec, "spec.json", Expect::kReject,
     R"({"main": {"checkinterval": "5m", )" LEGACY "}}"},
    {"SchedulingsharesZero", Kind::kSpec, "spec.json", Expect::kReject,
     R"({"main": {"schedulingshares": 0, )" LEGACY "}}"},
    {"KeepnrFraction", Kind::kSpec, "spec.json", Expect::kReject,
     R"({"main": {"keepnr": 3.5, )" LEGACY "}}"},
    {"DynamicRunCommandZero", Kind::kSpec, "spec.json", Expect::kAccept,
     R"({"main": {"enable_dynamic_run_command": 0, )" LEGACY "}}"},
    {"DynamicRunCommandQuotedZero", Kind::kSpec, "spec.json", Expect::kAccept,
     R"({"main": {"enable_dynamic_run_command": "0", )" LEGACY "}}"},
    {"DynamicRunCommandTrue", Kind::kSpec, "spec.json", Expect::kReject,
     R"({"main": {"enable_dynamic_run_command": true, )" LEGACY "}}"},
    // Legacy and flake jobsets.
    {"LegacyWithoutNixexprpath", Kind::kSpec, "spec.json", Expect::kReject,
     R"({"main": {"nixexprinput": "src", "inputs": {"src": {"type": "path", "value": "/r"}}}})"},
    {"LegacyWithFlake", Kind::kSpec, "spec.json", Expect::kReject,
     R"({"main": {"flake": "github:o/r", )" LEGACY "}}"},
    {"FlakeWithoutType", Kind::kSpec, "spec.json", Expect::kReject,
     R"({"main": {"flake": "github:o/r"}})"},
    {"FlakeTypeAsString", Kind::kSpec, "spec.json", Expect::kAccept,
     R"({"main": {"type": "1", "flake": "github:o/r"}})"},
    {"FlakeWithoutFlake", Kind::kSpec, "spec.json", Expect::kReject, R"({"main": {"type": 1}})"},
    {"FlakeWithNixexprinput", Kind::kSpec, "spec.json", Expect::kReject,
     R"({"main": {"type": 1, "flake": "github:o/r", "nixexprinput": "src"}})"},
    {"TypeTwo", Kind::kSpec, "spec.json", Expect::kReject,
     R"({"main": {"type": 2, "flake": "github:o/r"}})"},
    {"NixexprpathInSubdirectory", Kind::kSpec, "spec.json", Expect::kAccept,
     R"({"main": {"nixexprinput": "src", "nixexprpath": "ci/../release.nix",
         "inputs": {"src": {"type": "path", "value": "/r"}}}})"},
    {"NixexprpathAbsolute", Kind::kSpec, "spec.json", Expect::kReject,
     R"({"main": {"nixexprinput": "src", "nixexprpath": "/etc/release.nix",
         "inputs": {"src": {"type": "path", "value": "/r"}}}})"},
    {"NixexprpathLeavesInput", Kind::kSpec, "spec.json", Expect::kReject,
     R"({"main": {"nixexprinput": "src", "nixexprpath": "../release.nix",
         "inputs": {"src": {"type": "path", "value": "/r"}}}})"},
    {"NixexprpathLeavesInputLater", Kind::kSpec, "spec.json", Expect::kCppOnly,
     R"({"main": {"nixexprinput": "src", "nixexprpath": "ci/../../release.nix",
         "inputs": {"src": {"type": "path", "value": "/r"}}}})"},
    {"NixexprinputNamesNoInput", Kind::kSpec, "spec.json", Expect::kCppOnly,
     R"({"main": {"nixexprinput": "source", "nixexprpath": "release.nix",
         "inputs": {"src": {"type": "path", "value": "/r"}}}})"},
    {"DuplicateJsonKey", Kind::kSpec, "spec.json", Expect::kCppOnly,
     R"({"main": {"type": 1, "flake": "github:o/r", "flake": "github:o/s"}})"},
    {"KeepnrWrittenAsFloat", Kind::kSpec, "spec.json", Expect::kCppOnly,
     R"({"main": {"keepnr": 3.0, )" LEGACY "}}"},
    {"FlakeEmpty", Kind::kSpec, "spec.json", Expect::kReject,
     R"({"main": {"type": 1, "flake": ""}})"},
    {"JsonTrailingComma", Kind::kSpec, "spec.json", Expect::kReject,
     R"({"main": {"type": 1, "flake": "github:o/r",}})"},
    {"YamlBooleanWordsAreStrings", Kind::kSpec, "spec.yaml", Expect::kReject,
     "main:\n  type: 1\n  flake: github:o/r\n  enabled: yes\n"},
    {"YamlNumberAsDescription", Kind::kSpec, "spec.yaml", Expect::kYamlLenient,
     "main:\n  type: 1\n  flake: github:o/r\n  description: 2024\n"},
    {"YamlQuotedTrueAsFlag", Kind::kSpec, "spec.yaml", Expect::kYamlLenient,
     "main:\n  type: 1\n  flake: github:o/r\n  hidden: \"true\"\n"},
    // Inputs.
    {"InputNameWithQuote", Kind::kSpec, "spec.json", Expect::kAccept,
     R"({"main": {"nixexprinput": "src'", "nixexprpath": "r.nix",
         "inputs": {"src'": {"type": "path", "value": "/r"}}}})"},
    {"InputNameWithDot", Kind::kSpec, "spec.json", Expect::kReject,
     R"({"main": {"type": 1, "flake": "github:o/r",
         "inputs": {"a.b": {"type": "string", "value": "x"}}}})"},
    {"InputValuesOfEveryKind", Kind::kSpec, "spec.json", Expect::kAccept,
     R"({"main": {"type": 1, "flake": "github:o/r", "inputs": {
         "a": {"type": "boolean", "value": true}, "b": {"type": "string", "value": 7},
         "c": {"type": "nix", "value": "{ x = 1; }", "emailresponsible": 1},
         "d": {"type": "build", "value": "p:j:job"}, "e": {"type": "eval", "value": "1"}}}})"},
    {"BooleanInputWithWord", Kind::kSpec, "spec.json", Expect::kReject,
     R"({"main": {"type": 1, "flake": "github:o/r",
         "inputs": {"a": {"type": "boolean", "value": "yes"}}}})"},
    {"InputUnknownType", Kind::kSpec, "spec.json", Expect::kReject,
     R"({"main": {"type": 1, "flake": "github:o/r",
         "inputs": {"prs": {"type": "githubpulls", "value": "o r"}}}})"},
    {"InputWithoutValue", Kind::kSpec, "spec.json", Expect::kReject,
     R"({"main": {"type": 1, "flake": "github:o/r", "inputs": {"a": {"type": "string"}}}})"},
    {"InputWithoutType", Kind::kSpec, "spec.json", Expect::kReject,
     R"({"main": {"type": 1, "flake": "github:o/r", "inputs": {"a": {"value": "x"}}}})"},
    {"InputValueObject", Kind::kSpec, "spec.json", Expect::kReject,
     R"({"main": {"type": 1, "flake": "github:o/r",
         "inputs": {"a": {"type": "string", "value": {"x": 1}}}}})"},
    {"InputUnknownKey", Kind::kSpec, "spec.json", Expect::kReject,
     R"({"main": {"type": 1, "flake": "github:o/r",
         "inputs": {"a": {"type": "string", "value": "x", "checkresponsible": true}}}})"},
    {"InputEmailresponsibleTwo", Kind::kSpec, "spec.json", Expect::kReject,
     R"({"main": {"type": 1, "flake": "github:o/r",
         "inputs": {"a": {"type": "string", "value": "x", "emailresponsible": 2}}}})"},

    // The root projects file.
    {"RootMinimal", Kind::kRoot, "projects.json", Expect::kAccept,
     R"({"hydrant": {"declarative": {"file": "spec.json", "value": "https://example.org/h.git"}}})"},
    {"RootAllKeys", Kind::kRoot, "projects.json", Expect::kAccept,
     R"({"hydrant": {"displayname": "Hydrant", "description": "d", "homepage": "https://h",
         "enabled": 1, "hidden": false, "prune": "delete",
         "declarative": {"file": "ci/spec.yaml", "type": "path", "value": "/srv/h"}}})"},
    {"RootEmpty", Kind::kRoot, "projects.json", Expect::kAccept, "{}"},
    {"RootYaml", Kind::kRoot, "projects.yaml", Expect::kAccept,
     "my_project-2:\n  enabled: true\n  prune: disable\n"
     "  declarative:\n    file: spec.json\n    type: git\n    value: https://example.org/h.git "
     "main\n"},
    {"RootNotMapping", Kind::kRoot, "projects.json", Expect::kReject, R"(["hydrant"])"},
    {"RootProjectNotMapping", Kind::kRoot, "projects.json", Expect::kReject,
     R"({"hydrant": "https://example.org/h.git"})"},
    {"RootProjectNameWithDot", Kind::kRoot, "projects.json", Expect::kReject,
     R"({"hydrant.io": {"declarative": {"file": "spec.json", "value": "/srv/h"}}})"},
    {"RootUnknownProjectKey", Kind::kRoot, "projects.json", Expect::kReject,
     R"({"h": {"owner": "me", "declarative": {"file": "spec.json", "value": "/srv/h"}}})"},
    {"RootEnabledTwo", Kind::kRoot, "projects.json", Expect::kReject,
     R"({"h": {"enabled": 2, "declarative": {"file": "spec.json", "value": "/srv/h"}}})"},
    {"RootPruneUnknown", Kind::kRoot, "projects.json", Expect::kReject,
     R"({"h": {"prune": "archive", "declarative": {"file": "spec.json", "value": "/srv/h"}}})"},
    {"RootWithoutDeclarative", Kind::kRoot, "projects.json", Expect::kReject,
     R"({"h": {"displayname": "H"}})"},
    {"RootDeclarativeWithoutFile", Kind::kRoot, "projects.json", Expect::kReject,
     R"({"h": {"declarative": {"value": "/srv/h"}}})"},
    {"RootDeclarativeEmptyFile", Kind::kRoot, "projects.json", Expect::kReject,
     R"({"h": {"declarative": {"file": "", "value": "/srv/h"}}})"},
    {"RootDeclarativeAbsoluteFile", Kind::kRoot, "projects.json", Expect::kReject,
     R"({"h": {"declarative": {"file": "/spec.json", "value": "/srv/h"}}})"},
    {"RootDeclarativeFileLeavesInput", Kind::kRoot, "projects.json", Expect::kReject,
     R"({"h": {"declarative": {"file": "../spec.json", "value": "/srv/h"}}})"},
    {"RootDeclarativeFileLeavesInputLater", Kind::kRoot, "projects.json", Expect::kCppOnly,
     R"({"h": {"declarative": {"file": "ci/../../spec.json", "value": "/srv/h"}}})"},
    {"RootDisplaynameEmpty", Kind::kRoot, "projects.json", Expect::kReject,
     R"({"h": {"displayname": "", "declarative": {"file": "spec.json", "value": "/srv/h"}}})"},
    {"RootDeclarativeEmptyValue", Kind::kRoot, "projects.json", Expect::kReject,
     R"({"h": {"declarative": {"file": "spec.json", "value": ""}}})"},
    {"RootDeclarativeTypeHg", Kind::kRoot, "projects.json", Expect::kReject,
     R"({"h": {"declarative": {"file": "spec.json", "type": "hg", "value": "/srv/h"}}})"},
    {"RootDeclarativeUnknownKey", Kind::kRoot, "projects.json", Expect::kReject,
     R"({"h": {"declarative": {"file": "spec.json", "value": "/srv/h", "branch": "main"}}})"},
};

#undef LEGACY

class SpecSchemaAgreement : public testing::TestWithParam<Row> {
 protected:
  static void SetUpTestSuite() {
    std::vector<BatchKey> items;
    for (const Row& row : kRows) items.push_back({row.kind, instanceJson(row.text, row.filename)});
    validateInBatch(items);
  }
};

TEST_P(SpecSchemaAgreement, BothValidatorsGiveTheExpectedVerdict) {
  const Row& row = GetParam();
  Verdict cpp = cppVerdict(row.kind, row.text, row.filename);
  Verdict schema = schemaVerdict(row.kind, instanceJson(row.text, row.filename));
  EXPECT_EQ(cpp.accepted, row.expect == Expect::kAccept || row.expect == Expect::kYamlLenient)
      << "C++ parser: " << (cpp.accepted ? "accepted" : cpp.detail);
  EXPECT_EQ(schema.accepted, row.expect == Expect::kAccept || row.expect == Expect::kCppOnly)
      << "JSON Schema: " << (schema.accepted ? "accepted" : schema.detail);
}

INSTANTIATE_TEST_SUITE_P(Rows, SpecSchemaAgreement, testing::ValuesIn(kRows),
                         [](const testing::TestParamInfo<Row>& info) { return info.param.name; });

}  // namespace
}  // namespace hydrant::specs
