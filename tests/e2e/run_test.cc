// The real `hydrant` binary as a user runs it: health and readiness over HTTP, a clean stop on
// SIGTERM, reuse of its embedded Postgres, a crash, bad config, an unreachable database.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "controller/db/migrations.hh"
#include "tests/support/hydrant_process.hh"
#include "tests/support/pg_cluster.hh"

namespace hydrant {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using testing::HydrantProcess;

pid_t postmasterPid(const testing::TempDir& dir) {
  std::ifstream in(dir / "state/pg/data/postmaster.pid");
  pid_t pid = 0;
  in >> pid;
  return pid;
}

struct Running {
  Running(const testing::TempDir& dir, std::vector<std::string> extra = {})
      : port(testing::freePort()),
        process(args(dir, port, std::move(extra)), dir.path(), dir / "hydrant.log") {}
  static std::vector<std::string> args(const testing::TempDir& dir, int port,
                                       std::vector<std::string> extra) {
    std::vector<std::string> a = {"run", "--state-dir", dir / "state", "--listen",
                                  "127.0.0.1:" + std::to_string(port)};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  bool ready() { return testing::httpGet(port, "/readyz").status == 200; }
  int port;
  HydrantProcess process;
};

TEST(HydrantRun, ServesHealthAndReadinessAndStopsCleanlyOnSigterm) {
  testing::TempDir dir;
  Running h(dir);
  ASSERT_TRUE(testing::eventually([&] { return h.ready(); }, 60s)) << h.process.log();
  auto health = testing::httpGet(h.port, "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");
  auto ready = nlohmann::json::parse(testing::httpGet(h.port, "/readyz").body);
  EXPECT_EQ(ready["ready"], true);
  EXPECT_EQ(ready["database"]["ok"], true);
  EXPECT_EQ(ready["schema"]["applied"], ready["schema"]["expected"]);
  for (const char* role : {"specs", "evaluator", "queue", "notifier"}) {
    EXPECT_EQ(ready["roles"][role], "leader") << role;
  }
  EXPECT_EQ(testing::httpGet(h.port, "/no-such-page").status, 404);

  pid_t pg = postmasterPid(dir);
  ASSERT_GT(pg, 0);
  auto asked = std::chrono::steady_clock::now();
  h.process.signal(SIGTERM);
  auto rc = h.process.waitExit(5s);
  ASSERT_TRUE(rc.has_value()) << "still running 5 s after SIGTERM\n" << h.process.log();
  EXPECT_EQ(*rc, 0) << h.process.log();
  std::printf("stop after SIGTERM: %lld ms\n",
              (long long)std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - asked)
                  .count());
  EXPECT_FALSE(testing::processAlive(pg)) << "the embedded Postgres outlived hydrant";
  EXPECT_FALSE(fs::exists(dir / "state/pg/data/postmaster.pid"));
}

TEST(HydrantRun, SecondRunReusesTheEmbeddedCluster) {
  testing::TempDir dir;
  {
    Running first(dir);
    ASSERT_TRUE(testing::eventually([&] { return first.ready(); }, 60s)) << first.process.log();
    EXPECT_NE(first.process.log().find("creating the embedded cluster"), std::string::npos);
    first.process.signal(SIGINT);
    ASSERT_EQ(first.process.waitExit(5s), 0) << first.process.log();
  }
  fs::remove(dir / "hydrant.log");
  Running second(dir);
  ASSERT_TRUE(testing::eventually([&] { return second.ready(); }, 60s)) << second.process.log();
  EXPECT_EQ(second.process.log().find("creating the embedded cluster"), std::string::npos);
  EXPECT_EQ(second.process.log().find("applying migration"), std::string::npos)
      << "the schema should have been kept";
}

TEST(HydrantRun, AfterAKillNineThePostgresGoesAwayAndTheNextRunStarts) {
  testing::TempDir dir;
  {
    Running crashed(dir);
    ASSERT_TRUE(testing::eventually([&] { return crashed.ready(); }, 60s)) << crashed.process.log();
    pid_t pg = postmasterPid(dir);
    crashed.process.signal(SIGKILL);
    ASSERT_TRUE(crashed.process.waitExit(5s).has_value());
    EXPECT_TRUE(testing::eventually([&] { return !testing::processAlive(pg); }, 10s))
        << "the embedded Postgres outlived a killed hydrant";
  }
  Running next(dir);
  EXPECT_TRUE(testing::eventually([&] { return next.ready(); }, 60s)) << next.process.log();
}

TEST(HydrantRun, JsonLogsAreOneObjectPerLine) {
  testing::TempDir dir;
  Running h(dir, {"--log-format", "json", "--log-level", "debug"});
  ASSERT_TRUE(testing::eventually([&] { return h.ready(); }, 60s)) << h.process.log();
  h.process.signal(SIGTERM);
  ASSERT_EQ(h.process.waitExit(5s), 0);
  std::istringstream lines(h.process.log());
  int n = 0;
  bool named_object = false;
  for (std::string line; std::getline(lines, line); ++n) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << "not JSON: " << line;
    EXPECT_TRUE(j.contains("time") && j.contains("level") && j.contains("msg")) << line;
    if (j.value("object", "") == "role=evaluator") named_object = true;
  }
  EXPECT_GT(n, 5);
  EXPECT_TRUE(named_object);
}

TEST(HydrantRun, UnreachableDatabaseIsRetriedWhileHealthzStaysUp) {
  testing::TempDir dir;
  Running h(dir, {"--database", "postgresql://hydrant:s3cret@127.0.0.1:1/hydrant"});
  ASSERT_TRUE(testing::eventually(
      [&] { return h.process.log().find("retrying in") != std::string::npos; }, 30s))
      << h.process.log();
  EXPECT_EQ(testing::httpGet(h.port, "/healthz").status, 200);
  auto ready = testing::httpGet(h.port, "/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(nlohmann::json::parse(ready.body)["database"]["ok"], false);
  EXPECT_TRUE(h.process.running());
  EXPECT_EQ(h.process.log().find("s3cret"), std::string::npos) << "a password reached the log";
  EXPECT_EQ(ready.body.find("s3cret"), std::string::npos) << "a password reached /readyz";
  h.process.signal(SIGTERM);
  EXPECT_EQ(h.process.waitExit(5s), 0) << h.process.log();
}

TEST(HydrantRun, BusyListenAddressFailsNamingItAndStopsItsPostgres) {
  testing::TempDir dir;
  int busy = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(busy, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(busy, 1), 0);
  socklen_t len = sizeof a;
  getsockname(busy, reinterpret_cast<sockaddr*>(&a), &len);
  std::string at = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  auto [rc, out] =
      testing::runHydrant({"run", "--state-dir", dir / "state", "--listen", at}, dir.path());
  close(busy);
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("cannot listen on " + at + ": Address already in use"), std::string::npos)
      << out;
  EXPECT_FALSE(fs::exists(dir / "state/pg/data/postmaster.pid")) << "Postgres was left running";
}

TEST(HydrantCli, ConfigErrorsExitTwoWithFileLineAndColumn) {
  testing::TempDir dir;
  std::ofstream(dir / "hydrant.yaml") << "listen: 127.0.0.1:9999\ndatabse: x\n";
  auto [rc, out] = testing::runHydrant({"run"}, dir.path());
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("hydrant.yaml:2:1: unknown key \"databse\" (did you mean \"database\"?)"),
            std::string::npos)
      << out;
}

TEST(HydrantCli, UsageErrorsExitTwo) {
  testing::TempDir dir;
  auto [rc, out] = testing::runHydrant({"rnu"}, dir.path());
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("unknown command \"rnu\" (did you mean \"run\"?)"), std::string::npos) << out;
  auto [rc2, out2] = testing::runHydrant({"run", "--listn", "x"}, dir.path());
  EXPECT_EQ(rc2, 2);
  EXPECT_NE(out2.find("unknown option --listn (did you mean --listen?)"), std::string::npos)
      << out2;
  auto [rc3, out3] = testing::runHydrant({"run", "--db-max-connections", "2"}, dir.path());
  EXPECT_EQ(rc3, 2);
  EXPECT_NE(out3.find("--db-max-connections: expected an integer from 3 to 1000"),
            std::string::npos)
      << out3;
}

TEST(HydrantCli, EveryCommandHasHelp) {
  testing::TempDir dir;
  for (const char* cmd : {"run", "migrate", "version"}) {
    auto [rc, out] = testing::runHydrant({cmd, "--help"}, dir.path());
    EXPECT_EQ(rc, 0) << cmd;
    EXPECT_NE(out.find(std::string("Usage: hydrant ") + cmd), std::string::npos) << out;
  }
  auto [rc, out] = testing::runHydrant({"--help"}, dir.path());
  EXPECT_EQ(rc, 0);
  EXPECT_NE(out.find("migrate"), std::string::npos);
}

TEST(HydrantCli, MigrateAgainstAnExternalDatabase) {
  testing::TempDir dir;
  std::string ci = testing::TestCluster::get().emptyDatabase();
  auto [rc, out] = testing::runHydrant({"migrate", "--database", ci}, dir.path());
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("applying 0001_init"), std::string::npos) << out;
  auto [rc2, out2] = testing::runHydrant({"migrate", "--database", ci}, dir.path());
  EXPECT_EQ(rc2, 0) << out2;
  EXPECT_NE(out2.find("(0 migration(s) applied now)"), std::string::npos) << out2;
  auto [rc3, out3] = testing::runHydrant({"version"}, dir.path());
  EXPECT_EQ(rc3, 0);
  EXPECT_NE(out3.find("schema version " +
                      std::to_string(db::embeddedMigrations().back().version)),
            std::string::npos)
      << out3;
}

}  // namespace
}  // namespace hydrant
