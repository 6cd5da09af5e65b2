// Crash safety of the build queue, through the binary: kill -9 the controller while a step is
// building, start it again, and every build finishes exactly once — the interrupted step is
// marked aborted and redone, nothing stays busy.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <pqxx/pqxx>

#include "tests/support/git_repo.hh"
#include "tests/support/hydrant_process.hh"
#include "tests/support/nix_store.hh"
#include "tests/support/pg_cluster.hh"

namespace hydrant {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::GitRepo;

const char* kSpec = R"({
  "main": { "nixexprinput": "src", "nixexprpath": "release.nix", "checkinterval": 0,
            "inputs": { "src": { "type": "git", "value": ". main" } } }
})";

const char* kRelease = R"({ src }:
let mk = attrs: derivation ({ system = builtins.currentSystem; builder = "/bin/sh"; } // attrs);
in {
  slow = mk { name = "slow"; args = [ "-c" "/bin/sleep 4; echo done > $out" ]; };
  quick = mk { name = "quick"; args = [ "-c" "echo quick > $out" ]; };
})";

TEST(QueueCrash, AKilledControllerRedoesTheInterruptedStepAndFinishesEveryBuildOnce) {
  testing::NixStore store;
  store.apply();
  testing::TempDir dir;
  const std::string database = testing::TestCluster::get().freshDatabase();
  GitRepo root(dir / "root"), hello(dir / "hello");
  hello.commit("spec.json", kSpec);
  hello.commit("release.nix", kRelease);
  root.commit("projects.json", R"({ "hello": { "declarative": { "file": "spec.json",
      "type": "git", "value": "../hello main" } } })");
  std::ofstream(dir / "hydrant.yaml")
      << "database: \"" << database << "\"\nstate_dir: " << dir.path() << "/state\n"
      << "machines_file: " << dir.path() << "/no-machines\n"
      << "projects:\n  url: root\n  ref: main\n  interval: 3600\n";
  auto query = [&](const std::string& q) {
    pqxx::connection c(database);
    pqxx::work w(c);
    return w.exec(q);
  };
  auto count = [&](const std::string& q) { return query(q)[0][0].as<int>(); };
  auto run = [&](const std::string& log) {
    return std::make_unique<testing::HydrantProcess>(
        std::vector<std::string>{"--config", dir / "hydrant.yaml", "run", "--listen",
                                 "127.0.0.1:" + std::to_string(testing::freePort())},
        dir.path(), dir / log);
  };

  auto first = run("first.log");
  ASSERT_TRUE(eventually(
      [&] {
        return count("select count(*) from buildsteps s join builds b on b.id = s.build "
                     "where b.job = 'slow' and s.busy <> 0") == 1;
      },
      60s, 20ms))
      << first->log();
  first->signal(SIGKILL);
  ASSERT_TRUE(first->waitExit(10s).has_value());
  EXPECT_EQ(count("select count(*) from builds where job = 'slow' and finished = 0"), 1);

  auto second = run("second.log");
  ASSERT_TRUE(eventually([&] { return count("select count(*) from builds where finished = 0") == 0; },
                         60s, 50ms))
      << second->log();
  EXPECT_EQ(count("select count(*) from builds where buildstatus = 0"), 2);
  EXPECT_EQ(count("select count(*) from buildsteps where busy <> 0"), 0);
  // The interrupted step is on record as aborted, its redo as the success.
  auto steps = query(
      "select s.status, coalesce(s.errormsg, '') from buildsteps s join builds b on "
      "b.id = s.build where b.job = 'slow' order by s.stepnr");
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0][0].as<int>(), 3);
  EXPECT_NE(steps[0][1].as<std::string>().find("controller stopped"), std::string::npos);
  EXPECT_EQ(steps[1][0].as<int>(), 0);
}

}  // namespace
}  // namespace hydrant
