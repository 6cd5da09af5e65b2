// Declarative projects through the binary, as a user drives them: commit to git, `hydrant
// trigger`, and read the result with `hydrant get`; `validate`, `plan` and `reconcile --once`
// with their exit codes.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/git_repo.hh"
#include "tests/support/hydrant_process.hh"
#include "tests/support/pg_cluster.hh"

namespace hydrant {
namespace {

using namespace std::chrono_literals;
using testing::GitRepo;
using testing::runHydrant;

const char* kSpec = R"({
  "main": { "nixexprinput": "src", "nixexprpath": "release.nix", "checkinterval": 300,
            "inputs": { "src": { "type": "git", "value": "https://example.org/hello.git" } } }
})";

class DeclarativeCli : public ::testing::Test {
 protected:
  DeclarativeCli()
      : database_(testing::TestCluster::get().freshDatabase()),
        root_(dir_ / "root"),
        hello_(dir_ / "hello") {
    hello_.commit("spec.json", kSpec);
    root_.commit("projects.json", R"({ "hello": { "declarative": { "file": "spec.json",
        "type": "git", "value": "../hello main" } } })");
    std::ofstream(dir_ / "hydrant.yaml")
        << "database: \"" << database_ << "\"\nstate_dir: " << dir_.path() << "/state\n"
        << "projects:\n  url: root\n  ref: main\n  interval: 3600\n";
  }
  // Runs `hydrant args…` with the test's hydrant.yaml.
  std::pair<int, std::string> hydrant(std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", dir_ / "hydrant.yaml"});
    return runHydrant(args, dir_.path());
  }
  nlohmann::json getJson(const std::string& what) {
    auto [rc, out] = hydrant({"get", what, "-o", "json"});
    EXPECT_EQ(rc, 0) << out;
    return nlohmann::json::parse(out, nullptr, false);
  }
  int checkinterval() {
    auto j = getJson("jobsets");
    if (!j.is_array() || j.empty()) return -1;
    return j[0].value("checkinterval", -1);
  }

  testing::TempDir dir_;
  std::string database_;
  GitRepo root_, hello_;
};

TEST_F(DeclarativeCli, ARunningHydrantFollowsACommitWhenTriggered) {
  int port = testing::freePort();
  testing::HydrantProcess run(
      {"--config", dir_ / "hydrant.yaml", "run", "--listen", "127.0.0.1:" + std::to_string(port)},
      dir_.path(), dir_ / "run.log");
  ASSERT_TRUE(testing::eventually([&] { return checkinterval() == 300; }, 30s, 50ms)) << run.log();
  auto projects = getJson("projects");
  ASSERT_EQ(projects.size(), 1u);
  EXPECT_EQ(projects[0]["name"], "hello");
  EXPECT_EQ(projects[0]["status"]["observed_revision"], hello_.head());
  EXPECT_EQ(projects[0]["status"]["conditions"][0]["type"], "Ready");
  EXPECT_EQ(projects[0]["status"]["conditions"][0]["status"], "True");
  EXPECT_EQ(projects[0]["declarative"]["value"], "../hello main");

  std::string spec = kSpec;
  spec.replace(spec.find("300"), 3, "120");
  hello_.commit("spec.json", spec);
  auto t0 = std::chrono::steady_clock::now();
  auto [rc, out] = hydrant({"trigger", "hello"});
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "triggered project hello\n");
  ASSERT_TRUE(testing::eventually([&] { return checkinterval() == 120; }, 10s, 20ms)) << run.log();
  std::printf("commit → trigger → row changed: %lld ms\n",
              (long long)std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - t0).count());

  hello_.commit("spec.json", R"({ "main": { "type": 1 } })");
  ASSERT_EQ(hydrant({"trigger", "hello"}).first, 0);
  ASSERT_TRUE(testing::eventually(
      [&] { return getJson("projects")[0]["status"]["conditions"].size() == 2; }, 10s, 20ms));
  auto stalled = getJson("projects")[0]["status"]["conditions"];
  EXPECT_EQ(stalled[0]["status"], "False");
  EXPECT_EQ(stalled[1]["type"], "Stalled");
  EXPECT_EQ(stalled[1]["reason"], "InvalidSpec");
  EXPECT_NE(stalled[1]["message"].get<std::string>().find("spec.json:1:3: jobset \"main\": missing key \"flake\""),
            std::string::npos)
      << stalled;
  EXPECT_EQ(checkinterval(), 120) << "the last good spec stays in force";
  auto [grc, table] = hydrant({"get", "projects"});
  EXPECT_EQ(grc, 0);
  EXPECT_NE(table.find("hello    1        False"), std::string::npos) << table;
}

TEST_F(DeclarativeCli, ReconcileOnceAppliesAndSaysWhetherAllIsReady) {
  auto [rc, out] = hydrant({"reconcile", "--once"});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("hello: Ready Applied"), std::string::npos) << out;
  EXPECT_EQ(checkinterval(), 300);
  hello_.commit("spec.json", R"({ "main": { "checkinterval": -1 } })");
  auto [rc2, out2] = hydrant({"reconcile", "--once"});
  EXPECT_EQ(rc2, 1) << out2;
  EXPECT_NE(out2.find("hello: Stalled InvalidSpec"), std::string::npos) << out2;
}

TEST_F(DeclarativeCli, PlanExitsZeroOneOrTwo) {
  ASSERT_EQ(hydrant({"reconcile", "--once"}).first, 0);
  auto [same, out] = hydrant({"plan", "hello"});
  EXPECT_EQ(same, 0) << out;
  EXPECT_NE(out.find("No changes."), std::string::npos) << out;

  std::string spec = kSpec;
  spec.replace(spec.find("300"), 3, "60");
  testing::writeFile(hello_.dir() + "/spec.json", spec);  // in the working tree, not committed
  auto [changed, diff] = hydrant({"plan", "hello", "--path", hello_.dir()});
  EXPECT_EQ(changed, 1) << diff;
  EXPECT_NE(diff.find("checkinterval: 300 → 60"), std::string::npos) << diff;
  auto [json_rc, json] = hydrant({"plan", "hello", "--path", hello_.dir(), "-o", "json"});
  EXPECT_EQ(json_rc, 1);
  auto j = nlohmann::json::parse(json);
  EXPECT_EQ(j["changes"][0]["fields"][0]["to"], 60);

  testing::writeFile(hello_.dir() + "/spec.json", R"({ "main": { "nixexprinput": 3 } })");
  auto [bad, msg] = hydrant({"plan", "hello", "--path", hello_.dir()});
  EXPECT_EQ(bad, 2) << msg;
  EXPECT_NE(msg.find("spec.json:1:"), std::string::npos) << msg;
}

TEST_F(DeclarativeCli, ValidateExitsZeroForGoodFilesAndTwoWithEveryProblemLocated) {
  testing::writeFile(dir_ / "good.yaml", "main:\n  type: 1\n  flake: github:x/y\n");
  testing::writeFile(dir_ / "bad.json", "{\n  \"main\": { \"type\": 1, \"flakeref\": \"x\" }\n}\n");
  auto [ok, out] = hydrant({"validate", dir_ / "good.yaml", root_.dir() + "/projects.json"});
  EXPECT_EQ(ok, 0) << out;
  EXPECT_NE(out.find("good.yaml: ok (static mode, 1 jobset(s))"), std::string::npos) << out;
  EXPECT_NE(out.find("projects.json: ok (projects file, 1 project(s))"), std::string::npos) << out;
  auto [bad, err] = hydrant({"validate", dir_ / "bad.json"});
  EXPECT_EQ(bad, 2);
  EXPECT_NE(err.find(dir_ / "bad.json" +
                     ":2:24: jobset \"main\": unknown key \"flakeref\" (did you mean \"flake\"?)"),
            std::string::npos)
      << err;
}

// The example the README's main command runs: its projects come from this very repository.
TEST(ExampleDeclarative, ItsJobsetsAreReadyAtTheRepositorysCommit) {
  testing::TempDir dir;
  const std::string config = std::string(HYDRANT_SOURCE_DIR) + "/examples/declarative/hydrant.yaml";
  const std::string head = testing::git(HYDRANT_SOURCE_DIR, {"rev-parse", "HEAD"});
  auto [rc, out] = runHydrant({"--config", config, "reconcile", "--once", "--state-dir",
                               dir / "state", "--log-level", "warn"},
                              dir.path());
  ASSERT_EQ(rc, 0) << out;
  auto [grc, json] = runHydrant(
      {"--config", config, "get", "jobsets", "hello", "-o", "json", "--state-dir", dir / "state"},
      dir.path());
  ASSERT_EQ(grc, 0) << json;
  auto jobsets = nlohmann::json::parse(json);
  ASSERT_EQ(jobsets.size(), 2u) << json;
  for (const auto& j : jobsets) {
    EXPECT_EQ(j["project"], "hello");
    EXPECT_EQ(j["status"]["conditions"][0]["status"], "True") << j;
    EXPECT_EQ(j["status"]["observed_revision"], head) << j;
  }
  EXPECT_EQ(jobsets[0]["name"], "main");
  EXPECT_EQ(jobsets[1]["name"], "nightly");
}

TEST_F(DeclarativeCli, TriggeringAnUnknownProjectIsAnInputError) {
  auto [rc, out] = hydrant({"trigger", "nope"});
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("no project \"nope\""), std::string::npos) << out;
}

}  // namespace
}  // namespace hydrant
