// Leader election: one leader per role per database, standbys take over when it goes away —
// in-process, and with two real `hydrant run` processes, one of them killed with SIGKILL.
#include "controller/db/leader.hh"

#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "controller/db/database.hh"
#include "tests/support/hydrant_process.hh"
#include "tests/support/pg_cluster.hh"

namespace hydrant {
namespace {

using namespace std::chrono_literals;
using testing::TestCluster;

struct Candidate {
  Candidate(db::Database& d, runtime::Clock& clock)
      : elector(
            d, {"evaluator", "queue"}, clock, 100ms,
            [this](const std::string& r) {
              std::lock_guard lk(mu);
              led.insert(r);
            },
            [this](const std::string& r) {
              std::lock_guard lk(mu);
              led.erase(r);
            }),
        thread([this](std::stop_token st) { elector.run(st); }) {}
  size_t leading() {
    std::lock_guard lk(mu);
    return led.size();
  }
  std::mutex mu;
  std::set<std::string> led;
  db::LeaderElector elector;
  std::jthread thread;
};

TEST(LeaderElection, OneLeaderPerRoleAndAStandbyTakesOver) {
  std::string ci = TestCluster::get().freshDatabase();
  runtime::SystemClock clock;
  db::Database da(ci, 2), db2(ci, 2);
  auto a = std::make_unique<Candidate>(da, clock);
  ASSERT_TRUE(testing::eventually([&] { return a->leading() == 2; }, 5s));
  Candidate b(db2, clock);
  // b has tried several times by now and must not lead anything.
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(b.leading(), 0u);
  EXPECT_EQ(b.elector.state(),
            (std::map<std::string, bool>{{"evaluator", false}, {"queue", false}}));
  a.reset();  // stops a's elector, which gives up its roles and closes its connection
  EXPECT_TRUE(testing::eventually([&] { return b.leading() == 2; }, 5s));
}

TEST(LeaderElection, ElectorUsesOneSlotOfThePool) {
  std::string ci = TestCluster::get().freshDatabase();
  runtime::SystemClock clock;
  db::Database d(ci, 2);
  Candidate a(d, clock);
  ASSERT_TRUE(testing::eventually([&] { return a.leading() == 2; }, 5s));
  EXPECT_EQ(d.openConnections(), 1);
}

nlohmann::json readyz(int port) {
  auto r = testing::httpGet(port, "/readyz");
  if (r.status == 0) return {};
  return nlohmann::json::parse(r.body, nullptr, false);
}

bool leadsAll(int port) {
  auto j = readyz(port);
  if (!j.is_object() || !j.contains("roles") || j["roles"].empty()) return false;
  for (const auto& [role, state] : j["roles"].items()) {
    if (state != "leader") return false;
  }
  return true;
}

TEST(LeaderElection, StandbyProcessTakesOverWithinTenSecondsOfAKillNine) {
  testing::TempDir dir;
  std::string ci = TestCluster::get().freshDatabase();
  int pa = testing::freePort(), pb = testing::freePort();
  testing::HydrantProcess a(
      {"run", "--database", ci, "--listen", "127.0.0.1:" + std::to_string(pa)}, dir.path(),
      dir / "a.log");
  ASSERT_TRUE(testing::eventually([&] { return leadsAll(pa); }, 30s)) << a.log();
  testing::HydrantProcess b(
      {"run", "--database", ci, "--listen", "127.0.0.1:" + std::to_string(pb)}, dir.path(),
      dir / "b.log");
  ASSERT_TRUE(testing::eventually(
      [&] {
        auto j = readyz(pb);
        return j.is_object() && j.value("ready", false);
      },
      30s))
      << b.log();
  auto standby = readyz(pb);
  for (const auto& [role, state] : standby["roles"].items()) EXPECT_EQ(state, "standby") << role;

  a.signal(SIGKILL);
  ASSERT_TRUE(a.waitExit(5s).has_value());
  auto killed = std::chrono::steady_clock::now();
  ASSERT_TRUE(testing::eventually([&] { return leadsAll(pb); }, 10s)) << b.log();
  auto took = std::chrono::steady_clock::now() - killed;
  std::printf("takeover after kill -9: %lld ms\n",
              (long long)std::chrono::duration_cast<std::chrono::milliseconds>(took).count());
  EXPECT_LT(took, 10s);
  b.signal(SIGTERM);
  EXPECT_EQ(b.waitExit(10s), 0) << b.log();
}

}  // namespace
}  // namespace hydrant
