// Startup and failover figures for the README, measured on the real binary and a real Postgres:
//   embedded cluster first start (initdb) and later start, migrating an empty database,
//   `hydrant run` to /readyz 200 (cluster reused), SIGTERM to exit, and a standby's takeover
//   after kill -9 of the leader. Prints the median and the worst of N rounds.
// Usage: build/tests/startup_bench [rounds]   (default 5; not part of ctest)
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/db/database.hh"
#include "controller/db/migrations.hh"
#include "controller/pg/embedded.hh"
#include "tests/support/hydrant_process.hh"
#include "tests/support/pg_cluster.hh"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace ht = hydrant::testing;

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

void report(const char* what, std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::printf("%-44s median %8.1f ms   worst %8.1f ms   (n=%zu)\n", what, v[v.size() / 2], v.back(),
              v.size());
}

void must(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "bench failed: %s\n", what.c_str());
    std::exit(1);
  }
}

bool leadsAll(int port) {
  auto r = ht::httpGet(port, "/readyz");
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (r.status != 200 || !j.is_object()) return false;
  for (const auto& [role, state] : j["roles"].items()) {
    if (state != "leader") return false;
  }
  return true;
}

void embeddedStarts(int rounds) {
  std::vector<double> first, again;
  for (int i = 0; i < rounds; ++i) {
    ht::TempDir dir;
    hydrant::pg::EmbeddedOptions o;
    o.dir = dir / "pg";
    auto t0 = Clock::now();
    auto pg = hydrant::pg::EmbeddedPostgres::start(o);
    must(pg.has_value(), "embedded start");
    first.push_back(ms(Clock::now() - t0));
    (void)(*pg)->stop();
    pg = {hydrant::Error::transient("stopped")};
    t0 = Clock::now();
    auto pg2 = hydrant::pg::EmbeddedPostgres::start(o);
    must(pg2.has_value(), "embedded restart");
    again.push_back(ms(Clock::now() - t0));
  }
  report("embedded Postgres, first start (initdb)", first);
  report("embedded Postgres, later start", again);
}

void migrations(int rounds) {
  std::vector<double> v;
  for (int i = 0; i < rounds; ++i) {
    hydrant::db::Database d(ht::TestCluster::get().emptyDatabase(), 3);
    auto t0 = Clock::now();
    must(hydrant::db::migrate(d, hydrant::db::embeddedMigrations()).has_value(), "migrate");
    v.push_back(ms(Clock::now() - t0));
  }
  report("migrate an empty database to the latest schema", v);
}

void runAndStop(int rounds) {
  ht::TempDir dir;
  {  // create the cluster once; the rounds measure a reused state dir
    int port = ht::freePort();
    ht::HydrantProcess h(
        {"run", "--state-dir", dir / "s", "--listen", "127.0.0.1:" + std::to_string(port)},
        dir.path(), dir / "log");
    must(ht::eventually([&] { return leadsAll(port); }, 60s, 2ms), "first run ready");
    h.signal(SIGTERM);
    must(h.waitExit(10s) == 0, "first run stop");
  }
  std::vector<double> ready, stop;
  for (int i = 0; i < rounds; ++i) {
    int port = ht::freePort();
    auto t0 = Clock::now();
    ht::HydrantProcess h(
        {"run", "--state-dir", dir / "s", "--listen", "127.0.0.1:" + std::to_string(port)},
        dir.path(), dir / "log");
    must(ht::eventually([&] { return leadsAll(port); }, 60s, 2ms), "run ready");
    ready.push_back(ms(Clock::now() - t0));
    t0 = Clock::now();
    h.signal(SIGTERM);
    must(h.waitExit(10s) == 0, "run stop");
    stop.push_back(ms(Clock::now() - t0));
  }
  report("hydrant run to /readyz 200 (cluster reused)", ready);
  report("SIGTERM to exit, embedded Postgres stopped", stop);
}

void takeover(int rounds) {
  std::vector<double> v;
  for (int i = 0; i < rounds; ++i) {
    ht::TempDir dir;
    std::string ci = ht::TestCluster::get().freshDatabase();
    int pa = ht::freePort(), pb = ht::freePort();
    ht::HydrantProcess a({"run", "--database", ci, "--listen", "127.0.0.1:" + std::to_string(pa)},
                         dir.path(), dir / "a.log");
    must(ht::eventually([&] { return leadsAll(pa); }, 30s, 2ms), "leader ready");
    ht::HydrantProcess b({"run", "--database", ci, "--listen", "127.0.0.1:" + std::to_string(pb)},
                         dir.path(), dir / "b.log");
    must(ht::eventually([&] { return ht::httpGet(pb, "/readyz").status == 200; }, 30s, 2ms),
         "standby ready");
    a.signal(SIGKILL);
    auto t0 = Clock::now();
    must(ht::eventually([&] { return leadsAll(pb); }, 30s, 2ms), "takeover");
    v.push_back(ms(Clock::now() - t0));
  }
  report("standby leads every role after kill -9 of leader", v);
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  embeddedStarts(rounds);
  migrations(rounds);
  runAndStop(rounds);
  takeover(rounds);
  return 0;
}
