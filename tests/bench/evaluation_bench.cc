// Evaluation speed, side by side with bare Nix, on a private store and a real Postgres.
// Goals (issue: evaluation):
//  - a jobset of N trivial derivations (default 1,000): Hydrant's evaluation wall time ≤ 1.3× a
//    bare `nix-instantiate` of the same expression (both write every .drv; each round uses a
//    new salt so neither side finds the other's derivations already there). Reported for the
//    Nix adapter alone and for the whole evaluation (inputs, Nix, the database transaction);
//  - trigger (`triggerJobset` committed) → evaluation child (`nix-instantiate`) started, through
//    NOTIFY, the listener, the manager and a scheduling pass: p50 ≤ 100 ms;
//  - four jobsets triggered at once with max_concurrent_evals 2: never more than 2 running.
// Usage: build/tests/evaluation_bench [jobs] [rounds]   (not part of ctest)
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>
#include <thread>

#include "controller/db/database.hh"
#include "controller/db/evals.hh"
#include "controller/git/mirrors.hh"
#include "controller/nix/nix.hh"
#include "controller/proc/process.hh"
#include "controller/runtime/manager.hh"
#include "reconcilers/evaluation_reconciler.hh"
#include "reconcilers/jobset_inputs.hh"
#include "tests/support/git_repo.hh"
#include "tests/support/nix_store.hh"
#include "tests/support/pg_cluster.hh"
#include "tests/support/running_roles.hh"
#include "tests/support/sql.hh"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace ht = hydrant::testing;
using namespace hydrant;

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string manyJobs(int n) {
  return "{ salt ? \"\", src ? null }:\n"
         "let mk = i: derivation { name = \"t${toString i}\"; system = builtins.currentSystem;\n"
         "  builder = \"/bin/sh\"; args = [ \"-c\" \"echo ${salt} ${toString i} > $out\" ]; };\n"
         "in builtins.listToAttrs (map (i: { name = \"job${toString i}\"; value = mk i; })\n"
         "  (builtins.genList (i: i) " +
         std::to_string(n) + "))\n";
}

pqxx::result sql(const std::string& conninfo, const std::string& q) {
  return ht::sqlExec(conninfo, q);
}

// Whether a direct child of this process runs `name` (read from /proc).
bool childRunning(const std::string& name) {
  const std::string me = std::to_string(::getpid());
  DIR* d = ::opendir("/proc");
  if (!d) return false;
  bool found = false;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream stat(std::string("/proc/") + e->d_name + "/stat");
    std::string line;
    std::getline(stat, line);
    // pid (comm) state ppid …
    auto open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    const std::string comm = line.substr(open + 1, close - open - 1);
    std::istringstream rest(line.substr(close + 2));
    std::string state, ppid;
    rest >> state >> ppid;
    if (ppid == me && comm == name.substr(0, 15)) {
      found = true;
      break;
    }
  }
  ::closedir(d);
  return found;
}

}  // namespace

int main(int argc, char** argv) {
  const int jobs = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  ht::NixStore store;
  store.apply();
  ht::TempDir dir;
  ht::GitRepo repo(dir / "repo");
  repo.commit("release.nix", manyJobs(jobs));
  const std::string conninfo = ht::TestCluster::get().freshDatabase();
  db::Database db(conninfo, 8);
  git::Mirrors mirrors(dir / "git");
  reconcilers::JobsetInputs inputs(mirrors, db, "", dir / "scratch", 60s);
  auto script = nix::installEvalJobsNix(dir / "nix");
  if (!script) {
    std::fprintf(stderr, "%s\n", script.error().message.c_str());
    return 1;
  }
  runtime::SystemClock clock;
  reconcilers::EvaluatorOptions options;
  options.max_concurrent = 2;
  options.eval_jobs_nix = *script;
  options.random = [] { return 0.5; };
  reconcilers::EvaluationReconciler evaluator(db, inputs, clock, options);
  sql(conninfo, "insert into projects (name, displayname) values ('p', 'P')");
  auto addJobset = [&](const std::string& name, const std::string& salt) {
    int id = sql(conninfo,
                 "insert into jobsets (project, name, nixexprinput, nixexprpath, "
                 "checkinterval) values ('p', '" +
                     name + "', 'src', 'release.nix', 0) returning id")[0][0]
                 .as<int>();
    sql(conninfo, "insert into jobsetinputs (project, jobset, name, type, value) values ('p', '" +
                      name + "', 'src', 'git', '" + repo.dir() + " main'), ('p', '" + name +
                      "', 'salt', 'string', '" + salt + "')");
    return id;
  };
  auto setSalt = [&](const std::string& name, const std::string& salt) {
    sql(conninfo, "update jobsetinputs set value = '" + salt +
                      "' where project = 'p' and jobset = '" + name + "' and name = 'salt'");
  };

  // 1. N trivial derivations: bare nix-instantiate vs the adapter vs the whole evaluation.
  const int big = addJobset("big", "warmup");
  evaluator.evaluateNow(big, {});  // the checkout is in the store from now on
  std::string src_path = *sql(conninfo,
                              "select path from jobsetevalinputs where name = 'src' "
                              "order by eval desc limit 1")[0][0]
                              .as<std::optional<std::string>>();
  std::vector<double> bare, adapter, whole;
  for (int r = 0; r < rounds; ++r) {
    const std::string tag = std::to_string(::getpid()) + "-" + std::to_string(r);
    proc::RunOptions o;
    o.argv = {"nix-instantiate", src_path + "/release.nix", "--argstr", "salt", "bare-" + tag};
    o.timeout = 10min;
    auto t0 = Clock::now();
    auto res = proc::run(o);
    bare.push_back(ms(Clock::now() - t0));
    if (!res || !res->ok()) {
      std::fprintf(stderr, "nix-instantiate failed: %s\n", res ? res->err.c_str() : "");
      return 1;
    }
    nix::EvalRequest req;
    req.eval_jobs_nix = *script;
    req.expr_file = src_path + "/release.nix";
    req.args = {{"salt", false, "adapter-" + tag}, {"src", true, "null"}};
    req.timeout = 10min;
    t0 = Clock::now();
    auto ev = nix::evaluate(req, {});
    adapter.push_back(ms(Clock::now() - t0));
    if (!ev || static_cast<int>(ev->jobs.size()) != jobs) {
      std::fprintf(stderr, "adapter evaluation failed: %s\n", ev ? "" : ev.error().message.c_str());
      return 1;
    }
    setSalt("big", "whole-" + tag);
    t0 = Clock::now();
    auto outcome = evaluator.evaluateNow(big, {});
    whole.push_back(ms(Clock::now() - t0));
    if (outcome != reconcilers::EvalOutcome::kEvaluated) {
      std::fprintf(stderr, "evaluation did not complete\n");
      return 1;
    }
  }
  const double b = median(bare), a = median(adapter), w = median(whole);
  std::printf("%d trivial derivations, median of %d rounds:\n", jobs, rounds);
  std::printf("  bare nix-instantiate          %8.0f ms\n", b);
  std::printf("  hydrant Nix adapter           %8.0f ms  (%.2fx, goal 1.30x: %s)\n", a, a / b,
              a / b <= 1.3 ? "met" : "MISSED");
  std::printf(
      "  hydrant whole evaluation      %8.0f ms  (%.2fx; inputs, Nix and the database "
      "transaction with %d builds)\n",
      w, w / b, jobs);

  // 2. Trigger → evaluation child started, through NOTIFY and the manager.
  const int quick = addJobset("quick", "q");
  sql(conninfo, "update jobsetinputs set value = 'q' where jobset = 'quick' and name = 'salt'");
  repo.commit("small.nix", manyJobs(1));
  sql(conninfo, "update jobsets set nixexprpath = 'small.nix' where id = " + std::to_string(quick));
  evaluator.evaluateNow(quick, {});
  ht::RunningRoles roles(db, clock);
  reconcilers::EvaluationReconciler::addTo(
      roles.manager(),
      std::shared_ptr<reconcilers::EvaluationReconciler>(&evaluator, [](auto*) {}));
  roles.start({"evaluator"});
  std::this_thread::sleep_for(200ms);
  std::vector<double> latency;
  for (int r = 0; r < std::max(rounds * 4, 20); ++r) {
    while (!evaluator.running().empty()) std::this_thread::sleep_for(1ms);
    auto t0 = Clock::now();
    (void)db.withWrite([&](db::WriteTx& tx) -> Result<void> {
      auto found = db::triggerJobset(tx, "p", "quick", true, std::time(nullptr));
      if (!found) return found.error();
      return {};
    });
    while (!childRunning("nix-instantiate")) {
      if (Clock::now() - t0 > 30s) {
        std::fprintf(stderr, "no evaluation child within 30 s\n");
        return 1;
      }
    }
    latency.push_back(ms(Clock::now() - t0));
    while (!evaluator.running().empty() || childRunning("nix-instantiate")) {
      std::this_thread::sleep_for(1ms);
    }
  }
  const double p50 = median(latency);
  std::sort(latency.begin(), latency.end());
  std::printf(
      "trigger → nix-instantiate started: p50 %.1f ms, worst %.1f ms (n=%zu, goal "
      "100 ms: %s)\n",
      p50, latency.back(), latency.size(), p50 <= 100 ? "met" : "MISSED");

  // 3. Four jobsets at once, two slots.
  for (int i = 0; i < 4; ++i) {
    addJobset("four" + std::to_string(i), "f" + std::to_string(i));
  }
  auto t0 = Clock::now();
  sql(conninfo,
      "update jobsets set triggertime = extract(epoch from now()) where name like 'four%'");
  while (sql(conninfo,
             "select count(*) from jobsets where name like 'four%' and "
             "lastcheckedtime is not null")[0][0]
             .as<int>() < 4) {
    std::this_thread::sleep_for(10ms);
    if (Clock::now() - t0 > 20min) return 1;
  }
  std::printf(
      "4 jobsets of %d jobs, max_concurrent_evals 2: all done in %.0f ms, at most %d ran "
      "at once (goal ≤ 2: %s)\n",
      jobs, ms(Clock::now() - t0), evaluator.peakRunning(),
      evaluator.peakRunning() <= 2 ? "met" : "MISSED");
  return 0;
}
