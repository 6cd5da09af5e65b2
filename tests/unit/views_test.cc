// The JSON views of evaluations and builds: Hydra's field names and value types, so that tools
// written against Hydra's /eval/ID and /build/ID read `hydrant get … -o json` unchanged.
#include "controller/views.hh"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>

#include "controller/db/evals.hh"

namespace hydrant::views {
namespace {

using nlohmann::json;

db::EvalView legacyEval() {
  db::EvalView e;
  e.id = 42;
  e.timestamp = 1714564800;
  e.checkouttime = 3;
  e.evaltime = 17;
  e.hasnewbuilds = true;
  e.builds = {7, 8, 11};
  e.inputs["src"] = {"git", "https://example.org/hello.git",
                     "0123456789abcdef0123456789abcdef01234567", "https://example.org/hello.git",
                     std::nullopt};
  e.inputs["tarball"] = {"build", std::nullopt, std::nullopt, std::nullopt, 5};
  e.errormsg = "in job ‘broken’:\nerror: undefined variable 'x'\n";
  return e;
}

TEST(EvalView, LegacyEvaluationHasHydrasFieldsAndTypes) {
  const json expected = json::parse(R"({
    "id": 42,
    "timestamp": 1714564800,
    "checkouttime": 3,
    "evaltime": 17,
    "hasnewbuilds": 1,
    "flake": null,
    "nrbuilds": null,
    "builds": [7, 8, 11],
    "jobsetevalinputs": {
      "src": { "uri": "https://example.org/hello.git", "type": "git",
               "revision": "0123456789abcdef0123456789abcdef01234567",
               "value": "https://example.org/hello.git", "dependency": null },
      "tarball": { "uri": null, "type": "build", "revision": null, "value": null,
                   "dependency": 5 }
    },
    "errormsg": "in job ‘broken’:\nerror: undefined variable 'x'\n"
  })");
  EXPECT_EQ(eval(legacyEval()), expected);
}

TEST(EvalView, FlakeEvaluationShowsItsLockedFlakeAndCount) {
  db::EvalView e;
  e.id = 3;
  e.timestamp = 1;
  e.hasnewbuilds = false;
  e.nrbuilds = 2;
  e.flake = "github:org/repo/0123456789abcdef0123456789abcdef01234567";
  e.builds = {1, 2};
  const json j = eval(e);
  EXPECT_EQ(j["flake"], "github:org/repo/0123456789abcdef0123456789abcdef01234567");
  EXPECT_EQ(j["nrbuilds"], 2);
  EXPECT_EQ(j["hasnewbuilds"], 0);
  EXPECT_TRUE(j["hasnewbuilds"].is_number_integer());
  EXPECT_EQ(j["jobsetevalinputs"], json::object());
  EXPECT_EQ(j["errormsg"], "");
}

db::BuildView finishedBuild() {
  db::BuildView b;
  b.id = 7;
  b.project = "hello";
  b.jobset = "main";
  b.job = "hello.x86_64-linux";
  b.finished = true;
  b.buildstatus = 0;
  b.timestamp = 1714564801;
  b.drvpath = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-hello-2.12.drv";
  b.system = "x86_64-linux";
  b.nixname = "hello-2.12";
  b.priority = 50;
  b.iscurrent = true;
  b.buildoutputs = {{"out", "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-hello-2.12"},
                    {"doc", "/nix/store/cccccccccccccccccccccccccccccccc-hello-2.12-doc"}};
  return b;
}

TEST(BuildView, FinishedBuildHasHydrasFieldsAndTypes) {
  const json expected = json::parse(R"({
    "id": 7,
    "project": "hello",
    "jobset": "main",
    "job": "hello.x86_64-linux",
    "finished": 1,
    "buildstatus": 0,
    "timestamp": 1714564801,
    "drvpath": "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-hello-2.12.drv",
    "system": "x86_64-linux",
    "nixname": "hello-2.12",
    "priority": 50,
    "iscurrent": 1,
    "buildoutputs": {
      "out": { "path": "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-hello-2.12" },
      "doc": { "path": "/nix/store/cccccccccccccccccccccccccccccccc-hello-2.12-doc" }
    }
  })");
  EXPECT_EQ(build(finishedBuild()), expected);
}

TEST(BuildView, QueuedBuildHasNullStatusWhateverTheColumnHolds) {
  db::BuildView b = finishedBuild();
  b.finished = false;
  b.iscurrent = false;
  b.buildstatus = 3;
  const json j = build(b);
  EXPECT_EQ(j["finished"], 0);
  EXPECT_TRUE(j["buildstatus"].is_null()) << j;
  EXPECT_EQ(j["iscurrent"], 0);
}

struct StatusCase {
  std::string name;
  bool finished;
  std::optional<int> buildstatus;
  std::string label;
};

void PrintTo(const StatusCase& c, std::ostream* out) { *out << c.name; }

class BuildStatusLabel : public testing::TestWithParam<StatusCase> {};

TEST_P(BuildStatusLabel, NamesTheState) {
  db::BuildView b;
  b.finished = GetParam().finished;
  b.buildstatus = GetParam().buildstatus;
  EXPECT_EQ(buildStatusLabel(b), GetParam().label);
}

INSTANTIATE_TEST_SUITE_P(
    Codes, BuildStatusLabel,
    testing::Values(StatusCase{"Queued", false, std::nullopt, "queued"},
                    StatusCase{"QueuedWithStaleCode", false, 1, "queued"},
                    StatusCase{"Success", true, 0, "succeeded"},
                    StatusCase{"Failed", true, 1, "failed"},
                    StatusCase{"DependencyFailed", true, 2, "dependency failed"},
                    StatusCase{"Aborted", true, 3, "aborted"},
                    StatusCase{"Cancelled", true, 4, "cancelled"},
                    StatusCase{"FailedWithOutput", true, 6, "failed with output"},
                    StatusCase{"TimedOut", true, 7, "timed out"},
                    StatusCase{"Unsupported", true, 9, "unsupported system"},
                    StatusCase{"NonDeterministic", true, 12, "non-deterministic"},
                    StatusCase{"UnknownCode", true, 13, "status 13"},
                    StatusCase{"FinishedWithoutCode", true, std::nullopt, "finished"}),
    [](const testing::TestParamInfo<StatusCase>& info) { return info.param.name; });

}  // namespace
}  // namespace hydrant::views
