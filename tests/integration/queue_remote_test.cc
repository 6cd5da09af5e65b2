// The build queue with remote machines from a machines file: steps go over SSH to a real sshd on
// loopback (a separate remote store, RECIPES §6), outputs come back, failures are recorded; a
// machine that cannot be reached is backed off and its step is built elsewhere.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>

#include "controller/db/database.hh"
#include "controller/git/mirrors.hh"
#include "controller/nix/nix.hh"
#include "controller/queue_wiring.hh"
#include "controller/runtime/manager.hh"
#include "reconcilers/evaluation_reconciler.hh"
#include "reconcilers/jobset_inputs.hh"
#include "reconcilers/queue_reconciler.hh"
#include "tests/support/git_repo.hh"
#include "tests/support/nix_store.hh"
#include "tests/support/pg_cluster.hh"
#include "tests/support/sql.hh"
#include "tests/support/running_roles.hh"
#include "tests/support/sshd.hh"
#include "tests/support/wait.hh"

namespace hydrant {
namespace {

using namespace std::chrono_literals;
using reconcilers::QueueReconciler;
using testing::eventually;

// `salt` keeps each test's derivations its own (the tests share one store).
std::string release(const std::string& salt) {
  return R"({ src ? null }:
let mk = attrs: derivation ({ system = builtins.currentSystem; builder = "/bin/sh"; } // attrs);
in rec {
  base = mk { name = "base"; args = [ "-c" "echo base )" + salt + R"( > $out" ]; };
  top = mk { name = "top"; inherit base; args = [ "-c" "read x < $base; echo \"top of $x\" > $out" ]; };
  broken = mk { name = "broken"; args = [ "-c" "echo remote failing )" + salt + R"(; exit 3" ]; };
})";
}

class RemoteQueue : public testing::WithNixStore {
 protected:

  RemoteQueue()
      : conninfo_(testing::TestCluster::get().freshDatabase()),
        db_(conninfo_, 8),
        repo_(dir_ / "repo"),
        mirrors_(dir_ / "git"),
        inputs_(mirrors_, db_, "", dir_ / "scratch", 30s),
        roles_(db_, clock_) {
    repo_.commit("release.nix",
                 release(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    sql("insert into projects (name, displayname) values ('p', 'P')");
    jobset_ = sql("insert into jobsets (project, name, nixexprinput, nixexprpath) values "
                  "('p', 'main', 'src', 'release.nix') returning id")[0][0]
                  .as<int>();
    sql("insert into jobsetinputs (project, jobset, name, type, value) values ('p', 'main', "
        "'src', 'git', '" + repo_.dir() + " main')");
  }
  pqxx::result sql(const std::string& q) { return testing::sqlExec(conninfo_, q); }

  // The sshd's machine as a machines-file line (the remote store and program in its URI).
  static std::string line(const testing::Sshd& sshd, const std::string& uri_override = "",
                          const std::string& speed = "1") {
    const nix::MachineTarget m = sshd.machine();
    const std::string uri = (uri_override.empty() ? m.uri : uri_override) +
                            "?remote-store=" + m.remote_store +
                            "&remote-program=" + m.remote_program;
    return uri + " " + localSystem() + " " + m.ssh_key + " 2 " + speed + " - - " + m.host_key +
           "\n";
  }

  void evaluate() {
    reconcilers::EvaluatorOptions o;
    o.eval_jobs_nix = *nix::installEvalJobsNix(dir_ / "nix");
    o.random = [] { return 0.5; };
    reconcilers::EvaluationReconciler e(db_, inputs_, clock_, o);
    ASSERT_EQ(e.evaluateNow(jobset_, {}), reconcilers::EvalOutcome::kEvaluated);
  }

  void runQueue(const std::string& machines) {
    std::ofstream(dir_ / "machines") << machines;
    reconcilers::QueueOptions o;
    o.machines_file = dir_ / "machines";
    o.local_system = localSystem();
    o.log_dir = dir_ / "logs";
    o.gc_roots_dir = dir_ / "gcroots";
    o.retry.base_seconds = 1;  // retry at once, not after Hydra's 60 s
    o.retry.jitter_seconds = 0;
    o.random = [] { return 0.5; };
    queue_ = std::make_shared<QueueReconciler>(db_, clock_, o);
    QueueReconciler::addTo(roles_.manager(), queue_);
    roles_.start({"queue"});
  }

  int unfinished() { return sql("select count(*) from builds where finished = 0")[0][0].as<int>(); }
  std::string statusOf(const std::string& job) {
    return sql("select buildstatus from builds where job = '" + job + "'")[0][0].as<std::string>();
  }
  std::string machinesOf(const std::string& job) {
    std::string out;
    for (const auto& r : sql("select s.machine, s.status from buildsteps s join builds b on "
                             "b.id = s.build where b.job = '" + job +
                             "' and s.propagatedfrom is null order by s.stepnr")) {
      out += (out.empty() ? "" : " ") + r[0].as<std::string>() + ":" + r[1].as<std::string>();
    }
    return out;
  }

  testing::TempDir dir_;
  std::string conninfo_;
  db::Database db_;
  testing::GitRepo repo_;
  git::Mirrors mirrors_;
  reconcilers::JobsetInputs inputs_;
  runtime::SystemClock clock_;
  std::shared_ptr<QueueReconciler> queue_;
  testing::RunningRoles roles_;  // after queue_: stops it before it goes
  int jobset_ = 0;
};

TEST_F(RemoteQueue, StepsAreBuiltOnTheRemoteMachineAndTheirOutputsComeBack) {
  testing::Sshd sshd(store().storeDir());
  if (!sshd.running()) GTEST_SKIP() << sshd.skipReason();
  evaluate();
  runQueue(line(sshd));  // the remote machine only
  ASSERT_TRUE(eventually([&] { return unfinished() == 0; }, 90s, 50ms));
  EXPECT_EQ(statusOf("base"), "0");
  EXPECT_EQ(statusOf("top"), "0");
  EXPECT_EQ(statusOf("broken"), "1");
  // Steps record the machine's URI as the machines file gives it.
  const nix::MachineTarget m = sshd.machine();
  const std::string remote =
      m.uri + "?remote-store=" + m.remote_store + "&remote-program=" + m.remote_program;
  EXPECT_EQ(machinesOf("top"), remote + ":0");
  EXPECT_EQ(machinesOf("broken"), remote + ":1");
  for (const auto& r : sql("select o.path from buildoutputs o join builds b on b.id = o.build "
                           "where b.buildstatus = 0")) {
    EXPECT_TRUE(std::filesystem::exists(r[0].as<std::string>())) << "copied back";
  }
}

TEST_F(RemoteQueue, AnUnreachableMachineIsBackedOffAndItsStepBuiltElsewhere) {
  testing::Sshd sshd(store().storeDir());
  if (!sshd.running()) GTEST_SKIP() << sshd.skipReason();
  evaluate();
  // The unreachable machine is the fastest, so the dispatcher tries it first.
  const std::string dead = "ssh://root@127.0.0.1:" + std::to_string(testing::Sshd::freePort());
  runQueue(line(sshd, dead, "10") + "localhost " + localSystem() + " - 2 1\n");
  ASSERT_TRUE(eventually([&] { return unfinished() == 0; }, 90s, 50ms));
  EXPECT_EQ(statusOf("top"), "0");
  EXPECT_EQ(statusOf("broken"), "1");
  // Some step met the dead machine first (aborted there), then everything was built locally.
  const auto aborted =
      sql("select count(*) from buildsteps where machine like 'ssh://root@127.0.0.1:%' and "
          "status = 3")[0][0]
          .as<int>();
  EXPECT_GE(aborted, 1);
  EXPECT_EQ(sql("select count(*) from buildsteps where machine = 'localhost' and status = 0 "
                "and propagatedfrom is null")[0][0]
                .as<int>(),
            2);
}

}  // namespace
}  // namespace hydrant
