// Push webhook → jobset row changed, for a spec commit: a running `hydrant run` (specs role)
// follows a project whose spec of N jobsets (default 10,000) sits in a real git repository; each
// round commits a change to one jobset, POSTs a signed GitHub push event for that repository to
// /api/push-github, and times until the jobset's row shows the change.
// Goal (issue 6): p50 ≤ 300 ms.
// Usage: build/tests/webhook_bench [jobsets] [rounds]   (not part of ctest)
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "controller/crypto/hash.hh"
#include "tests/bench/spec_bench_support.hh"
#include "tests/support/git_repo.hh"
#include "tests/support/hydrant_process.hh"
#include "tests/support/pg_cluster.hh"

namespace {

using hydrant::bench::jobsetName;
using hydrant::bench::must;
using hydrant::bench::specOfJobsets;

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace ht = hydrant::testing;

constexpr const char* kSecret = "webhook-bench-secret";

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// One connection for all polling: opening one per poll would load the machine being measured.
class Rows {
 public:
  explicit Rows(const std::string& conninfo) : conn_(conninfo) {}
  // The jobset's checkinterval, or -1 while it does not exist.
  int checkinterval(const std::string& jobset) {
    pqxx::read_transaction tx(conn_);
    auto r = tx.exec_params("select checkinterval from jobsets where name = $1", jobset);
    return r.empty() ? -1 : r[0][0].as<int>();
  }

 private:
  pqxx::connection conn_;
};

// What GitHub sends for a push to the repository at `url` (a local repository's file:// URL
// here), signed as GitHub signs it.
httplib::Result postPush(httplib::Client& client, const std::string& url, const std::string& rev) {
  const std::string body =
      nlohmann::json{{"ref", "refs/heads/main"},
                     {"after", rev},
                     {"repository", {{"clone_url", url + ".git"}, {"html_url", url}}}}
          .dump();
  httplib::Headers headers = {
      {"X-GitHub-Event", "push"},
      {"X-Hub-Signature-256", "sha256=" + hydrant::crypto::hmacSha256Hex(kSecret, body)}};
  return client.Post("/api/push-github", headers, body, "application/json");
}

// `goal` 0: none.
void report(const char* what, std::vector<double> v, double goal) {
  std::sort(v.begin(), v.end());
  const double p50 = v[v.size() / 2];
  const double p90 = v[std::min(v.size() - 1, v.size() * 9 / 10)];
  std::printf("%-44s p50 %7.1f ms  p90 %7.1f ms  worst %7.1f ms  (n=%zu", what, p50, p90, v.back(),
              v.size());
  if (goal > 0) std::printf(", goal p50 ≤ %.0f ms: %s", goal, p50 <= goal ? "met" : "MISSED");
  std::printf(")\n");
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 11;
  must(n > 0 && rounds > 0, "usage: webhook_bench [jobsets] [rounds]");
  ht::TempDir dir;
  ht::GitRepo repo(dir / "spec");
  repo.commit("spec.json", specOfJobsets(n, -1, 0));
  const std::string conninfo = ht::TestCluster::get().freshDatabase();
  std::ofstream(dir / "hydrant.yaml")
      << "database: \"" << conninfo << "\"\nstate_dir: " << dir.path() << "/state\n"
      << "roles: [specs]\ngithub_webhook_secrets: [" << kSecret << "]\n"
      << "projects:\n  inline:\n    big:\n      declarative: { file: spec.json, type: git, "
      << "value: \"" << repo.dir() << " main\" }\n";
  const int port = ht::freePort();
  ht::HydrantProcess run(
      {"--config", dir / "hydrant.yaml", "run", "--listen", "127.0.0.1:" + std::to_string(port)},
      dir.path(), dir / "run.log");
  must(ht::eventually([&] { return ht::httpGet(port, "/readyz").status == 200; }, 30s, 10ms),
       "run ready");
  Rows rows(conninfo);
  must(ht::eventually([&] { return rows.checkinterval(jobsetName(n - 1)) == 300; }, 120s, 20ms),
       "first apply of the spec");

  httplib::Client client("127.0.0.1", port);
  client.set_keep_alive(true);
  // Without it this client's request waits on Nagle's algorithm (40 ms), which is not Hydrant's.
  client.set_tcp_nodelay(true);
  const std::string url = "file://" + repo.dir();
  std::vector<double> answered, pushed;
  for (int i = 0; i < rounds; ++i) {
    const int changed = (i * 13 + 5) % n;
    const std::string rev = repo.commit("spec.json", specOfJobsets(n, changed, 1000 + i));
    const auto t0 = Clock::now();
    auto reply = postPush(client, url, rev);
    answered.push_back(ms(Clock::now() - t0));
    must(
        reply && reply->status == 200,
        "push answered " + (reply ? std::to_string(reply->status) + " " + reply->body : "nothing"));
    const auto answer = nlohmann::json::parse(reply->body);
    must(answer["sourcesRefetched"] == nlohmann::json::array({"big"}),
         "push re-reads the project's spec: " + reply->body);
    must(ht::eventually([&] { return rows.checkinterval(jobsetName(changed)) == 1000 + i; }, 30s,
                        2ms),
         "row changed after the push");
    pushed.push_back(ms(Clock::now() - t0));
  }
  std::printf("%d jobsets, %d rounds\n", n, rounds);
  report("GitHub push webhook answered (200)", answered, 0);
  report("commit → GitHub push webhook → row changed", pushed, 300);
  return 0;
}
