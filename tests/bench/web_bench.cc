// Rendering the status pages and the JSON API with a few thousand builds in the database.
// Goal (issue: status pages): page render p50 ≤ 50 ms. Rows are seeded with SQL into a real
// Postgres: 10 projects × 4 jobsets, 25 evaluations per jobset, 5,000 builds (some queued, some
// failed, each with a step and an output), then each page is fetched over HTTP `rounds` times.
// Usage: build/tests/web_bench [rounds]   (not part of ctest)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "tests/support/sql.hh"
#include "tests/support/web_server.hh"

namespace {

using Clock = std::chrono::steady_clock;
namespace ht = hydrant::testing;

void seed(const std::string& conninfo) {
  ht::sqlExec(conninfo,
              "insert into projects (name, displayname, description, condition, ready_status) "
              "select 'project' || p, 'Project ' || p, 'a project', 'Ready', 'True' "
              "from generate_series(1, 10) p");
  ht::sqlExec(conninfo,
              "insert into jobsets (project, name, nixexprinput, nixexprpath, checkinterval, "
              "  lastcheckedtime, condition, ready_status) "
              "select 'project' || p, 'jobset' || j, 'src', 'release.nix', 300, 1700000000, "
              "  'Ready', 'True' from generate_series(1, 10) p, generate_series(1, 4) j");
  ht::sqlExec(conninfo,
              "insert into jobsetevals (jobset_id, timestamp, checkouttime, evaltime, "
              "  hasnewbuilds, hash, nrbuilds) "
              "select j.id, 1700000000 + e * 600, 1, 2, 1, md5(j.id::text || e), 125 "
              "from jobsets j, generate_series(1, 25) e");
  // 125 builds per jobset: job k of evaluation e is build (e-1)*5 + k for k in 1..5.
  ht::sqlExec(conninfo,
              "insert into builds (finished, timestamp, jobset_id, job, nixname, drvpath, "
              "  system, buildstatus, starttime, stoptime, iscurrent) "
              "select case when e = 25 and k > 3 then 0 else 1 end, 1700000000 + e * 600, j.id, "
              "  'job' || k, 'job' || k || '-1.0', "
              "  '/nix/store/' || md5(j.id::text || e || k) || '-job' || k || '.drv', "
              "  'x86_64-linux', case when e = 25 and k > 3 then null "
              "    when k = 2 then 1 else 0 end, 1700000000 + e * 600 + 10, "
              "  1700000000 + e * 600 + 20, case when e = 25 then 1 else 0 end "
              "from jobsets j, generate_series(1, 25) e, generate_series(1, 5) k");
  ht::sqlExec(conninfo,
              "insert into jobsetevalmembers (eval, build, isnew) "
              "select v.id, b.id, 1 from jobsetevals v join builds b on b.jobset_id = v.jobset_id "
              "  and b.timestamp = v.timestamp");
  ht::sqlExec(conninfo,
              "insert into buildoutputs (build, name, path) "
              "select id, 'out', replace(drvpath, '.drv', '') from builds");
  ht::sqlExec(conninfo,
              "insert into buildsteps (build, stepnr, type, drvpath, busy, status, starttime, "
              "  stoptime, machine, system) "
              "select id, 1, 0, drvpath, 0, buildstatus, starttime, stoptime, 'localhost', "
              "  system from builds where finished = 1");
}

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 50;
  ht::TestWeb web;
  seed(web.conninfo());
  web.start();
  const std::string some_build =
      ht::sqlValue(web.conninfo(), "select min(id) from builds where buildstatus = 1");
  const std::string some_eval = ht::sqlValue(web.conninfo(), "select max(id) from jobsetevals");
  const std::vector<std::string> pages = {
      "/",
      "/project/project3",
      "/jobset/project3/jobset2",
      "/jobset/project3/jobset2/evals",
      "/eval/" + some_eval,
      "/build/" + some_build,
      "/queue",
      "/machines",
      "/api/latestbuilds?nr=100",
  };
  std::printf("%d builds; p50 / p90 of %d fetches over HTTP (goal p50 <= 50 ms):\n",
              std::stoi(ht::sqlValue(web.conninfo(), "select count(*) from builds")), rounds);
  bool all_met = true;
  for (const std::string& page : pages) {
    for (const bool json : {false, true}) {
      std::vector<double> times;
      int status = 0;
      for (int i = 0; i < rounds; ++i) {
        const auto t0 = Clock::now();
        const ht::WebReply reply = json ? web.getJson(page) : web.get(page, "text/html");
        times.push_back(ms(Clock::now() - t0));
        status = reply.status;
      }
      std::sort(times.begin(), times.end());
      const double p50 = times[times.size() / 2], p90 = times[times.size() * 9 / 10];
      all_met = all_met && p50 <= 50 && status == 200;  // an error page proves nothing
      std::printf("  %-36s %-4s %3d  %7.2f / %7.2f ms\n", page.c_str(), json ? "json" : "html",
                  status, p50, p90);
    }
  }
  std::printf("goal p50 <= 50 ms, every page 200: %s\n", all_met ? "met" : "MISSED");
  return 0;
}
