// Evaluation through the binary, as a user sees it: commit a spec and a release expression to
// git, run `hydrant`, and watch evaluations and queued builds appear in `hydrant get`; commit a
// change, `hydrant trigger PROJECT:JOBSET`, and only the changed job is new.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "tests/support/git_repo.hh"
#include "tests/support/hydrant_process.hh"
#include "tests/support/nix_store.hh"
#include "tests/support/pg_cluster.hh"

namespace hydrant {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::GitRepo;
using testing::runHydrant;

// `src` is this repository itself ("." is resolved against the project's declarative URL).
const char* kSpec = R"({
  "main": { "nixexprinput": "src", "nixexprpath": "release.nix", "checkinterval": 0,
            "inputs": { "src": { "type": "git", "value": ". main" },
                        "greeting": { "type": "string", "value": "hello" } } }
})";

std::string release(const std::string& version) {
  return R"({ src, greeting }:
let mk = attrs: derivation ({ system = builtins.currentSystem; builder = "/bin/sh"; }
                             // removeAttrs attrs [ "meta" ]) // { meta = attrs.meta or { }; };
in {
  ok = mk { name = "ok"; args = [ "-c" "echo ${greeting} > $out" ]; };
  fails = mk { name = "fails"; args = [ "-c" "exit 1" ]; };
  tools = { recurseForDerivations = true;
            lint = mk { name = "lint"; args = [ "-c" "echo lint > $out" ]; }; };
  app = mk { name = "app-)" + version + R"("; args = [ "-c" "echo ${src.rev} > $out" ];
             meta = { description = "the app"; maintainers = [ { email = "alice@example.com"; } ]; }; };
})";
}

class EvaluationCli : public ::testing::Test {
 protected:
  EvaluationCli()
      : database_(testing::TestCluster::get().freshDatabase()),
        root_(dir_ / "root"),
        hello_(dir_ / "hello"),
        port_(testing::freePort()) {
    store_.apply();
    hello_.commit("spec.json", kSpec);
    hello_.commit("release.nix", release("1"));
    root_.commit("projects.json", R"({ "hello": { "declarative": { "file": "spec.json",
        "type": "git", "value": "../hello main" } } })");
    std::ofstream(dir_ / "hydrant.yaml")
        << "database: \"" << database_ << "\"\nstate_dir: " << dir_.path() << "/state\n"
        << "listen: 127.0.0.1:" << port_ << "\nmax_concurrent_evals: 2\neval_timeout: 60\n"
        << "projects:\n  url: root\n  ref: main\n  interval: 3600\n";
  }
  std::pair<int, std::string> hydrant(std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", dir_ / "hydrant.yaml"});
    return runHydrant(args, dir_.path());
  }
  nlohmann::json getJson(const std::vector<std::string>& what) {
    std::vector<std::string> args = {"get"};
    args.insert(args.end(), what.begin(), what.end());
    args.insert(args.end(), {"-o", "json"});
    auto [rc, out] = hydrant(args);
    if (rc != 0) return nlohmann::json();
    return nlohmann::json::parse(out, nullptr, false);
  }
  size_t count(const std::vector<std::string>& what) {
    auto j = getJson(what);
    return j.is_array() ? j.size() : 0;
  }

  testing::NixStore store_;
  testing::TempDir dir_;
  std::string database_;
  GitRepo root_, hello_;
  int port_;
};

TEST_F(EvaluationCli, CommittedJobsAreEvaluatedAndQueuedAndATriggerFollowsACommit) {
  testing::HydrantProcess run({"--config", dir_ / "hydrant.yaml", "run"}, dir_.path(),
                              dir_ / "hydrant.log");
  // A new jobset is evaluated at once: its builds show as queued.
  ASSERT_TRUE(eventually([&] { return count({"builds", "hello"}) == 4; }, 60s, 100ms))
      << run.log() << getJson({"jobsets"}).dump(2);
  auto builds = getJson({"builds", "hello:main"});
  std::set<std::string> jobs;
  for (const auto& b : builds) {
    jobs.insert(b.at("job").get<std::string>());
    EXPECT_EQ(b.at("project"), "hello");
    EXPECT_EQ(b.at("jobset"), "main");
    // Queued, or already built by the queue: a status only once finished.
    EXPECT_EQ(b.at("buildstatus").is_null(), b.at("finished") == 0) << b.dump();
    EXPECT_EQ(b.at("drvpath").get<std::string>().rfind(store_.storeDir() + "/", 0), 0u);
    EXPECT_TRUE(b.contains("system"));
    EXPECT_TRUE(b.at("buildoutputs").contains("out"));
  }
  EXPECT_EQ(jobs, (std::set<std::string>{"app", "fails", "ok", "tools.lint"}));
  auto [trc, table] = hydrant({"get", "builds", "hello"});
  EXPECT_EQ(trc, 0);
  EXPECT_NE(table.find("tools.lint"), std::string::npos) << table;

  auto evals = getJson({"evals", "hello:main"});
  ASSERT_EQ(evals.size(), 1u) << evals.dump();
  EXPECT_EQ(evals[0].at("builds").size(), 4u);
  EXPECT_EQ(evals[0].at("hasnewbuilds"), 1);
  EXPECT_EQ(evals[0].at("jobsetevalinputs").at("src").at("revision"), hello_.head());
  EXPECT_EQ(evals[0].at("jobsetevalinputs").at("greeting").at("value"), "hello");
  EXPECT_TRUE(evals[0].contains("timestamp"));

  // A commit changes one job; a trigger evaluates it; only that job gets a new build.
  hello_.commit("release.nix", release("2"));
  auto [rc, out] = hydrant({"trigger", "hello:main"});
  ASSERT_EQ(rc, 0) << out;
  ASSERT_TRUE(eventually([&] { return count({"evals", "hello:main"}) == 2; }, 60s, 100ms))
      << run.log();
  EXPECT_EQ(count({"builds", "hello"}), 5u);  // only app is new
  auto newest = getJson({"evals", "hello:main"})[0];
  EXPECT_EQ(newest.at("jobsetevalinputs").at("src").at("revision"), hello_.head());

  auto [brc, bad] = hydrant({"trigger", "hello:nope"});
  EXPECT_EQ(brc, 1) << bad;
  EXPECT_NE(bad.find("hello:nope"), std::string::npos) << bad;
}

// The README's main command: the example's jobsets (this repository's HEAD) are evaluated and
// their builds queued and built.
TEST(ExampleEvaluation, TheExamplesJobsetsAreEvaluatedQueuedAndBuilt) {
  testing::NixStore store;
  store.apply();
  testing::TempDir dir;
  const std::string config = std::string(HYDRANT_SOURCE_DIR) + "/examples/declarative/hydrant.yaml";
  const std::string head = testing::git(HYDRANT_SOURCE_DIR, {"rev-parse", "HEAD"});
  const int port = testing::freePort();
  testing::HydrantProcess run({"--config", config, "run", "--state-dir", dir / "state",
                               "--listen", "127.0.0.1:" + std::to_string(port)},
                              dir.path(), dir / "hydrant.log");
  // As a user would: once it is up (its embedded Postgres belongs to `run`), ask it.
  ASSERT_TRUE(eventually([&] { return testing::httpGet(port, "/readyz").status == 200; }, 60s,
                         50ms))
      << run.log();
  auto builds = [&] {
    auto [rc, out] = runHydrant({"--config", config, "get", "builds", "hello", "-o", "json",
                                 "--state-dir", dir / "state"},
                                dir.path());
    auto j = nlohmann::json::parse(out, nullptr, false);
    return rc == 0 && j.is_array() ? j : nlohmann::json::array();
  };
  // Evaluated, queued, then built: three succeed, `fails` fails on purpose.
  auto finished = [&] {
    auto all = builds();
    return all.size() == 8 && std::all_of(all.begin(), all.end(),
                                          [](const auto& b) { return b.at("finished") == 1; });
  };
  ASSERT_TRUE(eventually(finished, 120s, 200ms)) << run.log() << builds().dump(1);
  std::map<std::string, std::map<std::string, int>> status;
  for (const auto& b : builds()) status[b.at("jobset")][b.at("job")] = b.at("buildstatus");
  const std::map<std::string, int> expected = {{"dep", 0}, {"fails", 1}, {"multi", 0}, {"ok", 0}};
  EXPECT_EQ(status["main"], expected);
  EXPECT_EQ(status["nightly"], expected);
  // The failure's log, and the machine that built everything.
  int fails_id = 0;
  for (const auto& b : builds()) {
    if (b.at("job") == "fails" && b.at("jobset") == "main") fails_id = b.at("id");
  }
  auto [lrc, log] = runHydrant({"--config", config, "log", std::to_string(fails_id),
                                "--state-dir", dir / "state"},
                               dir.path());
  EXPECT_EQ(lrc, 0) << log;
  EXPECT_NE(log.find("about to fail"), std::string::npos) << log;
  // The queue publishes the machines' load after each pass; the last one follows the last build.
  std::string machines;
  EXPECT_TRUE(eventually(
      [&] {
        auto [mrc, out] = runHydrant({"--config", config, "get", "machines", "-o", "json",
                                      "--state-dir", dir / "state"},
                                     dir.path());
        machines = out;
        auto m = nlohmann::json::parse(out, nullptr, false);
        return mrc == 0 && m.contains("localhost") && m["localhost"]["currentJobs"] == 0 &&
               m["localhost"]["maxJobs"] == 2;
      },
      30s, 100ms))
      << machines;
  // The generated-mode project: its `.jobsets` build wrote two jobsets, which were evaluated
  // and built in turn.
  auto generated = [&] {
    auto [rc, out] = runHydrant({"--config", config, "get", "builds", "generated", "-o", "json",
                                 "--state-dir", dir / "state"},
                                dir.path());
    auto j = nlohmann::json::parse(out, nullptr, false);
    std::map<std::string, int> jobs;  // jobset:job → status (-1 while queued)
    if (rc != 0 || !j.is_array()) return jobs;
    for (const auto& b : j) {
      jobs[b.at("jobset").get<std::string>() + ":" + b.at("job").get<std::string>()] =
          b.at("buildstatus").is_null() ? -1 : b.at("buildstatus").get<int>();
    }
    return jobs;
  };
  const std::map<std::string, int> all_built = {
      {".jobsets:jobsets", 0}, {"large:greeting", 0}, {"small:greeting", 0}};
  ASSERT_TRUE(eventually([&] { return generated() == all_built; }, 60s, 200ms)) << run.log();
  auto [grc, gout] = runHydrant({"--config", config, "get", "jobsets", "generated", "-o", "json",
                                 "--state-dir", dir / "state"},
                                dir.path());
  ASSERT_EQ(grc, 0) << gout;
  auto jobsets = nlohmann::json::parse(gout);
  ASSERT_EQ(jobsets.size(), 3u) << gout;
  EXPECT_EQ(jobsets[0]["name"], ".jobsets");
  EXPECT_EQ(jobsets[0]["status"]["conditions"][0]["reason"], "Generated") << jobsets[0];
  EXPECT_EQ(jobsets[1]["name"], "large");
  EXPECT_EQ(jobsets[1]["description"], "the large variant, generated for generated at " +
                                           head.substr(0, 7));

  auto [rc, out] = runHydrant({"--config", config, "get", "evals", "hello:main", "-o", "json",
                               "--state-dir", dir / "state"},
                              dir.path());
  ASSERT_EQ(rc, 0) << out;
  auto evals = nlohmann::json::parse(out);
  ASSERT_EQ(evals.size(), 1u) << out;
  EXPECT_EQ(evals[0]["jobsetevalinputs"]["src"]["revision"], head);
}

}  // namespace
}  // namespace hydrant
