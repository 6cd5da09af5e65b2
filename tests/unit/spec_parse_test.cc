#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <ostream>
#include <string>
#include <vector>

#include "specs/parse.hh"

namespace hydrant::specs {
namespace {

ProjectFile parsed(const std::string& text, const std::string& filename) {
  auto file = parseProjectFile(text, filename);
  EXPECT_TRUE(file) << file.error().message;
  return file ? *file : ProjectFile{};
}

// The one jobset of `file`, by value so that a temporary file may be passed.
JobsetSpec only(const ProjectFile& file) {
  EXPECT_EQ(file.jobsets.size(), 1u);
  return file.jobsets.empty() ? JobsetSpec{} : file.jobsets[0];
}

TEST(SpecParse, JsonAndYamlGiveTheSameModel) {
  const ProjectFile json = parsed(R"({
  "main": {
    "enabled": 3, "hidden": true, "description": "the main branch",
    "nixexprinput": "src", "nixexprpath": "ci/release.nix",
    "checkinterval": 60, "schedulingshares": 250, "enableemail": false,
    "emailoverride": "ci@example.org", "keepnr": 10, "enable_dynamic_run_command": false,
    "inputs": {
      "src": {"type": "git", "value": "https://example.org/repo.git main",
              "emailresponsible": true},
      "nixpkgs": {"type": "git", "value": "https://github.com/NixOS/nixpkgs nixos-23.11"}
    }
  }
})",
                                  "spec.json");
  const ProjectFile yaml = parsed(R"(# the same, in YAML
main:
  enabled: 3
  hidden: true
  description: the main branch
  nixexprinput: src
  nixexprpath: ci/release.nix
  checkinterval: 60
  schedulingshares: 250
  enableemail: false
  emailoverride: ci@example.org
  keepnr: 10
  enable_dynamic_run_command: false
  inputs:
    src: {type: git, value: https://example.org/repo.git main, emailresponsible: true}
    nixpkgs: {type: git, value: https://github.com/NixOS/nixpkgs nixos-23.11}
)",
                                  "spec.yaml");
  const JobsetSpec j = only(json);
  EXPECT_TRUE(j.sameAs(only(yaml)));
  EXPECT_EQ(json.mode, ProjectFile::Mode::kStatic);
  EXPECT_EQ(yaml.mode, ProjectFile::Mode::kStatic);
  EXPECT_EQ(j.name, "main");
  EXPECT_EQ(j.enabled, Enabled::kOneAtATime);
  EXPECT_TRUE(j.hidden);
  EXPECT_EQ(j.type, 0);
  EXPECT_EQ(j.flake, std::nullopt);
  EXPECT_EQ(j.description, "the main branch");
  EXPECT_EQ(j.nixexprinput, "src");
  EXPECT_EQ(j.nixexprpath, "ci/release.nix");
  EXPECT_EQ(j.checkinterval, 60);
  EXPECT_EQ(j.schedulingshares, 250);
  EXPECT_FALSE(j.enableemail);
  EXPECT_EQ(j.emailoverride, "ci@example.org");
  EXPECT_EQ(j.keepnr, 10);
  EXPECT_EQ(j.inputs, (std::vector<InputSpec>{
                          {"nixpkgs", "git", "https://github.com/NixOS/nixpkgs nixos-23.11", false},
                          {"src", "git", "https://example.org/repo.git main", true}}));
  EXPECT_EQ(j.where.str(), "spec.json:2:3");
  EXPECT_EQ(only(yaml).where.str(), "spec.yaml:2:1");
}

TEST(SpecParse, AbsentKeysTakeTheDefaults) {
  const JobsetSpec j = only(parsed(R"({"flakes": {"type": 1, "flake": "github:a/b"}})", "x.json"));
  EXPECT_EQ(j.enabled, Enabled::kEnabled);
  EXPECT_FALSE(j.hidden);
  EXPECT_EQ(j.type, 1);
  EXPECT_EQ(j.flake, "github:a/b");
  EXPECT_EQ(j.description, "");
  EXPECT_EQ(j.nixexprinput, std::nullopt);
  EXPECT_EQ(j.nixexprpath, std::nullopt);
  EXPECT_EQ(j.checkinterval, 300);
  EXPECT_EQ(j.schedulingshares, 100);
  EXPECT_TRUE(j.enableemail);
  EXPECT_EQ(j.emailoverride, "");
  EXPECT_EQ(j.keepnr, 3);
  EXPECT_TRUE(j.inputs.empty());
}

TEST(SpecParse, StaticModeSortsJobsetsAndInputsByName) {
  const ProjectFile file = parsed(R"(
zeta: {type: 1, flake: "github:a/z"}
alpha:
  nixexprinput: src
  nixexprpath: default.nix
  inputs:
    src: {type: path, value: /srv/src}
    "a'b": {type: string, value: ""}
    Nix-pkgs: {type: nix, value: "import <nixpkgs> {}"}
)",
                                  "spec.yml");
  EXPECT_EQ(file.mode, ProjectFile::Mode::kStatic);
  ASSERT_EQ(file.jobsets.size(), 2u);
  EXPECT_EQ(file.jobsets[0].name, "alpha");
  EXPECT_EQ(file.jobsets[0].where.str(), "spec.yml:3:1");
  EXPECT_EQ(file.jobsets[1].name, "zeta");
  std::vector<std::string> names;
  for (const auto& input : file.jobsets[0].inputs) names.push_back(input.name);
  EXPECT_EQ(names, (std::vector<std::string>{"Nix-pkgs", "a'b", "src"}));
}

TEST(SpecParse, EmptyObjectIsStaticWithNoJobsets) {
  const ProjectFile file = parsed("{}", "spec.json");
  EXPECT_EQ(file.mode, ProjectFile::Mode::kStatic);
  EXPECT_TRUE(file.jobsets.empty());
}

TEST(SpecParse, OneValueThatIsNotAnObjectMakesTheFileOneJobsetSpec) {
  const ProjectFile file = parsed(R"({
  "inputs": {"src": {"type": "git", "value": "https://example.org/ci.git"}},
  "nixexprinput": "src",
  "nixexprpath": "jobsets.nix",
  "checkinterval": 60
})",
                                  "spec.json");
  EXPECT_EQ(file.mode, ProjectFile::Mode::kGenerated);
  const JobsetSpec j = only(file);
  EXPECT_EQ(j.name, ".jobsets");
  EXPECT_EQ(j.where.str(), "spec.json:1:1");
  EXPECT_EQ(j.nixexprinput, "src");
  EXPECT_EQ(j.nixexprpath, "jobsets.nix");
  EXPECT_EQ(j.checkinterval, 60);
  ASSERT_EQ(j.inputs.size(), 1u);
  EXPECT_EQ(j.inputs[0].value, "https://example.org/ci.git");
}

TEST(SpecParse, BooleansNumbersAndQuotedIntegersAreAccepted) {
  const ProjectFile file = parsed(R"({
  "a": {"type": "1", "flake": "github:a/b", "enabled": false, "hidden": 1, "enableemail": 0,
        "checkinterval": "0", "keepnr": "7"},
  "b": {"type": 1, "flake": "github:a/b", "enabled": true, "hidden": false,
        "inputs": {"flag": {"type": "boolean", "value": true, "emailresponsible": 1},
                   "n": {"type": "string", "value": 300}}}
})",
                                  "spec.json");
  ASSERT_EQ(file.jobsets.size(), 2u);
  const JobsetSpec& a = file.jobsets[0];
  EXPECT_EQ(a.type, 1);
  EXPECT_EQ(a.enabled, Enabled::kDisabled);
  EXPECT_TRUE(a.hidden);
  EXPECT_FALSE(a.enableemail);
  EXPECT_EQ(a.checkinterval, 0);
  EXPECT_EQ(a.keepnr, 7);
  const JobsetSpec& b = file.jobsets[1];
  EXPECT_EQ(b.enabled, Enabled::kEnabled);
  EXPECT_FALSE(b.hidden);
  EXPECT_EQ(b.inputs, (std::vector<InputSpec>{{"flag", "boolean", "true", true},
                                              {"n", "string", "300", false}}));
}

TEST(SpecParse, YamlTakesAnyScalarAsAString) {
  const JobsetSpec j = only(parsed(R"(
main:
  type: 1
  flake: github:a/b
  description: 2024
  hidden: "True"
  emailoverride: 'ci@example.org'
)",
                                   "spec.yaml"));
  EXPECT_EQ(j.description, "2024");
  EXPECT_TRUE(j.hidden);
  EXPECT_EQ(j.emailoverride, "ci@example.org");
}

TEST(SpecParse, EscapedCharactersBeyondU10000KeepPositions) {
  // Python's json.dumps writes "😀" as a UTF-16 surrogate pair.
  const char* text = R"({"main": {"type": 1, "flake": "github:a/b",
  "description": "\ud83d\ude00 \u00e9", "keepnr": -1}})";
  auto file = parseProjectFile(text, "spec.json");
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().message,
            "spec.json:2:51: jobset \"main\": keepnr: expected an integer from 0 to 2147483647, "
            "got -1");
  auto fixed = parseProjectFile(
      R"({"main": {"type": 1, "flake": "x", "description": "\ud83d\ude00"}})", "spec.json");
  ASSERT_TRUE(fixed) << fixed.error().message;
  EXPECT_EQ(fixed->jobsets[0].description, "\xf0\x9f\x98\x80");
}

TEST(SpecParse, ReportsEveryProblemInFileOrder) {
  auto file = parseProjectFile(R"({
  "main": {
    "flake": "github:a/b",
    "inputs": {"src": {"type": "gti", "vaule": "x"}},
    "checkinterval": "soon"
  },
  "1st": {"type": 1, "flake": "github:a/b"},
  "main": {}
})",
                               "spec.json");
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().cls, ErrorClass::kInvalid);
  EXPECT_EQ(
      file.error().message,
      R"(spec.json:2:3: jobset "main": missing key "nixexprinput" (required unless "type" is 1)
spec.json:2:3: jobset "main": missing key "nixexprpath" (required unless "type" is 1)
spec.json:3:5: jobset "main": flake is only for flake jobsets ("type": 1)
spec.json:4:16: jobset "main": input "src": missing key "value"
spec.json:4:32: jobset "main": input "src": unknown input type "gti" (did you mean "git"?)
spec.json:4:39: jobset "main": input "src": unknown key "vaule" (did you mean "value"?)
spec.json:5:22: jobset "main": checkinterval: expected an integer from 0 to 2147483647, got "soon"
spec.json:7:3: jobset name "1st" must match [A-Za-z_][A-Za-z0-9_.-]*
spec.json:8:3: duplicate key "main")");
}

struct ErrorCase {
  std::string name;
  std::string filename;
  std::string text;
  std::string message;
};

void PrintTo(const ErrorCase& row, std::ostream* out) { *out << row.name; }

std::string rowName(const testing::TestParamInfo<ErrorCase>& info) { return info.param.name; }

class SpecParseError : public testing::TestWithParam<ErrorCase> {};

TEST_P(SpecParseError, SaysWhereAndWhat) {
  auto file = parseProjectFile(GetParam().text, GetParam().filename);
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().cls, ErrorClass::kInvalid);
  EXPECT_EQ(file.error().message, GetParam().message);
}

const std::string kJobsetKeys =
    "enabled, hidden, type, flake, description, nixexprinput, nixexprpath, checkinterval, "
    "schedulingshares, enableemail, enable_dynamic_run_command, emailoverride, keepnr, inputs";

INSTANTIATE_TEST_SUITE_P(
    Table, SpecParseError,
    testing::Values(
        ErrorCase{
            "UnknownKeyWithSuggestion", "spec.json", R"({"main": {
    "type": 1, "flake": "github:a/b",
    "flakeref": "github:a/b"}})",
            R"(spec.json:3:5: jobset "main": unknown key "flakeref" (did you mean "flake"?))"},
        ErrorCase{"UnknownKeyWithoutSuggestion", "spec.json", R"({"main": {
    "type": 1, "flake": "github:a/b",
    "frobnicate": 1}})",
                  R"(spec.json:3:5: jobset "main": unknown key "frobnicate"; known keys: )" +
                      kJobsetKeys},
        ErrorCase{"JobsetNameStartsWithDigit", "spec.json", R"({
  "1x": {"type": 1, "flake": "github:a/b"}})",
                  R"(spec.json:2:3: jobset name "1x" must match [A-Za-z_][A-Za-z0-9_.-]*)"},
        ErrorCase{"GeneratorNameInStaticMode", "spec.yaml",
                  "a: {type: 1, flake: f}\n"
                  ".jobsets: {type: 1, flake: f}\n",
                  R"(spec.yaml:2:1: jobset name ".jobsets" is reserved for a file that is one )"
                  R"(jobset spec (generated mode))"},
        ErrorCase{"DuplicateKeyInJobset", "spec.json", R"({"main": {
    "type": 1, "flake": "github:a/b",
    "type": 1}})",
                  R"(spec.json:3:5: jobset "main": duplicate key "type")"},
        ErrorCase{"EnabledOutOfRange", "spec.json", R"({"main": {
    "type": 1, "flake": "github:a/b",
    "enabled": 7}})",
                  R"(spec.json:3:16: jobset "main": enabled: expected 0 (disabled), 1 (enabled), )"
                  R"(2 (one-shot), 3 (one-at-a-time), true or false, got 7)"},
        ErrorCase{
            "TypeNotZeroOrOne", "spec.json", R"({"main": {
    "type": 2}})",
            R"(spec.json:2:13: jobset "main": type: expected 0 (legacy) or 1 (flake), got 2)"},
        ErrorCase{"CheckintervalNegative", "spec.json", R"({"main": {
    "type": 1, "flake": "github:a/b",
    "checkinterval": -1}})",
                  R"(spec.json:3:22: jobset "main": checkinterval: expected an integer from 0 to )"
                  R"(2147483647, got -1)"},
        ErrorCase{"CheckintervalNotAnInteger", "spec.json", R"({"main": {
    "type": 1, "flake": "github:a/b",
    "checkinterval": 1.5}})",
                  R"(spec.json:3:22: jobset "main": checkinterval: expected an integer from 0 to )"
                  R"(2147483647, got 1.5)"},
        ErrorCase{"SchedulingsharesZero", "spec.json", R"({"main": {
    "type": 1, "flake": "github:a/b",
    "schedulingshares": 0}})",
                  R"(spec.json:3:25: jobset "main": schedulingshares: expected an integer from 1 )"
                  R"(to 2147483647, got 0)"},
        ErrorCase{"KeepnrBeyondInt", "spec.json", R"({"main": {
    "type": 1, "flake": "github:a/b",
    "keepnr": 2147483648}})",
                  R"(spec.json:3:15: jobset "main": keepnr: expected an integer from 0 to )"
                  R"(2147483647, got 2147483648)"},
        ErrorCase{"QuotedBooleanInJson", "spec.json", R"({"main": {
    "type": 1, "flake": "github:a/b",
    "hidden": "true"}})",
                  R"(spec.json:3:15: jobset "main": hidden: expected true, false, 0 or 1, )"
                  R"(got "true")"},
        ErrorCase{"NumberForStringInJson", "spec.json", R"({"main": {
    "type": 1, "flake": "github:a/b",
    "description": 5}})",
                  R"(spec.json:3:20: jobset "main": description: expected a string, got 5)"},
        ErrorCase{"EmptyFlake", "spec.json", R"({"main": {
    "type": 1, "flake": ""}})",
                  R"(spec.json:2:25: jobset "main": flake: expected a non-empty string, got "")"},
        ErrorCase{"NullInYamlIsReportedAtTheKey", "spec.yaml", R"(main:
  type: 1
  flake:
)",
                  R"(spec.yaml:3:3: jobset "main": flake: expected a non-empty string, got null)"},
        ErrorCase{"FlakeInLegacyJobset", "spec.json", R"({"main": {
    "nixexprinput": "src", "nixexprpath": "default.nix", "inputs": {"src": {
      "type": "path", "value": "/src"}},
    "flake": "github:a/b"}})",
                  R"(spec.json:4:5: jobset "main": flake is only for flake jobsets ("type": 1))"},
        ErrorCase{"NixexprinputInFlakeJobset", "spec.json", R"({"main": {
    "type": 1, "flake": "github:a/b",
    "nixexprinput": "src"}})",
                  R"(spec.json:3:5: jobset "main": nixexprinput is only for legacy jobsets )"
                  R"(("type": 0))"},
        ErrorCase{
            "FlakeJobsetWithoutFlake", "spec.json", R"({
  "main": {"type": 1}})",
            R"(spec.json:2:3: jobset "main": missing key "flake" (required when "type" is 1))"},
        ErrorCase{"LegacyJobsetWithoutNixexprpath", "spec.json", R"({
  "main": {"nixexprinput": "src", "inputs": {"src": {"type": "path", "value": "/s"}}}})",
                  R"(spec.json:2:3: jobset "main": missing key "nixexprpath" (required unless )"
                  R"("type" is 1))"},
        ErrorCase{"NixexprinputNamesNoInput", "spec.json", R"({"main": {
    "nixexprpath": "default.nix",
    "inputs": {"a": {"type": "path", "value": "/a"}, "b": {"type": "path", "value": "/b"}},
    "nixexprinput": "src"}})",
                  R"(spec.json:4:21: jobset "main": nixexprinput "src" names no input )"
                  R"((inputs: a, b))"},
        ErrorCase{"NixexprinputWithoutInputs", "spec.json", R"({"main": {
    "nixexprpath": "default.nix",
    "nixexprinput": "src"}})",
                  R"(spec.json:3:21: jobset "main": nixexprinput "src" names no input )"
                  R"((there are no inputs))"},
        ErrorCase{"AbsoluteNixexprpath", "spec.yaml", R"(main:
  nixexprinput: src
  inputs: {src: {type: path, value: /src}}
  nixexprpath: /etc/release.nix
)",
                  R"(spec.yaml:4:16: jobset "main": nixexprpath "/etc/release.nix" must be )"
                  R"(relative to its input)"},
        ErrorCase{"NixexprpathLeavesItsInput", "spec.yaml", R"(main:
  nixexprinput: src
  inputs: {src: {type: path, value: /src}}
  nixexprpath: ci/../../release.nix
)",
                  R"(spec.yaml:4:16: jobset "main": nixexprpath "ci/../../release.nix" points )"
                  R"(outside its input)"},
        ErrorCase{"InputNameWithSpace", "spec.json", R"({"main": {
    "type": 1, "flake": "github:a/b", "inputs": {
      "my src": {"type": "path", "value": "/s"}}}})",
                  R"(spec.json:3:7: jobset "main": input name "my src" must match )"
                  R"([A-Za-z_][A-Za-z0-9_'-]*)"},
        ErrorCase{"UnknownInputTypeWithSuggestion", "spec.json", R"({"main": {
    "type": 1, "flake": "github:a/b", "inputs": {
      "src": {"type": "gti", "value": "https://x"}}}})",
                  R"(spec.json:3:23: jobset "main": input "src": unknown input type "gti" )"
                  R"((did you mean "git"?))"},
        ErrorCase{"UnknownInputTypeWithoutSuggestion", "spec.json", R"({"main": {
    "type": 1, "flake": "github:a/b", "inputs": {
      "src": {"type": "svn", "value": "https://x"}}}})",
                  R"(spec.json:3:23: jobset "main": input "src": unknown input type "svn"; )"
                  R"(known types: git, path, string, boolean, nix, build, eval)"},
        ErrorCase{"InputWithoutType", "spec.json", R"({"main": {
    "type": 1, "flake": "github:a/b", "inputs": {
      "src": {"value": "https://x"}}}})",
                  R"(spec.json:3:7: jobset "main": input "src": missing key "type")"},
        ErrorCase{"BooleanInputNotTrueOrFalse", "spec.json", R"({"main": {
    "type": 1, "flake": "github:a/b", "inputs": {
      "flag": {"type": "boolean", "value": "yes"}}}})",
                  R"(spec.json:3:44: jobset "main": input "flag": value: expected "true" or )"
                  R"("false" for a boolean input, got "yes")"},
        ErrorCase{"BooleanInputValueNotAScalar", "spec.json", R"({"main": {
    "type": 1, "flake": "github:a/b", "inputs": {
      "flag": {"type": "boolean", "value": ["true"]}}}})",
                  R"(spec.json:3:44: jobset "main": input "flag": value: expected a string, )"
                  R"(number or boolean, got an array)"},
        ErrorCase{"InputNotAnObject", "spec.json", R"({"main": {
    "type": 1, "flake": "github:a/b", "inputs": {
      "src": "https://x"}}})",
                  R"(spec.json:3:14: jobset "main": input "src": expected an object, got )"
                  R"("https://x")"},
        ErrorCase{"InputsNotAnObjectInYaml", "spec.yaml", R"(main:
  type: 1
  flake: github:a/b
  inputs: [src]
)",
                  R"(spec.yaml:4:11: jobset "main": inputs: expected a mapping of inputs, got )"
                  R"(a sequence)"},
        ErrorCase{"DynamicRunCommand", "spec.json", R"({"main": {
    "type": 1, "flake": "github:a/b",
    "enable_dynamic_run_command": true}})",
                  R"(spec.json:3:35: jobset "main": enable_dynamic_run_command is not supported )"
                  R"(by Hydrant)"},
        ErrorCase{"UnknownKeyInGeneratedMode", "spec.json", R"({
  "checkinterval": 60,
  "main": {"type": 1, "flake": "github:a/b"}
})",
                  R"(spec.json:1:1: jobset ".jobsets": missing key "nixexprinput" (required )"
                  R"(unless "type" is 1)
spec.json:1:1: jobset ".jobsets": missing key "nixexprpath" (required unless "type" is 1)
spec.json:3:3: jobset ".jobsets": unknown key "main" (the file is read as the spec of )"
                  R"(".jobsets" because the value of "checkinterval" is not an object))"},
        ErrorCase{"TopLevelArray", "spec.json", R"(
  [{"main": {}}])",
                  R"(spec.json:2:3: expected an object of jobsets or a jobset spec, got an array)"},
        ErrorCase{"EmptyYamlFile", "spec.yaml", "# nothing\n",
                  R"(spec.yaml: expected a mapping of jobsets or a jobset spec, got null)"},
        ErrorCase{"JsonTrailingComma", "spec.json", R"({
  "main": {"type": 1, "flake": "github:a/b"},
})",
                  R"(spec.json:3:1: invalid JSON: unexpected '}'; expected string literal )"
                  R"((JSON allows no trailing comma))"},
        ErrorCase{"JsonComment", "spec.json", R"({
  "main": {"type": 1, "flake": "github:a/b"} // the only one
})",
                  R"(spec.json:2:46: invalid JSON: invalid literal; expected '}' )"
                  R"((JSON has no comments))"},
        ErrorCase{"JsonDuplicateJobset", "spec.json", R"({
  "main": {"type": 1, "flake": "github:a/b"},
  "main": {"type": 1, "flake": "github:c/d"}
})",
                  R"(spec.json:3:3: duplicate key "main")"},
        ErrorCase{"JsonThatYamlCannotRead", "spec.json", "{\"main\"\n  : {}}",
                  R"(spec.json:1:2: cannot read this JSON: end of map flow not found (a key )"
                  R"(must be on one line with its ':', and at most 1024 characters))"},
        ErrorCase{"YamlSyntaxError", "spec.yaml", "main: {type: 1\n",
                  R"(spec.yaml:2:1: end of map flow not found)"},
        ErrorCase{"YamlSecondDocument", "spec.yaml", "a: {type: 1, flake: f}\n---\nb: {}\n",
                  R"(spec.yaml:2:1: expected one document, found a second one)"}),
    rowName);

TEST(RootParse, ReadsProjectsWithDefaults) {
  auto root = parseRootFile(R"({
  "web": {
    "displayname": "The web site", "description": "www", "homepage": "https://example.org",
    "enabled": false, "hidden": 1, "prune": "delete",
    "declarative": {"file": "ci/spec.json", "type": "path", "value": "/srv/web"}
  },
  "api": {"declarative": {"file": "spec.yaml", "value": "https://example.org/api.git main"}}
})",
                            "projects.json");
  ASSERT_TRUE(root) << root.error().message;
  ASSERT_EQ(root->projects.size(), 2u);
  const ProjectSpec& api = root->projects[0];
  EXPECT_EQ(api.name, "api");
  EXPECT_EQ(api.displayname, "api");
  EXPECT_EQ(api.description, "");
  EXPECT_EQ(api.homepage, "");
  EXPECT_TRUE(api.enabled);
  EXPECT_FALSE(api.hidden);
  EXPECT_EQ(api.prune, Prune::kDisable);
  EXPECT_EQ(api.declarative,
            (DeclarativeInput{"spec.yaml", "git", "https://example.org/api.git main"}));
  EXPECT_EQ(api.where.str(), "projects.json:7:3");
  const ProjectSpec& web = root->projects[1];
  EXPECT_EQ(web.displayname, "The web site");
  EXPECT_EQ(web.description, "www");
  EXPECT_EQ(web.homepage, "https://example.org");
  EXPECT_FALSE(web.enabled);
  EXPECT_TRUE(web.hidden);
  EXPECT_EQ(web.prune, Prune::kDelete);
  EXPECT_EQ(web.declarative, (DeclarativeInput{"ci/spec.json", "path", "/srv/web"}));
}

TEST(RootParse, InlineProjectsKeepTheirPlaceInHydrantYaml) {
  const YAML::Node config = YAML::Load(R"(log_level: info
projects:
  inline:
    hello:
      declarative: {file: spec.json, value: "https://example.org/hello.git"}
    world:
      declarative: {file: /spec.json, value: "https://example.org/world.git"}
      prune: never
)");
  auto root = parseRootNode(config["projects"]["inline"], "hydrant.yaml");
  ASSERT_FALSE(root);
  EXPECT_EQ(root.error().message,
            R"(hydrant.yaml:7:27: project "world": declarative: file "/spec.json" must be )"
            R"(relative to its input
hydrant.yaml:8:14: project "world": prune: expected "disable" or "delete", got "never")");

  auto hello = parseRootNode(YAML::Load("hello: {declarative: {file: s.json, value: /x}}\n"),
                             "hydrant.yaml");
  ASSERT_TRUE(hello) << hello.error().message;
  EXPECT_EQ(hello->projects.at(0).where.str(), "hydrant.yaml:1:1");

  auto missing = parseRootNode(config["projects"]["elsewhere"], "hydrant.yaml");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "hydrant.yaml: expected a mapping of projects, got nothing");
}

class RootParseError : public testing::TestWithParam<ErrorCase> {};

TEST_P(RootParseError, SaysWhereAndWhat) {
  auto root = parseRootFile(GetParam().text, GetParam().filename);
  ASSERT_FALSE(root);
  EXPECT_EQ(root.error().cls, ErrorClass::kInvalid);
  EXPECT_EQ(root.error().message, GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Table, RootParseError,
    testing::Values(
        ErrorCase{"UnknownKey", "projects.yaml", R"(hello:
  declarative: {file: s.json, value: /x}
  homepag: https://example.org
)",
                  R"(projects.yaml:3:3: project "hello": unknown key "homepag" (did you mean )"
                  R"("homepage"?))"},
        ErrorCase{"BadProjectName", "projects.yaml", R"(hello.world:
  declarative: {file: s.json, value: /x}
)",
                  R"(projects.yaml:1:1: project name "hello.world" must match )"
                  R"([A-Za-z_][A-Za-z0-9_-]*)"},
        ErrorCase{"MissingDeclarative", "projects.yaml", "hello: {displayname: Hello}\n",
                  R"(projects.yaml:1:1: project "hello": missing key "declarative")"},
        ErrorCase{"MissingFileAndValue", "projects.yaml", "hello:\n  declarative: {type: git}\n",
                  R"(projects.yaml:2:3: project "hello": declarative: missing key "file")"
                  "\n"
                  R"(projects.yaml:2:3: project "hello": declarative: missing key "value")"},
        ErrorCase{"FileLeavesTheInput", "projects.yaml",
                  "hello:\n  declarative: {file: ../spec.json, value: /x}\n",
                  R"(projects.yaml:2:23: project "hello": declarative: file "../spec.json" )"
                  R"(points outside its input)"},
        ErrorCase{"EmptyValue", "projects.json",
                  R"({"hello": {"declarative": {"file": "s.json", "value": ""}}})",
                  R"(projects.json:1:55: project "hello": declarative: value: expected a )"
                  R"(non-empty string, got "")"},
        ErrorCase{"UnknownDeclarativeType", "projects.yaml",
                  "hello:\n  declarative: {file: s.json, type: svn, value: /x}\n",
                  R"(projects.yaml:2:37: project "hello": declarative: type: expected "git" )"
                  R"(or "path", got "svn")"},
        ErrorCase{"ProjectNotAnObject", "projects.json", R"({"hello": "world"})",
                  R"(projects.json:1:11: project "hello": expected an object, got "world")"},
        ErrorCase{"TopLevelNotAnObject", "projects.json", R"(["hello"])",
                  R"(projects.json:1:1: expected an object of projects, got an array)"},
        ErrorCase{"JsonDuplicateProject", "projects.json", R"({
  "hello": {"declarative": {"file": "s.json", "value": "/x"}},
  "hello": {"declarative": {"file": "s.json", "value": "/y"}}
})",
                  R"(projects.json:3:3: duplicate key "hello")"}),
    rowName);

TEST(SpecModel, SameAsComparesEveryStoredFieldButNotWhere) {
  JobsetSpec base;
  base.name = "main";
  JobsetSpec moved = base;
  moved.where = {"other.json", 9, 9};
  EXPECT_TRUE(base.sameAs(moved));
  std::vector<void (*)(JobsetSpec&)> changes = {
      [](JobsetSpec& j) { j.name = "x"; },
      [](JobsetSpec& j) { j.enabled = Enabled::kOneShot; },
      [](JobsetSpec& j) { j.hidden = true; },
      [](JobsetSpec& j) { j.type = 1; },
      [](JobsetSpec& j) { j.flake = "f"; },
      [](JobsetSpec& j) { j.description = "d"; },
      [](JobsetSpec& j) { j.nixexprinput = "i"; },
      [](JobsetSpec& j) { j.nixexprpath = "p"; },
      [](JobsetSpec& j) { j.checkinterval = 1; },
      [](JobsetSpec& j) { j.schedulingshares = 1; },
      [](JobsetSpec& j) { j.enableemail = false; },
      [](JobsetSpec& j) { j.emailoverride = "e"; },
      [](JobsetSpec& j) { j.keepnr = 1; },
      [](JobsetSpec& j) {
        j.inputs.push_back({"src", "git", "u", false});
      },
  };
  for (size_t i = 0; i < changes.size(); ++i) {
    JobsetSpec changed = base;
    changes[i](changed);
    EXPECT_FALSE(base.sameAs(changed)) << "change " << i;
  }
  ProjectSpec project;
  ProjectSpec other = project;
  other.where = {"x", 1, 1};
  EXPECT_TRUE(project.sameAs(other));
  other.declarative.value = "/elsewhere";
  EXPECT_FALSE(project.sameAs(other));
  other = project;
  other.prune = Prune::kDelete;
  EXPECT_FALSE(project.sameAs(other));
}

TEST(SpecModel, NamesAndPlaces) {
  EXPECT_EQ((Location{"spec.json", 14, 9}.str()), "spec.json:14:9");
  EXPECT_EQ((Location{"spec.json", 0, 0}.str()), "spec.json");
  EXPECT_STREQ(pruneName(Prune::kDisable), "disable");
  EXPECT_STREQ(pruneName(Prune::kDelete), "delete");
  EXPECT_EQ(formatOf("a/spec.yaml"), Format::kYaml);
  EXPECT_EQ(formatOf("spec.yml"), Format::kYaml);
  EXPECT_EQ(formatOf("spec.json"), Format::kJson);
  EXPECT_EQ(formatOf("spec"), Format::kJson);
  for (const char* ok : {"main", "_x", "release-23.11", ".jobsets", "a.b_c-D"}) {
    EXPECT_TRUE(validJobsetName(ok)) << ok;
  }
  for (const char* bad : {"", "1x", "-x", ".x", "a b", "a/b", "é"}) {
    EXPECT_FALSE(validJobsetName(bad)) << bad;
  }
  EXPECT_TRUE(validProjectName("hello-world_2"));
  EXPECT_FALSE(validProjectName("hello.world"));
  EXPECT_FALSE(validProjectName(".jobsets"));
}

}  // namespace
}  // namespace hydrant::specs
