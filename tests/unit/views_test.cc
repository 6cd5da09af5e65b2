// The JSON views of evaluations and builds: Hydra's field names and value types, so that tools
// written against Hydra's /eval/ID and /build/ID read `hydrant get … -o json` unchanged.
#include "controller/views.hh"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "controller/db/evals.hh"
#include "controller/db/steps.hh"

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
    },
    "steps": []
  })");
  EXPECT_EQ(build(finishedBuild(), {}), expected);
}

TEST(BuildView, QueuedBuildHasNullStatusWhateverTheColumnHolds) {
  db::BuildView b = finishedBuild();
  b.finished = false;
  b.iscurrent = false;
  b.buildstatus = 3;
  const json j = build(b, {});
  EXPECT_EQ(j["finished"], 0);
  EXPECT_TRUE(j["buildstatus"].is_null()) << j;
  EXPECT_EQ(j["iscurrent"], 0);
}

db::StepView step(int stepnr, int busy, std::optional<int> status) {
  db::StepView s;
  s.build = 7;
  s.stepnr = stepnr;
  s.drvpath = "/nix/store/dddddddddddddddddddddddddddddddd-dep.drv";
  s.machine = "localhost";
  s.busy = busy;
  s.status = status;
  return s;
}

TEST(BuildView, StepsAreHydrasBuildStepsRowsInOrder) {
  db::StepView done = step(1, 0, 0);
  done.starttime = 1714564810;
  done.stoptime = 1714564815;
  db::StepView propagated = step(2, 0, 1);
  propagated.machine = "";
  propagated.drvpath = "/nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-lib.drv";
  propagated.starttime = propagated.stoptime = 1714564820;
  propagated.errormsg = "builder failed with exit code 1";
  propagated.propagatedfrom = 5;
  const json expected = json::parse(R"([
    { "stepnr": 1, "drvpath": "/nix/store/dddddddddddddddddddddddddddddddd-dep.drv",
      "machine": "localhost", "status": 0, "busy": 0, "starttime": 1714564810,
      "stoptime": 1714564815, "errormsg": null, "propagatedfrom": null },
    { "stepnr": 2, "drvpath": "/nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-lib.drv",
      "machine": "", "status": 1, "busy": 0, "starttime": 1714564820, "stoptime": 1714564820,
      "errormsg": "builder failed with exit code 1", "propagatedfrom": 5 }
  ])");
  EXPECT_EQ(build(finishedBuild(), {done, propagated})["steps"], expected);
}

TEST(BuildView, RunningStepHasNullStatusAndStoptime) {
  db::StepView running = step(1, 30, std::nullopt);
  running.starttime = 1714564810;
  const json j = build(finishedBuild(), {running})["steps"][0];
  EXPECT_EQ(j["busy"], 30);
  EXPECT_TRUE(j["status"].is_null()) << j;
  EXPECT_TRUE(j["stoptime"].is_null()) << j;
  EXPECT_EQ(j["starttime"], 1714564810);
}

struct SummaryCase {
  std::string name;
  std::vector<db::StepView> steps;
  std::string summary;
};

void PrintTo(const SummaryCase& c, std::ostream* out) { *out << c.name; }

class StepsSummary : public testing::TestWithParam<SummaryCase> {};

TEST_P(StepsSummary, CountsStepsAndTheOnesToLookAt) {
  EXPECT_EQ(stepsSummary(GetParam().steps), GetParam().summary);
}

INSTANTIATE_TEST_SUITE_P(
    Steps, StepsSummary,
    testing::Values(
        SummaryCase{"NoSteps", {}, "0"},
        SummaryCase{"AllSucceeded", {step(1, 0, 0), step(2, 0, 0)}, "2"},
        SummaryCase{"OneRunning", {step(1, 0, 0), step(2, 10, std::nullopt)}, "2 (1 running)"},
        SummaryCase{"FailedWithOutputCountsAsFailed", {step(1, 0, 6)}, "1 (1 failed)"},
        SummaryCase{"AbortedAndRedone", {step(1, 0, 3), step(2, 0, 0)}, "2 (1 aborted)"},
        SummaryCase{"Mixed",
                    {step(1, 0, 4), step(2, 0, 1), step(3, 0, 7), step(4, 40, std::nullopt)},
                    "4 (1 running, 2 failed, 1 aborted)"}),
    [](const testing::TestParamInfo<SummaryCase>& info) { return info.param.name; });

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

TEST(UtcTime, FormatsUnixSecondsInUtc) {
  EXPECT_EQ(utcTime(1714564800), "2024-05-01 12:00:00");
  EXPECT_EQ(utcTime(0), "1970-01-01 00:00:00");
}

MachinesStatus twoMachines() {
  MachinesStatus s;
  s.updated = 1714564800;
  MachineStatus local;
  local.uri = "localhost";
  local.systems = {"x86_64-linux", "i686-linux"};
  local.max_jobs = 4;
  local.current_jobs = 2;
  local.supported_features = {"kvm", "big-parallel"};
  MachineStatus remote;
  remote.uri = "ssh://builder@arm.example.org";
  remote.systems = {"aarch64-linux"};
  remote.max_jobs = 8;
  remote.speed_factor = 2.5;
  remote.mandatory_features = {"benchmark"};
  remote.disabled_until = 1714565000;
  remote.consecutive_failures = 2;
  s.machines = {local, remote};
  return s;
}

TEST(MachinesView, HydrasMachinesObjectKeyedByUri) {
  const json expected = json::parse(R"({
    "localhost": {
      "systemTypes": ["x86_64-linux", "i686-linux"], "maxJobs": 4, "speedFactor": 1,
      "supportedFeatures": ["kvm", "big-parallel"], "mandatoryFeatures": [], "currentJobs": 2,
      "disabledUntil": 0, "consecutiveFailures": 0, "enabled": true
    },
    "ssh://builder@arm.example.org": {
      "systemTypes": ["aarch64-linux"], "maxJobs": 8, "speedFactor": 2.5,
      "supportedFeatures": [], "mandatoryFeatures": ["benchmark"], "currentJobs": 0,
      "disabledUntil": 1714565000, "consecutiveFailures": 2, "enabled": true
    }
  })");
  EXPECT_EQ(machines(twoMachines()), expected);
  EXPECT_EQ(machines(MachinesStatus{}), json::object());
}

TEST(MachinesView, StoredDocumentHasTheQueuesFieldNamesAndReadsBack) {
  const json doc = json::parse(machinesStatusDocument(twoMachines()));
  EXPECT_EQ(doc["updated"], 1714564800);
  ASSERT_EQ(doc["machines"].size(), 2u) << doc;
  const json expected_remote = json::parse(R"({
    "uri": "ssh://builder@arm.example.org", "systems": ["aarch64-linux"], "maxJobs": 8,
    "speedFactor": 2.5, "supportedFeatures": [], "mandatoryFeatures": ["benchmark"],
    "currentJobs": 0, "enabled": true, "disabledUntil": 1714565000, "consecutiveFailures": 2
  })");
  EXPECT_EQ(doc["machines"][1], expected_remote);

  auto back = parseMachinesStatus(doc.dump());
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->updated, 1714564800);
  EXPECT_EQ(machines(*back), machines(twoMachines()));
}

TEST(MachinesView, MissingKeysTakeDefaultsButUriIsRequired) {
  auto minimal = parseMachinesStatus(R"({"updated": 5, "machines": [{"uri": "localhost"}]})");
  ASSERT_TRUE(minimal) << minimal.error().message;
  ASSERT_EQ(minimal->machines.size(), 1u);
  EXPECT_EQ(minimal->machines[0].max_jobs, 1);
  EXPECT_TRUE(minimal->machines[0].enabled);
  EXPECT_TRUE(minimal->machines[0].systems.empty());

  for (const std::string bad : {R"({"machines": [{"maxJobs": 2}]})", R"({"updated": 1})",
                                R"({"machines": [{"uri": 3}]})", "not json"}) {
    auto r = parseMachinesStatus(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().cls, ErrorClass::kInvalid);
    EXPECT_EQ(r.error().message.rfind("machine status: ", 0), 0u) << r.error().message;
  }
}

struct StateCase {
  std::string name;
  bool enabled;
  long long disabled_until;
  int failures;
  std::string label;
};

void PrintTo(const StateCase& c, std::ostream* out) { *out << c.name; }

class MachineStateLabel : public testing::TestWithParam<StateCase> {};

TEST_P(MachineStateLabel, SaysWhetherTheMachineTakesSteps) {
  MachineStatus m;
  m.uri = "localhost";
  m.enabled = GetParam().enabled;
  m.disabled_until = GetParam().disabled_until;
  m.consecutive_failures = GetParam().failures;
  EXPECT_EQ(machineStateLabel(m, 1714564800), GetParam().label);
}

INSTANTIATE_TEST_SUITE_P(
    States, MachineStateLabel,
    testing::Values(StateCase{"Ok", true, 0, 0, "ok"},
                    StateCase{"BackoffOver", true, 1714564800, 1, "ok"},
                    StateCase{"BackedOff", true, 1714564980, 3,
                              "backed off until 2024-05-01 12:03:00 (3 failures)"},
                    StateCase{"BackedOffOnce", true, 1714564860, 1,
                              "backed off until 2024-05-01 12:01:00 (1 failure)"},
                    StateCase{"RemovedEvenWhileBackedOff", false, 1714564980, 3, "removed"}),
    [](const testing::TestParamInfo<StateCase>& info) { return info.param.name; });

}  // namespace
}  // namespace hydrant::views
