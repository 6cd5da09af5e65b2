// Building, side by side with bare Nix, on a private store and a real Postgres.
// Goal (issue: builds): 200 trivial jobs with dependencies between them (job i depends on job
// i/2), one local machine with 2 slots: from trigger to all builds finished ≤ 1.25× a bare
// `nix-build` of the same expression with `--max-jobs 2`. Each round uses a new salt, so both
// sides build everything.
// Usage: build/tests/queue_bench [jobs] [rounds]   (not part of ctest)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <pqxx/pqxx>

#include "controller/db/database.hh"
#include "controller/db/evals.hh"
#include "controller/git/mirrors.hh"
#include "controller/nix/nix.hh"
#include "controller/proc/process.hh"
#include "controller/queue_wiring.hh"
#include "controller/runtime/manager.hh"
#include "reconcilers/evaluation_reconciler.hh"
#include "reconcilers/jobset_inputs.hh"
#include "reconcilers/queue_reconciler.hh"
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

std::string jobs(int n) {
  return "{ salt ? \"\", src ? null }:\n"
         "let mk = i: derivation ({ name = \"j${toString i}\"; system = builtins.currentSystem;\n"
         "    builder = \"/bin/sh\"; args = [ \"-c\" \"echo ${salt} ${toString i} > $out\" ]; }\n"
         "    // (if i == 0 then { } else { dep = all.\"job${toString (i / 2)}\"; }));\n"
         "  all = builtins.listToAttrs (map (i: { name = \"job${toString i}\"; value = mk i; })\n"
         "    (builtins.genList (i: i) " +
         std::to_string(n) + "));\nin all\n";
}

int scalar(const std::string& conninfo, const std::string& q) {
  return ht::sqlExec(conninfo, q)[0][0].as<int>();
}

void exec(const std::string& conninfo, const std::string& q) { ht::sqlExec(conninfo, q); }

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 200;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  ht::NixStore store;
  store.apply();
  ht::TempDir dir;
  ht::GitRepo repo(dir / "repo");
  repo.commit("release.nix", jobs(n));
  const std::string conninfo = ht::TestCluster::get().freshDatabase();
  db::Database db(conninfo, 10);
  git::Mirrors mirrors(dir / "git");
  reconcilers::JobsetInputs inputs(mirrors, db, "", dir / "scratch", 60s);
  runtime::SystemClock clock;
  reconcilers::EvaluatorOptions eo;
  eo.eval_jobs_nix = *nix::installEvalJobsNix(dir / "nix");
  eo.random = [] { return 0.5; };
  auto evaluator = std::make_shared<reconcilers::EvaluationReconciler>(db, inputs, clock, eo);
  reconcilers::QueueOptions qo;
  qo.machines_file = dir / "no-machines";
  qo.local_system = localSystem();
  qo.local_max_jobs = 2;
  qo.log_dir = dir / "logs";
  qo.gc_roots_dir = dir / "gcroots";
  qo.random = [] { return 0.5; };
  auto queue = std::make_shared<reconcilers::QueueReconciler>(db, clock, qo);
  ht::RunningRoles roles(db, clock);
  reconcilers::EvaluationReconciler::addTo(roles.manager(), evaluator);
  reconcilers::QueueReconciler::addTo(roles.manager(), queue);
  exec(conninfo, "insert into projects (name, displayname) values ('p', 'P')");
  exec(conninfo,
       "insert into jobsets (project, name, nixexprinput, nixexprpath, checkinterval, "
       "lastcheckedtime) values ('p', 'main', 'src', 'release.nix', 0, 1)");
  exec(conninfo,
       "insert into jobsetinputs (project, jobset, name, type, value) values "
       "('p', 'main', 'src', 'git', '" +
           repo.dir() +
           " main'), "
           "('p', 'main', 'salt', 'string', 'warmup')");
  roles.start({"evaluator", "queue"});
  pqxx::connection watcher(conninfo);
  struct Finished final : pqxx::notification_receiver {
    explicit Finished(pqxx::connection& c) : pqxx::notification_receiver(c, "build_finished") {}
    void operator()(const std::string&, int) override {}
  } finished(watcher);

  std::vector<double> bare, hydrant, queue_only;
  for (int r = 0; r < rounds; ++r) {
    const std::string tag = std::to_string(::getpid()) + "-" + std::to_string(r);
    proc::RunOptions o;
    o.argv = {"nix-build",
              repo.dir() + "/release.nix",
              "--no-out-link",
              "--max-jobs",
              "2",
              "--option",
              "substitute",
              "false",
              "--argstr",
              "salt",
              "bare-" + tag};
    o.timeout = 30min;
    auto t0 = Clock::now();
    auto res = proc::run(o);
    bare.push_back(ms(Clock::now() - t0));
    if (!res || !res->ok()) {
      std::fprintf(stderr, "nix-build failed: %s\n", res ? res->err.c_str() : "");
      return 1;
    }
    exec(conninfo, "update jobsetinputs set value = 'hydrant-" + tag + "' where name = 'salt'");
    const int before = scalar(conninfo, "select count(*) from builds");
    t0 = Clock::now();
    exec(conninfo, "update jobsets set triggertime = extract(epoch from now())");
    Clock::time_point queued{};
    // Checked on one connection when the queue says a build finished (and every 20 ms until the
    // evaluation has queued them), so that watching adds next to no load to what is measured.
    auto count = [&watcher](const char* query) {
      pqxx::nontransaction tx(watcher);
      return tx.exec(query)[0][0].as<int>();
    };
    for (;;) {
      if (queued == Clock::time_point{} && count("select count(*) from builds") >= before + n) {
        queued = Clock::now();
      }
      if (queued != Clock::time_point{} &&
          count("select count(*) from builds where finished = 0") == 0) {
        break;
      }
      if (Clock::now() - t0 > 30min) return 1;
      watcher.await_notification(0, 20000);
    }
    hydrant.push_back(ms(Clock::now() - t0));
    queue_only.push_back(ms(Clock::now() - queued));
    if (scalar(conninfo, "select count(*) from builds where buildstatus <> 0") != 0) {
      std::fprintf(stderr, "some builds failed\n");
      return 1;
    }
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const double b = median(bare), h = median(hydrant), q = median(queue_only);
  std::printf("%d jobs (job i depends on job i/2), 2 local slots, median of %d rounds:\n", n,
              rounds);
  std::printf("  bare nix-build --max-jobs 2        %8.0f ms\n", b);
  std::printf("  hydrant, trigger → all finished    %8.0f ms  (%.2fx, goal 1.25x: %s)\n", h, h / b,
              h / b <= 1.25 ? "met" : "MISSED");
  std::printf("  of which: builds queued → finished %8.0f ms\n", q);
  return 0;
}
