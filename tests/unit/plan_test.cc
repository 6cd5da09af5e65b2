#include "specs/plan.hh"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace hydrant::specs {
namespace {

InputSpec input(std::string name, std::string type, std::string value, bool email = false) {
  return InputSpec{std::move(name), std::move(type), std::move(value), email};
}

// A typical legacy jobset: release.nix from a git input.
JobsetSpec legacy(const std::string& name) {
  JobsetSpec j;
  j.name = name;
  j.nixexprinput = "src";
  j.nixexprpath = "release.nix";
  j.emailoverride = "ci@example.org";
  j.inputs = {input("src", "git", "file:///repo main")};
  return j;
}

// The ".jobsets" row as Hydra creates it for a declarative project.
JobsetSpec generator() {
  JobsetSpec j;
  j.name = kGeneratorJobset;
  j.nixexprinput = "";
  j.nixexprpath = "";
  return j;
}

template <class Edit>
JobsetSpec with(JobsetSpec j, Edit edit) {
  edit(j);
  return j;
}

JobsetSpec disabledHidden(JobsetSpec j) {
  j.enabled = Enabled::kDisabled;
  j.hidden = true;
  return j;
}

ActualJobset stored(JobsetSpec j, bool has_builds = false) { return {std::move(j), has_builds}; }

ProjectFile staticFile(std::vector<JobsetSpec> jobsets) {
  return ProjectFile{ProjectFile::Mode::kStatic, std::move(jobsets)};
}

ProjectFile generatedFile(JobsetSpec jobsets) {
  return ProjectFile{ProjectFile::Mode::kGenerated, {std::move(jobsets)}};
}

ProjectSpec project(Prune prune = Prune::kDisable) {
  ProjectSpec p;
  p.name = "hello";
  p.displayname = "Hello";
  p.description = "Says hello";
  p.homepage = "https://example.org/hello";
  p.prune = prune;
  p.declarative = {"spec.json", "git", "https://example.org/hello.git main"};
  return p;
}

template <class Edit>
ProjectSpec with(ProjectSpec p, Edit edit) {
  edit(p);
  return p;
}

using Planner = std::function<ProjectPlan()>;

Planner jobsets(ProjectFile file, std::vector<ActualJobset> actual, Prune prune = Prune::kDisable) {
  return [=] {
    ProjectPlan plan;
    plan.project = "hello";
    diffJobsets(file, actual, prune, plan);
    return plan;
  };
}

Planner projectDiff(ProjectSpec desired, std::optional<ActualProject> actual) {
  return [=] { return diffProject(desired, actual); };
}

Planner removal(ProjectSpec spec, std::vector<ActualJobset> actual) {
  return [=] { return removeProject(ActualProject{spec, actual}); };
}

std::string valueOf(const std::string& value, bool absent) { return absent ? "(absent)" : value; }

void summarizeChange(std::vector<std::string>& out, const std::string& head, Action action,
                     const std::vector<FieldChange>& fields) {
  out.push_back(head + " " + actionName(action));
  for (const FieldChange& f : fields) {
    out.push_back("  " + f.field + ": " + valueOf(f.from, f.from_absent) + " → " +
                  valueOf(f.to, f.to_absent));
  }
}

// One line per row, then one per field: what a plan says, in a form a table row can state.
std::vector<std::string> summarize(const ProjectPlan& plan) {
  std::vector<std::string> out;
  summarizeChange(out, "project " + plan.project, plan.action, plan.project_fields);
  for (const JobsetChange& j : plan.jobsets) {
    summarizeChange(out, "jobset " + j.name, j.action, j.fields);
  }
  return out;
}

struct DiffCase {
  std::string name;
  Planner plan;
  std::vector<std::string> want;
};

void PrintTo(const DiffCase& c, std::ostream* os) { *os << c.name; }

class PlanDiff : public ::testing::TestWithParam<DiffCase> {};

TEST_P(PlanDiff, ListsEveryChange) { EXPECT_EQ(summarize(GetParam().plan()), GetParam().want); }

const std::vector<std::string> kLegacyCreateFields = {
    "  enabled: (absent) → 1",
    "  hidden: (absent) → false",
    "  type: (absent) → 0",
    "  description: (absent) → \"\"",
    "  nixexprinput: (absent) → \"src\"",
    "  nixexprpath: (absent) → \"release.nix\"",
    "  checkinterval: (absent) → 300",
    "  schedulingshares: (absent) → 100",
    "  enableemail: (absent) → true",
    "  emailoverride: (absent) → \"ci@example.org\"",
    "  keepnr: (absent) → 3",
    "  inputs.src: (absent) → \"git file:///repo main\"",
};

std::vector<std::string> lines(std::vector<std::string> head, std::vector<std::string> tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

const std::vector<DiffCase> kJobsetCases = {
    {"NewJobsetIsCreatedWithEveryField",
     jobsets(staticFile({legacy("main"), legacy("staging")}), {stored(legacy("main"))}),
     lines({"project hello unchanged", "jobset main unchanged", "jobset staging create"},
           kLegacyCreateFields)},
    {"ChangedFieldIsAnUpdate",
     jobsets(staticFile({with(legacy("main"), [](auto& j) { j.checkinterval = 60; })}),
             {stored(legacy("main"))}),
     {"project hello unchanged", "jobset main update", "  checkinterval: 300 → 60"}},
    {"ChangedInputValueIsAnUpdate",
     jobsets(staticFile(
                 {with(legacy("main"), [](auto& j) { j.inputs[0].value = "file:///repo dev"; })}),
             {stored(legacy("main"))}),
     {"project hello unchanged", "jobset main update",
      "  inputs.src.value: \"file:///repo main\" → \"file:///repo dev\""}},
    {"ChangedInputTypeAndEmailResponsibleAreUpdates",
     jobsets(
         staticFile({with(legacy("main"),
                          [](auto& j) { j.inputs = {input("src", "path", "/srv/src", true)}; })}),
         {stored(with(legacy("main"), [](auto& j) { j.inputs[0].value = "/srv/src"; }))}),
     {"project hello unchanged", "jobset main update", "  inputs.src.type: \"git\" → \"path\"",
      "  inputs.src.emailresponsible: false → true"}},
    {"AddedInputIsListedAsTypeAndValue",
     jobsets(staticFile({with(legacy("main"),
                              [](auto& j) {
                                j.inputs.insert(j.inputs.begin(),
                                                input("nixpkgs", "git", "https://x/nixpkgs"));
                              })}),
             {stored(legacy("main"))}),
     {"project hello unchanged", "jobset main update",
      "  inputs.nixpkgs: (absent) → \"git https://x/nixpkgs\""}},
    {"RemovedInputIsListedAsAbsent",
     jobsets(staticFile({legacy("main")}),
             {stored(with(legacy("main"),
                          [](auto& j) { j.inputs.push_back(input("tools", "path", "/srv")); }))}),
     {"project hello unchanged", "jobset main update", "  inputs.tools: \"path /srv\" → (absent)"}},
    {"LegacyToFlakeShowsAbsentValues",
     jobsets(staticFile({with(legacy("main"),
                              [](auto& j) {
                                j.type = 1;
                                j.flake = "github:acme/hello";
                                j.nixexprinput.reset();
                                j.nixexprpath.reset();
                                j.inputs.clear();
                              })}),
             {stored(legacy("main"))}),
     {"project hello unchanged", "jobset main update", "  type: 0 → 1",
      "  flake: (absent) → \"github:acme/hello\"", "  nixexprinput: \"src\" → (absent)",
      "  nixexprpath: \"release.nix\" → (absent)",
      "  inputs.src: \"git file:///repo main\" → (absent)"}},
    {"StringsAreQuotedAndEscaped",
     jobsets(staticFile({with(legacy("main"), [](auto& j) { j.description = "say \"hi\"\n"; })}),
             {stored(legacy("main"))}),
     {"project hello unchanged", "jobset main update",
      "  description: \"\" → \"say \\\"hi\\\"\\n\""}},
    {"UnchangedJobsetIsUnchanged",
     jobsets(staticFile({legacy("main")}), {stored(legacy("main"), true)}),
     {"project hello unchanged", "jobset main unchanged"}},
};

const std::vector<DiffCase> kRemovalCases = {
    {"RemovedJobsetIsDisabledAndHiddenUnderPruneDisable",
     jobsets(staticFile({legacy("main")}), {stored(legacy("main")), stored(legacy("old"))}),
     {"project hello unchanged", "jobset main unchanged", "jobset old disable", "  enabled: 1 → 0",
      "  hidden: false → true"}},
    {"RemovedJobsetWithoutBuildsIsDeletedUnderPruneDelete",
     jobsets(staticFile({legacy("main")}), {stored(legacy("main")), stored(legacy("old"))},
             Prune::kDelete),
     {"project hello unchanged", "jobset main unchanged", "jobset old delete"}},
    {"RemovedJobsetWithBuildsIsDisabledUnderPruneDelete",
     jobsets(staticFile({legacy("main")}), {stored(legacy("main")), stored(legacy("old"), true)},
             Prune::kDelete),
     {"project hello unchanged", "jobset main unchanged", "jobset old disable", "  enabled: 1 → 0",
      "  hidden: false → true"}},
    {"AlreadyDisabledAndHiddenRemovalIsUnchanged",
     jobsets(staticFile({}), {stored(disabledHidden(legacy("old")), true)}, Prune::kDelete),
     {"project hello unchanged", "jobset old unchanged"}},
    {"AlreadyDisabledAndHiddenWithoutBuildsIsDeletedUnderPruneDelete",
     jobsets(staticFile({}), {stored(disabledHidden(legacy("old")))}, Prune::kDelete),
     {"project hello unchanged", "jobset old delete"}},
    {"DisabledButVisibleRemovalOnlyHides",
     jobsets(staticFile({}),
             {stored(with(legacy("old"), [](auto& j) { j.enabled = Enabled::kDisabled; }))}),
     {"project hello unchanged", "jobset old disable", "  hidden: false → true"}},
    {"EmptyStaticFileDisablesEveryJobset",
     jobsets(staticFile({}), {stored(legacy("a")), stored(legacy("b"))}),
     {"project hello unchanged", "jobset a disable", "  enabled: 1 → 0", "  hidden: false → true",
      "jobset b disable", "  enabled: 1 → 0", "  hidden: false → true"}},
    {"ReAddedJobsetIsEnabledAgain",
     jobsets(staticFile({legacy("main")}), {stored(disabledHidden(legacy("main")), true)}),
     {"project hello unchanged", "jobset main update", "  enabled: 0 → 1",
      "  hidden: true → false"}},
    {"JobsetsAreSortedByName",
     jobsets(staticFile({legacy("alpha"), legacy("zeta")}),
             {stored(legacy("zeta")), stored(legacy("middle")), stored(legacy("alpha"))}),
     {"project hello unchanged", "jobset alpha unchanged", "jobset middle disable",
      "  enabled: 1 → 0", "  hidden: false → true", "jobset zeta unchanged"}},
    {"GeneratedModeComparesOnlyGeneratorJobset",
     jobsets(generatedFile(with(generator(), [](auto& j) { j.checkinterval = 60; })),
             {stored(generator()), stored(legacy("pr-1")), stored(legacy("pr-2"))}, Prune::kDelete),
     {"project hello unchanged", "jobset .jobsets update", "  checkinterval: 300 → 60"}},
    {"StaticModeNeverRemovesGeneratorJobset",
     jobsets(staticFile({legacy("main")}), {stored(generator()), stored(legacy("main"))},
             Prune::kDelete),
     {"project hello unchanged", "jobset main unchanged"}},
};

const std::vector<DiffCase> kProjectCases = {
    {"ProjectIsCreatedWithEveryField",
     projectDiff(project(), std::nullopt),
     {"project hello create", "  displayname: (absent) → \"Hello\"",
      "  description: (absent) → \"Says hello\"",
      "  homepage: (absent) → \"https://example.org/hello\"", "  enabled: (absent) → true",
      "  hidden: (absent) → false", "  prune: (absent) → \"disable\"",
      "  declarative.file: (absent) → \"spec.json\"", "  declarative.type: (absent) → \"git\"",
      "  declarative.value: (absent) → \"https://example.org/hello.git main\""}},
    {"ProjectFieldChangesAreAnUpdate",
     projectDiff(with(project(Prune::kDelete),
                      [](auto& p) { p.declarative.value = "https://example.org/hello.git dev"; }),
                 ActualProject{with(project(), [](auto& p) { p.description = "old"; }), {}}),
     {"project hello update", "  description: \"old\" → \"Says hello\"",
      "  prune: \"disable\" → \"delete\"",
      "  declarative.value: \"https://example.org/hello.git main\" → "
      "\"https://example.org/hello.git dev\""}},
    {"UnchangedProjectIsUnchanged",
     projectDiff(project(), ActualProject{project(), {stored(legacy("main"))}}),
     {"project hello unchanged"}},
    {"ReAddedProjectIsEnabledAgain",
     projectDiff(project(), ActualProject{with(project(),
                                               [](auto& p) {
                                                 p.enabled = false;
                                                 p.hidden = true;
                                               }),
                                          {}}),
     {"project hello update", "  enabled: false → true", "  hidden: true → false"}},
    {"RemovedProjectIsDisabledAndHiddenUnderPruneDisable",
     removal(project(), {stored(generator()), stored(legacy("main"))}),
     {"project hello disable", "  enabled: true → false", "  hidden: false → true",
      "jobset .jobsets disable", "  enabled: 1 → 0", "  hidden: false → true",
      "jobset main disable", "  enabled: 1 → 0", "  hidden: false → true"}},
    {"RemovedProjectWithoutBuildsIsDeletedUnderPruneDelete",
     removal(project(Prune::kDelete), {stored(generator()), stored(legacy("main"))}),
     {"project hello delete", "jobset .jobsets delete", "jobset main delete"}},
    {"RemovedProjectWithBuildsIsDisabledUnderPruneDelete",
     removal(project(Prune::kDelete),
             {stored(generator(), true), stored(disabledHidden(legacy("main")))}),
     {"project hello disable", "  enabled: true → false", "  hidden: false → true",
      "jobset .jobsets disable", "  enabled: 1 → 0", "  hidden: false → true",
      "jobset main unchanged"}},
    {"AlreadyDisabledProjectRemovalIsUnchanged",
     removal(with(project(),
                  [](auto& p) {
                    p.enabled = false;
                    p.hidden = true;
                  }),
             {stored(disabledHidden(legacy("main")), true)}),
     {"project hello unchanged", "jobset main unchanged"}},
};

std::string caseName(const ::testing::TestParamInfo<DiffCase>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(Jobsets, PlanDiff, ::testing::ValuesIn(kJobsetCases), caseName);
INSTANTIATE_TEST_SUITE_P(Removal, PlanDiff, ::testing::ValuesIn(kRemovalCases), caseName);
INSTANTIATE_TEST_SUITE_P(Projects, PlanDiff, ::testing::ValuesIn(kProjectCases), caseName);

TEST(JobsetPlan, DisableKeepsTheStoredSpecDisabledAndHidden) {
  const JobsetSpec old = with(legacy("old"), [](auto& j) { j.keepnr = 9; });
  ProjectPlan plan;
  diffJobsets(staticFile({}), {stored(old, true)}, Prune::kDelete, plan);
  ASSERT_EQ(plan.jobsets.size(), 1u);
  EXPECT_EQ(plan.jobsets[0].action, Action::kDisable);
  EXPECT_TRUE(plan.jobsets[0].desired.sameAs(disabledHidden(old)));
}

TEST(JobsetPlan, CreateAndUpdateCarryTheDesiredSpec) {
  const JobsetSpec main = with(legacy("main"), [](auto& j) { j.keepnr = 9; });
  const JobsetSpec next = legacy("next");
  ProjectPlan plan;
  diffJobsets(staticFile({main, next}), {stored(legacy("main"))}, Prune::kDisable, plan);
  ASSERT_EQ(plan.jobsets.size(), 2u);
  EXPECT_EQ(plan.jobsets[0].action, Action::kUpdate);
  EXPECT_TRUE(plan.jobsets[0].desired.sameAs(main));
  EXPECT_EQ(plan.jobsets[1].action, Action::kCreate);
  EXPECT_TRUE(plan.jobsets[1].desired.sameAs(next));
}

TEST(ProjectPlan, RemovalCarriesTheDisabledAndHiddenProject) {
  const ProjectPlan plan = removeProject(ActualProject{project(), {}});
  EXPECT_EQ(plan.action, Action::kDisable);
  EXPECT_TRUE(plan.desired.sameAs(with(project(), [](auto& p) {
    p.enabled = false;
    p.hidden = true;
  })));
}

TEST(ProjectPlan, CountsJobsetsByActionAndSaysWhetherAnythingChanges) {
  ProjectPlan plan = diffProject(project(), ActualProject{project(), {}});
  diffJobsets(staticFile({legacy("a"), legacy("b")}),
              {stored(legacy("b")), stored(legacy("c")), stored(legacy("d"))}, Prune::kDisable,
              plan);
  EXPECT_EQ(plan.count(Action::kCreate), 1);
  EXPECT_EQ(plan.count(Action::kDisable), 2);
  EXPECT_EQ(plan.count(Action::kUnchanged), 1);
  EXPECT_EQ(plan.count(Action::kDelete), 0);
  EXPECT_TRUE(plan.hasChanges());

  ProjectPlan same = diffProject(project(), ActualProject{project(), {}});
  diffJobsets(staticFile({legacy("b")}), {stored(legacy("b"))}, Prune::kDisable, same);
  EXPECT_FALSE(same.hasChanges());

  const ProjectPlan onlyProject = diffProject(project(), std::nullopt);
  EXPECT_TRUE(onlyProject.hasChanges());
}

TEST(PlanAction, HasStableNames) {
  EXPECT_STREQ(actionName(Action::kCreate), "create");
  EXPECT_STREQ(actionName(Action::kUpdate), "update");
  EXPECT_STREQ(actionName(Action::kDisable), "disable");
  EXPECT_STREQ(actionName(Action::kDelete), "delete");
  EXPECT_STREQ(actionName(Action::kUnchanged), "unchanged");
}

TEST(PlanJson, FieldValuesAreTypedAndAbsentIsNull) {
  ProjectPlan plan;
  diffJobsets(staticFile({with(legacy("main"),
                               [](auto& j) {
                                 j.checkinterval = 60;
                                 j.enableemail = false;
                                 j.flake = "github:acme/hello";
                               })}),
              {stored(legacy("main"))}, Prune::kDisable, plan);
  const auto doc = nlohmann::json::parse(renderJson(plan, ""));
  const auto& fields = doc.at("changes").at(0).at("fields");
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_EQ(fields[0].at("field"), "flake");
  EXPECT_TRUE(fields[0].at("from").is_null());
  EXPECT_EQ(fields[0].at("to"), "github:acme/hello");
  EXPECT_EQ(fields[1].at("to"), 60);
  EXPECT_EQ(fields[2].at("to"), false);
  EXPECT_TRUE(doc.at("revision").is_null());
}

// Golden files: tests/unit/golden/plan_NAME.{txt,json}, compared byte for byte. Run with
// HYDRANT_UPDATE_GOLDEN=1 to rewrite them, then read the diff before committing it.
void expectGolden(const std::string& file, const std::string& actual) {
  const std::string path = std::string(HYDRANT_SOURCE_DIR) + "/tests/unit/golden/" + file;
  const char* update = std::getenv("HYDRANT_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream out(path, std::ios::binary);
    out << actual;
    ASSERT_TRUE(out.good()) << "cannot write " << path;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in.is_open()) << "cannot read " << path << "; actual output:\n" << actual;
  std::stringstream want;
  want << in.rdbuf();
  EXPECT_EQ(want.str(), actual) << path << " differs (HYDRANT_UPDATE_GOLDEN=1 rewrites it); "
                                << "actual output:\n"
                                << actual;
}

// Every action at once: a project update, and jobsets created, updated, disabled (it has
// builds), deleted (it has none) and unchanged.
ProjectPlan mixedPlan() {
  const ProjectSpec desired = with(
      project(Prune::kDelete), [](auto& p) { p.description = "Says \"hello\" in many languages"; });
  const ActualProject actual{project(Prune::kDelete),
                             {stored(legacy("docs"), true), stored(legacy("gone")),
                              stored(legacy("main"), true), stored(legacy("old"), true)}};
  const JobsetSpec main = with(legacy("main"), [](auto& j) {
    j.checkinterval = 60;
    j.inputs = {input("nixpkgs", "git", "https://github.com/NixOS/nixpkgs nixos-24.05"),
                input("src", "git", "file:///repo dev")};
  });
  const JobsetSpec staging = with(legacy("staging"), [](auto& j) {
    j.type = 1;
    j.flake = "git+file:///repo?ref=staging";
    j.nixexprinput.reset();
    j.nixexprpath.reset();
    j.inputs.clear();
    j.enabled = Enabled::kOneAtATime;
  });
  ProjectPlan plan = diffProject(desired, actual);
  diffJobsets(staticFile({legacy("docs"), main, staging}), actual.jobsets, desired.prune, plan);
  return plan;
}

ProjectPlan unchangedPlan() {
  const ActualProject actual{project(), {stored(generator()), stored(legacy("main"))}};
  ProjectPlan plan = diffProject(project(), actual);
  diffJobsets(staticFile({legacy("main")}), actual.jobsets, Prune::kDisable, plan);
  return plan;
}

ProjectPlan newProjectPlan() {
  ProjectPlan plan = diffProject(project(), std::nullopt);
  diffJobsets(staticFile({legacy("main")}), {}, Prune::kDisable, plan);
  return plan;
}

struct GoldenCase {
  std::string name;
  std::string file;  // tests/unit/golden/plan_FILE.{txt,json}
  std::function<ProjectPlan()> plan;
  std::string revision;
};

void PrintTo(const GoldenCase& c, std::ostream* os) { *os << c.name; }

class PlanGolden : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(PlanGolden, TextMatchesGoldenFile) {
  expectGolden("plan_" + GetParam().file + ".txt",
               renderText(GetParam().plan(), GetParam().revision));
}

TEST_P(PlanGolden, JsonMatchesGoldenFile) {
  expectGolden("plan_" + GetParam().file + ".json",
               renderJson(GetParam().plan(), GetParam().revision));
}

const char* kRevision = "3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39";

INSTANTIATE_TEST_SUITE_P(
    Plans, PlanGolden,
    ::testing::Values(
        GoldenCase{"EveryAction", "mixed", mixedPlan, kRevision},
        GoldenCase{"NothingChanges", "unchanged", unchangedPlan, ""},
        GoldenCase{"NewProject", "new_project", newProjectPlan, kRevision},
        GoldenCase{"RemovedProject", "removed_project",
                   removal(project(), {stored(generator()), stored(legacy("main"), true)}),
                   kRevision},
        GoldenCase{"DeletedProject", "deleted_project",
                   removal(project(Prune::kDelete), {stored(generator()), stored(legacy("main"))}),
                   kRevision}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace hydrant::specs
