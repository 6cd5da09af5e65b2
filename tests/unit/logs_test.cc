// Where step logs are stored and which step `hydrant log BUILD` shows: the queue and the CLI
// must agree on the first, and the second is what a user reads when a build fails.
#include "controller/logs.hh"

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "controller/compress/bzip2.hh"
#include "controller/db/evals.hh"
#include "controller/db/steps.hh"
#include "tests/unit/temp_dir.hh"

namespace hydrant::logs {
namespace {

const std::string kTop = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-hello-2.12.drv";
const std::string kDep = "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-lib-1.0.drv";

TEST(StepLogPath, HydrasLayoutByDerivationBaseName) {
  EXPECT_EQ(stepLogPath("/var/lib/hydrant/logs", kTop),
            "/var/lib/hydrant/logs/aa/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-hello-2.12.drv.bz2");
  EXPECT_EQ(stepLogPath("state/logs/", kDep),
            "state/logs/bb/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-lib-1.0.drv.bz2");
}

db::StepView step(int build, int stepnr, const std::string& drv, std::optional<int> status,
                  int busy = 0) {
  db::StepView s;
  s.build = build;
  s.stepnr = stepnr;
  s.drvpath = drv;
  s.busy = busy;
  s.status = status;
  return s;
}

struct ChoiceCase {
  std::string name;
  bool finished;
  std::optional<int> buildstatus;
  std::vector<db::StepView> own;
  std::optional<db::StepView> elsewhere;
  std::optional<int> requested;
  // The chosen step as "build/stepnr", or the error message.
  std::string chosen;
};

void PrintTo(const ChoiceCase& c, std::ostream* out) { *out << c.name; }

class ChooseLogStep : public testing::TestWithParam<ChoiceCase> {};

TEST_P(ChooseLogStep, PicksTheStepAUserMeans) {
  const ChoiceCase& c = GetParam();
  db::BuildView b;
  b.id = 7;
  b.drvpath = kTop;
  b.finished = c.finished;
  b.buildstatus = c.buildstatus;
  auto r = chooseLogStep(b, c.own, c.elsewhere, c.requested);
  const std::string got =
      r ? std::to_string(r->build) + "/" + std::to_string(r->stepnr) : r.error().message;
  EXPECT_EQ(got, c.chosen);
  if (!r) {
    EXPECT_EQ(r.error().cls, ErrorClass::kStalled);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ChooseLogStep,
    testing::Values(ChoiceCase{"SucceededShowsItsOwnDerivationsStep",
                               true,
                               0,
                               {step(7, 1, kTop, 0), step(7, 2, kDep, 0)},
                               std::nullopt,
                               std::nullopt,
                               "7/1"},
                    ChoiceCase{"LatestTryOfItsOwnDerivation",
                               true,
                               0,
                               {step(7, 1, kTop, 3), step(7, 2, kTop, 0)},
                               std::nullopt,
                               std::nullopt,
                               "7/2"},
                    ChoiceCase{"FailedShowsTheFailingStep",
                               true,
                               1,
                               {step(7, 1, kDep, 0), step(7, 2, kTop, 1)},
                               std::nullopt,
                               std::nullopt,
                               "7/2"},
                    ChoiceCase{"DependencyFailedShowsThePropagatedStep",
                               true,
                               2,
                               {step(7, 1, kTop, 3), step(7, 2, kDep, 1)},
                               std::nullopt,
                               std::nullopt,
                               "7/2"},
                    ChoiceCase{"RunningDependencyWhileQueued",
                               false,
                               std::nullopt,
                               {step(7, 1, kDep, std::nullopt, 30)},
                               std::nullopt,
                               std::nullopt,
                               "7/1"},
                    ChoiceCase{"OwnDerivationBuiltForAnotherBuild",
                               true,
                               0,
                               {step(7, 1, kDep, 0)},
                               step(5, 3, kTop, 0),
                               std::nullopt,
                               "5/3"},
                    ChoiceCase{"CachedFailureShowsTheEarlierFailure",
                               true,
                               1,
                               {},
                               step(5, 2, kTop, 1),
                               std::nullopt,
                               "5/2"},
                    ChoiceCase{"RequestedStep",
                               true,
                               1,
                               {step(7, 1, kDep, 0), step(7, 2, kTop, 1)},
                               std::nullopt,
                               1,
                               "7/1"},
                    ChoiceCase{"RequestedStepMissing",
                               true,
                               0,
                               {step(7, 1, kTop, 0)},
                               step(5, 3, kTop, 0),
                               3,
                               "build 7 has no step 3"},
                    ChoiceCase{"NoStepsAnywhere",
                               true,
                               0,
                               {},
                               std::nullopt,
                               std::nullopt,
                               "build 7 has no steps (it was cached or has not started)"},
                    ChoiceCase{"QueuedNotStarted",
                               false,
                               std::nullopt,
                               {},
                               std::nullopt,
                               std::nullopt,
                               "build 7 has no steps (it was cached or has not started)"}),
    [](const testing::TestParamInfo<ChoiceCase>& info) { return info.param.name; });

// Stores `text` at `path` as the queue does once a step has ended.
void storeCompressed(const std::string& path, const std::string& text) {
  Result<compress::Bzip2Writer> w = compress::Bzip2Writer::open(path);
  ASSERT_TRUE(w) << w.error().message;
  ASSERT_TRUE(w->append(text));
  ASSERT_TRUE(w->finish());
}

TEST(ReadStepLog, DecompressesTheStoredLog) {
  unit::TempDir dir;
  storeCompressed(dir.path("log.drv.bz2"), "building\nfailed\n");
  Result<std::string> text = readStepLog(dir.path("log.drv.bz2"));
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_EQ(*text, "building\nfailed\n");
}

TEST(ReadStepLog, PrefersTheUncompressedLogWhileItIsThere) {
  unit::TempDir dir;
  storeCompressed(dir.path("log.drv.bz2"), "stale\n");
  dir.write("log.drv", "still running\n");
  Result<std::string> text = readStepLog(dir.path("log.drv.bz2"));
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_EQ(*text, "still running\n");
}

TEST(ReadStepLog, ALongLogIsCutWithANote) {
  unit::TempDir dir;
  storeCompressed(dir.path("log.drv.bz2"), "0123456789");
  Result<std::string> text = readStepLog(dir.path("log.drv.bz2"), 4);
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_EQ(*text, "0123\n[log cut after 4 bytes]\n");
}

TEST(ReadStepLog, ADamagedLogSaysSo) {
  unit::TempDir dir;
  const std::string path = dir.write("log.drv.bz2", "not compressed");
  Result<std::string> text = readStepLog(path);
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().message, "cannot decompress " + path + ": not bzip2 data");
}

TEST(ReadStepLog, NoLogAtAll) {
  unit::TempDir dir;
  Result<std::string> text = readStepLog(dir.path("log.drv.bz2"));
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().message, "no log file at " + dir.path("log.drv.bz2"));
}

}  // namespace
}  // namespace hydrant::logs
