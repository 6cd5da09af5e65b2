// What a jobset's Nix expression receives from each kind of input (HYDRA.md §5), end to end: real
// git repositories and directories, the real nix programs on a private store, a real Postgres,
// and the evaluation reconciler evaluating one jobset at a time. Also flake jobsets, the
// generated `.jobsets` jobset of a declarative project (HYDRA.md §3.2), and inputs that refer to
// the builds and evaluations of other jobsets, whose builds the test realises itself.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <set>
#include <sstream>

#include "controller/db/database.hh"
#include "controller/db/evals.hh"
#include "controller/git/mirrors.hh"
#include "controller/nix/nix.hh"
#include "controller/proc/process.hh"
#include "controller/runtime/clock.hh"
#include "reconcilers/evaluation_reconciler.hh"
#include "reconcilers/jobset_inputs.hh"
#include "tests/support/git_repo.hh"
#include "tests/support/nix_store.hh"
#include "tests/support/pg_cluster.hh"

namespace hydrant {
namespace reconcilers {
// Readable outcomes in failure messages.
void PrintTo(EvalOutcome o, std::ostream* os) {
  static const char* const kNames[] = {"kEvaluated", "kCached",  "kFetchFailed",
                                       "kFailed",    "kStopped", "kGone"};
  *os << kNames[static_cast<int>(o)];
}
}  // namespace reconcilers

namespace {

using namespace std::chrono_literals;
using reconcilers::EvalOutcome;
using testing::GitRepo;
using testing::TempDir;
using testing::TestCluster;
using testing::writeFile;

// Committed next to every expression of the main repository.
const char* kLib = R"({
  mk = name: script: derivation {
    inherit name; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" script ];
  };
})";

// Jobset `a`, which other jobsets depend on. The tests decide which of its builds succeed.
const char* kUpstream = R"({ more ? false, ... }: with import ./lib.nix; {
  job1 = mk "job1" "echo payload > $out";
  job2 = mk "job2" "echo second > $out";
} // (if more then { job3 = mk "job3" "echo third > $out"; } else { }))";

std::string readWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class EvaluationInputs : public testing::WithNixStore {
 protected:

  EvaluationInputs()
      : conninfo_(TestCluster::get().freshDatabase()),
        conn_(conninfo_),
        db_(conninfo_, 4),
        repo_(dir_ / "repo"),
        mirrors_(dir_ / "git"),
        inputs_(mirrors_, db_, "", dir_ / "scratch", 30s) {
    repo_.commit("lib.nix", kLib);
    reconcilers::EvaluatorOptions o;
    o.timeout = 60s;
    o.memory_limit_bytes = size_t{4096} << 20;
    o.eval_jobs_nix = *nix::installEvalJobsNix(dir_ / "nix");
    o.random = [] { return 0.5; };
    evaluator_ = std::make_unique<reconcilers::EvaluationReconciler>(db_, inputs_, clock_, o);
    sql("insert into projects (name, displayname) values ('p', 'P')");
  }

  pqxx::result sql(const std::string& q) {
    pqxx::work w(conn_);
    auto r = w.exec(q);
    w.commit();
    return r;
  }
  std::string quote(const std::string& s) { return conn_.quote(s); }
  // The first cell of `q`'s first row as text, "<null>" for null.
  std::string text(const std::string& q) {
    auto r = sql(q);
    return r[0][0].is_null() ? "<null>" : r[0][0].as<std::string>();
  }
  std::string column(int id, const std::string& col) {
    return text("select " + col + " from jobsets where id = " + std::to_string(id));
  }

  // A legacy jobset taking its expression from `exprinput`/`exprpath`, with a git input `src`
  // following the main repository's main branch.
  int jobset(const std::string& name, const std::string& exprpath,
             const std::string& exprinput = "src") {
    auto r = sql("insert into jobsets (project, name, nixexprinput, nixexprpath) values ('p', " +
                 quote(name) + ", " + quote(exprinput) + ", " + quote(exprpath) + ") returning id");
    input(name, "src", "git", repo_.dir() + " main");
    return r[0][0].as<int>();
  }
  // Adds the input `name` to p:`js`, or changes it.
  void input(const std::string& js, const std::string& name, const std::string& type,
             const std::string& value) {
    sql("insert into jobsetinputs (project, jobset, name, type, value) values ('p', " + quote(js) +
        ", " + quote(name) + ", " + quote(type) + ", " + quote(value) +
        ") on conflict (project, jobset, name) do update set type = excluded.type, "
        "value = excluded.value");
  }
  int flakeJobset(const std::string& name, const std::string& flake) {
    return sql("insert into jobsets (project, name, type, flake) values ('p', " + quote(name) +
               ", 1, " + quote(flake) + ") returning id")[0][0]
        .as<int>();
  }

  EvalOutcome evaluate(int id) { return evaluator_->evaluateNow(id, {}); }

  std::vector<db::BuildView> builds(const std::string& js, const std::string& project = "p") {
    return *db_.read<std::vector<db::BuildView>>(
        [&](db::ReadTx& tx) { return db::listBuilds(tx, project, js, 1000); });
  }
  db::BuildView build(const std::string& js, const std::string& job) {
    for (const auto& b : builds(js)) {
      if (b.job == job && b.iscurrent) return b;
    }
    ADD_FAILURE() << "no current build of " << js << ":" << job;
    return {};
  }
  std::vector<db::EvalView> evals(const std::string& js, const std::string& project = "p") {
    return *db_.read<std::vector<db::EvalView>>(
        [&](db::ReadTx& tx) { return db::listEvals(tx, project, js, 100); });
  }
  // The input `name` as the jobset's newest evaluation with new builds recorded it.
  db::EvalInputView usedInput(const std::string& js, const std::string& name,
                              const std::string& project = "p") {
    auto all = evals(js, project);
    if (all.empty() || !all[0].inputs.count(name)) {
      ADD_FAILURE() << "no input " << name << " recorded for " << js;
      return {};
    }
    return all[0].inputs.at(name);
  }

  // Builds `drv` with nix-store, as the queue runner would, and returns its output's content.
  std::string realise(const std::string& drv) {
    proc::RunOptions o;
    o.argv = {"nix-store", "--realise", drv};
    o.timeout = 60s;
    auto r = proc::run(o);
    EXPECT_TRUE(r && r->ok()) << drv << ": " << (r ? r->err : r.error().message);
    if (!r || !r->ok()) return "";
    std::string out = r->out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return readWhole(out);
  }
  // Marks a build finished with `status`, as the queue runner records it.
  void finish(int build_id, int status) {
    sql("update builds set finished = 1, buildstatus = " + std::to_string(status) +
        ", starttime = 1700000000, stoptime = 1700000001 where id = " + std::to_string(build_id));
  }

  TempDir dir_;
  std::string conninfo_;
  pqxx::connection conn_;
  db::Database db_;
  GitRepo repo_;
  git::Mirrors mirrors_;
  reconcilers::JobsetInputs inputs_;
  runtime::SystemClock clock_;
  std::unique_ptr<reconcilers::EvaluationReconciler> evaluator_;
};

TEST_F(EvaluationInputs, GitInputGivesRevisionAttributesAtABranchOrACommit) {
  auto release = [](const std::string& version) {
    return "{ src }: with import ./lib.nix; {\n  info = mk \"info-${toString src.revCount}-"
           "${src.shortRev}\"\n    \"echo ${src.uri} ${src.rev} ${src.inputType} " +
           version + " > $out\";\n}\n";
  };
  const std::string pinned = repo_.commit("release.nix", release("v2"));  // 2 commits
  const std::string branched = repo_.commit("release.nix", release("v3"));
  testing::git(repo_.dir(), {"branch", "feature"});
  const std::string head = repo_.commit("release.nix", release("v4"));
  // The commit first: the mirror does not exist yet and must be fetched for it.
  const int at_commit = jobset("commit", "release.nix");
  input("commit", "src", "git", repo_.dir() + " " + pinned);
  const int at_branch = jobset("feature", "release.nix");
  input("feature", "src", "git", repo_.dir() + " feature");
  const int at_main = jobset("main", "release.nix");

  struct Case {
    int id;
    std::string js, rev, nixname, content;
  } cases[] = {
      {at_commit, "commit", pinned, "info-2-" + pinned.substr(0, 7), "v2"},
      {at_branch, "feature", branched, "info-3-" + branched.substr(0, 7), "v3"},
      {at_main, "main", head, "info-4-" + head.substr(0, 7), "v4"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.js);
    ASSERT_EQ(evaluate(c.id), EvalOutcome::kEvaluated) << column(c.id, "fetcherrormsg");
    auto all = builds(c.js);
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].job, "info");
    EXPECT_EQ(all[0].nixname, c.nixname);
    EXPECT_EQ(realise(all[0].drvpath), repo_.dir() + " " + c.rev + " git " + c.content + "\n");
    auto src = usedInput(c.js, "src");
    EXPECT_EQ(src.type, "git");
    EXPECT_EQ(src.revision, c.rev);
    EXPECT_EQ(src.uri, repo_.dir());
  }
}

TEST_F(EvaluationInputs, StringBooleanNixAndPathInputsReachTheFunction) {
  repo_.commit("release.nix", R"({ greeting, quoted, yes, no, cfg, tree }:
    with import ./lib.nix;
    assert quoted == "a\"b\${c}\\d";
    let t = import "${tree}/values.nix"; in
    assert import <tree/values.nix> == t;  # inputs are on the search path too
    {
      job = mk "v-${greeting}-${if yes then "y" else "n"}${if no then "y" else "n"}-${toString cfg.a}-${t.suffix}"
               "echo ${tree.inputType} ${tree.uri} > $out";
    })");
  const std::string tree = dir_ / "tree";
  writeFile(tree + "/values.nix", R"({ suffix = "one"; })");
  const int id = jobset("main", "release.nix");
  input("main", "greeting", "string", "hello");
  input("main", "quoted", "string", R"(a"b${c}\d)");
  input("main", "yes", "boolean", "true");
  input("main", "no", "boolean", "false");
  input("main", "cfg", "nix", "{ a = 1; } # a comment ends the value");
  input("main", "tree", "path", tree);

  ASSERT_EQ(evaluate(id), EvalOutcome::kEvaluated) << column(id, "errormsg");
  const auto first = build("main", "job");
  EXPECT_EQ(first.nixname, "v-hello-yn-1-one");
  EXPECT_EQ(realise(first.drvpath), "path " + tree + "\n");
  EXPECT_EQ(usedInput("main", "greeting").value, "hello");
  EXPECT_EQ(usedInput("main", "yes").value, "true");
  EXPECT_EQ(usedInput("main", "tree").uri, tree);
  const std::string stored = text("select path from jobsetevalinputs where name = 'tree'");
  EXPECT_EQ(stored.rfind(store().storeDir() + "/", 0), 0u) << stored;

  // Nothing changed: cached. A file of the directory changed: a new evaluation.
  EXPECT_EQ(evaluate(id), EvalOutcome::kCached);
  writeFile(tree + "/values.nix", R"({ suffix = "two"; })");
  ASSERT_EQ(evaluate(id), EvalOutcome::kEvaluated) << column(id, "errormsg");
  EXPECT_EQ(build("main", "job").nixname, "v-hello-yn-1-two");
  EXPECT_EQ(text("select count(*) from jobsetevals"), "2");
  EXPECT_NE(text("select path from jobsetevalinputs where name = 'tree' order by eval desc "
                 "limit 1"),
            stored);
}

TEST_F(EvaluationInputs, BuildInputWaitsForASuccessfulBuildOfTheJob) {
  repo_.commit("a.nix", kUpstream);
  repo_.commit("b.nix", R"({ dep, ... }: with import ./lib.nix; {
    consumer = mk "consumer-of-${toString dep.id}-${dep.inputType}"
                  "read x < ${dep.outPath}; echo \"got $x\" > $out";
  })");
  const int a = jobset("a", "a.nix");
  const int b = jobset("b", "b.nix");
  input("b", "dep", "build", "p:a:job1");

  EXPECT_EQ(evaluate(b), EvalOutcome::kFetchFailed);
  EXPECT_EQ(column(b, "fetcherrormsg"), "input ‘dep’: no successful build of job p:a:job1 yet");
  EXPECT_EQ(column(b, "condition"), "Reconciling");
  EXPECT_EQ(column(b, "condition_reason"), "FetchFailed");

  ASSERT_EQ(evaluate(a), EvalOutcome::kEvaluated);
  const auto job1 = build("a", "job1");
  // Queued is not enough, and neither is a success whose output is not in the store.
  EXPECT_EQ(evaluate(b), EvalOutcome::kFetchFailed);
  finish(job1.id, 0);
  EXPECT_EQ(evaluate(b), EvalOutcome::kFetchFailed);
  const std::string out = job1.buildoutputs.at("out");
  EXPECT_EQ(column(b, "fetcherrormsg"), "input ‘dep’: the output " + out + " of build " +
                                            std::to_string(job1.id) + " is not in the store");
  EXPECT_EQ(realise(job1.drvpath), "payload\n");

  ASSERT_EQ(evaluate(b), EvalOutcome::kEvaluated) << column(b, "fetcherrormsg");
  const auto consumer = build("b", "consumer");
  EXPECT_EQ(consumer.nixname, "consumer-of-" + std::to_string(job1.id) + "-build");
  EXPECT_EQ(realise(consumer.drvpath), "got payload\n");
  const auto dep = usedInput("b", "dep");
  EXPECT_EQ(dep.type, "build");
  EXPECT_EQ(dep.dependency, job1.id);
  EXPECT_EQ(column(b, "fetcherrormsg"), "<null>");
  EXPECT_EQ(column(b, "condition"), "Ready");
  EXPECT_EQ(evaluate(b), EvalOutcome::kCached);
}

TEST_F(EvaluationInputs, EvalInputMapsJobsToTheSuccessfulOutputsOfAFinishedEvaluation) {
  repo_.commit("a.nix", kUpstream);
  repo_.commit("c.nix", R"({ deps, ... }: with import ./lib.nix; {
    user = mk "user-${builtins.concatStringsSep "+" (builtins.attrNames deps)}"
              "read x < ${deps.job1}; echo \"got $x\" > $out";
  })");
  const int a = jobset("a", "a.nix");
  const int c = jobset("c", "c.nix");
  input("c", "deps", "eval", "p:a");

  EXPECT_EQ(evaluate(c), EvalOutcome::kFetchFailed);
  EXPECT_EQ(column(c, "fetcherrormsg"), "input ‘deps’: no finished evaluation of p:a yet");
  ASSERT_EQ(evaluate(a), EvalOutcome::kEvaluated);
  const std::string a_eval = text("select max(id) from jobsetevals");
  const auto job1 = build("a", "job1");
  EXPECT_EQ(realise(job1.drvpath), "payload\n");
  finish(job1.id, 0);
  // job2 is still queued: the evaluation is not finished.
  EXPECT_EQ(evaluate(c), EvalOutcome::kFetchFailed);
  finish(build("a", "job2").id, 1);

  // Only the successful job is in the set.
  ASSERT_EQ(evaluate(c), EvalOutcome::kEvaluated) << column(c, "fetcherrormsg");
  const auto user = build("c", "user");
  EXPECT_EQ(user.nixname, "user-job1");
  EXPECT_EQ(realise(user.drvpath), "got payload\n");
  EXPECT_EQ(usedInput("c", "deps").revision, a_eval);
  EXPECT_EQ(evaluate(c), EvalOutcome::kCached);

  // job2 is restarted and succeeds: the same evaluation now gives two jobs.
  const auto job2 = build("a", "job2");
  EXPECT_EQ(realise(job2.drvpath), "second\n");
  sql("update builds set buildstatus = 0 where id = " + std::to_string(job2.id));
  ASSERT_EQ(evaluate(c), EvalOutcome::kEvaluated);
  EXPECT_EQ(build("c", "user").nixname, "user-job1+job2");

  // The same evaluation named by its id.
  const int d = jobset("d", "c.nix");
  input("d", "deps", "eval", a_eval);
  ASSERT_EQ(evaluate(d), EvalOutcome::kEvaluated) << column(d, "fetcherrormsg");
  EXPECT_EQ(build("d", "user").nixname, "user-job1+job2");
  EXPECT_EQ(usedInput("d", "deps").revision, a_eval);

  // A newer evaluation of `a` whose new build is still queued: `p:a` keeps the finished one.
  input("a", "more", "boolean", "true");
  ASSERT_EQ(evaluate(a), EvalOutcome::kEvaluated);
  const std::string newer =
      text("select max(id) from jobsetevals where jobset_id = " + std::to_string(a));
  EXPECT_EQ(evaluate(c), EvalOutcome::kCached);
  const auto job3 = build("a", "job3");
  EXPECT_EQ(realise(job3.drvpath), "third\n");
  finish(job3.id, 0);
  ASSERT_EQ(evaluate(c), EvalOutcome::kEvaluated);
  EXPECT_EQ(build("c", "user").nixname, "user-job1+job2+job3");
  EXPECT_EQ(usedInput("c", "deps").revision, newer);
}

// A flake without inputs whose jobs are nested attribute sets (Hydra walks every one).
std::string flake(const std::string& version) {
  return R"({
  outputs = { self }: let
    mk = name: derivation { inherit name; system = "x86_64-linux"; builder = "/bin/sh";
                            args = [ "-c" "echo ${name} > $out" ]; };
  in {
    hydraJobs = { hello.x86_64-linux = mk "hello-)" +
         version + R"("; tools.lint = mk "lint"; };
  };
})";
}

TEST_F(EvaluationInputs, FlakeJobsetIsLockedCachedAndFollowsCommits) {
  GitRepo flk(dir_ / "flake");
  const std::string first = flk.commit("flake.nix", flake("1"));
  const int id = flakeJobset("f", "git+file://" + flk.dir());

  ASSERT_EQ(evaluate(id), EvalOutcome::kEvaluated)
      << column(id, "errormsg") << column(id, "fetcherrormsg");
  std::set<std::string> jobs;
  for (const auto& b : builds("f")) jobs.insert(b.job);
  EXPECT_EQ(jobs, (std::set<std::string>{"hello.x86_64-linux", "tools.lint"}));
  EXPECT_EQ(build("f", "hello.x86_64-linux").nixname, "hello-1");
  const std::string locked = text("select flake from jobsetevals order by id desc limit 1");
  EXPECT_EQ(locked.rfind("git+file://" + flk.dir() + "?", 0), 0u) << locked;
  EXPECT_NE(locked.find("rev=" + first), std::string::npos) << locked;
  EXPECT_EQ(evals("f").at(0).flake, locked);

  EXPECT_EQ(evaluate(id), EvalOutcome::kCached);
  EXPECT_EQ(text("select count(*) from jobsetevals"), "1");

  const std::string second = flk.commit("flake.nix", flake("2"));
  ASSERT_EQ(evaluate(id), EvalOutcome::kEvaluated) << column(id, "errormsg");
  EXPECT_NE(text("select flake from jobsetevals order by id desc limit 1").find("rev=" + second),
            std::string::npos);
  EXPECT_EQ(build("f", "hello.x86_64-linux").nixname, "hello-2");
  EXPECT_EQ(builds("f").size(), 3u);  // tools.lint did not change
}

TEST_F(EvaluationInputs, PathFlakeWithOnlyChecksIsEvaluated) {
  const std::string dir = dir_ / "checks";
  writeFile(dir + "/flake.nix", R"({
  outputs = { self }: {
    checks.x86_64-linux.unit = derivation {
      name = "unit"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "touch $out" ];
    };
  };
})");
  const int id = flakeJobset("checks", "path:" + dir);
  ASSERT_EQ(evaluate(id), EvalOutcome::kEvaluated)
      << column(id, "errormsg") << column(id, "fetcherrormsg");
  auto all = builds("checks");
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].job, "x86_64-linux.unit");
  EXPECT_EQ(all[0].nixname, "unit");
  const std::string locked = text("select flake from jobsetevals");
  EXPECT_EQ(locked.rfind("path:" + dir + "?", 0), 0u) << locked;
  EXPECT_NE(locked.find("narHash="), std::string::npos) << locked;
  EXPECT_EQ(evaluate(id), EvalOutcome::kCached);
}

class GeneratedJobsets : public EvaluationInputs {
 protected:
  // A declarative project whose `.jobsets` evaluates `generator` from its declarative input.
  int declarative(const std::string& project, const std::string& decltype_,
                  const std::string& declvalue, const std::string& generator) {
    sql("insert into projects (name, displayname, declfile, decltype, declvalue) values (" +
        quote(project) + ", 'D', 'spec.json', " + quote(decltype_) + ", " + quote(declvalue) + ")");
    return sql("insert into jobsets (project, name, nixexprinput, nixexprpath, triggertime) "
               "values (" +
               quote(project) + ", '.jobsets', 'declInput', " + quote(generator) +
               ", extract(epoch from now())::bigint) returning id")[0][0]
        .as<int>();
  }
};

TEST_F(GeneratedJobsets, TheSingleJobsetsJobIsBuiltWithDeclInputAndProjectName) {
  const std::string decl = dir_ / "decl";
  writeFile(decl + "/spec.json",
            R"({"enabled": 1, "nixexprinput": "declInput", "nixexprpath": "jobsets.nix",
                "emailoverride": "", "inputs": {}})");
  writeFile(decl + "/jobsets.nix", R"({ declInput, projectName, ... }: {
    jobsets = derivation {
      name = "jobsets-${projectName}"; system = builtins.currentSystem; builder = "/bin/sh";
      args = [ "-c" "echo '{\"main\": {\"from\": \"${declInput.inputType}\"}}' > $out" ];
    };
  })");
  const int id = declarative("gen", "path", decl, "jobsets.nix");
  ASSERT_EQ(evaluate(id), EvalOutcome::kEvaluated)
      << column(id, "errormsg") << column(id, "fetcherrormsg");
  auto all = builds(".jobsets", "gen");
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].job, "jobsets");
  EXPECT_EQ(all[0].nixname, "jobsets-gen");
  EXPECT_EQ(realise(all[0].drvpath), "{\"main\": {\"from\": \"path\"}}\n");
  const auto decl_input = usedInput(".jobsets", "declInput", "gen");
  EXPECT_EQ(decl_input.type, "path");
  EXPECT_EQ(decl_input.uri, decl);
  const auto name = usedInput(".jobsets", "projectName", "gen");
  EXPECT_EQ(name.type, "string");
  EXPECT_EQ(name.value, "gen");
  EXPECT_EQ(column(id, "triggertime"), "<null>");
}

TEST_F(GeneratedJobsets, AGeneratorWithTwoJobsFailsTheEvaluation) {
  repo_.commit("gen.nix", R"({ declInput, projectName }: with import ./lib.nix; {
    jobsets = mk "jobsets" "echo '{}' > $out";
    extra = mk "extra" "touch $out";
  })");
  const int id = declarative("two", "git", repo_.dir() + " main", "gen.nix");
  EXPECT_EQ(evaluate(id), EvalOutcome::kFailed);
  EXPECT_EQ(column(id, "errormsg"),
            "The .jobsets jobset must only have a single job named 'jobsets'");
  EXPECT_EQ(column(id, "condition_reason"), "EvaluationFailed");
  EXPECT_TRUE(builds(".jobsets", "two").empty());
}

TEST_F(EvaluationInputs, BadInputsFailWithAMessageNamingThem) {
  repo_.commit("release.nix", R"({ ... }: with import ./lib.nix; { ok = mk "ok" "touch $out"; })");
  const int typo = jobset("typo", "release.nix", "nope");
  // The database refuses an unknown type, or a boolean that is neither true nor false.
  EXPECT_THROW(input("typo", "x", "svn", "https://example.invalid/x"), pqxx::check_violation);
  EXPECT_THROW(input("typo", "x", "boolean", "yes"), pqxx::check_violation);

  EXPECT_EQ(evaluate(typo), EvalOutcome::kFailed);
  EXPECT_EQ(column(typo, "errormsg"), "nixexprinput ‘nope’ is not an input of this jobset");
  EXPECT_EQ(column(typo, "condition"), "Stalled");
  EXPECT_EQ(column(typo, "condition_reason"), "EvaluationFailed");

  const int str = jobset("str", "release.nix", "s");
  input("str", "s", "string", "release.nix");
  EXPECT_EQ(evaluate(str), EvalOutcome::kFailed);
  EXPECT_EQ(column(str, "errormsg"),
            "nixexprinput ‘s’ is of type string; it must be an input with files (git, path or build)");

  const int bad = jobset("bad", "release.nix");
  input("bad", "dep", "build", "a:b:c:d");
  EXPECT_EQ(evaluate(bad), EvalOutcome::kFetchFailed);
  EXPECT_EQ(column(bad, "fetcherrormsg"),
            "input ‘dep’: a build input is \"[project:][jobset:]job\", not \"a:b:c:d\"");
  EXPECT_EQ(column(bad, "condition_reason"), "FetchFailed");
  EXPECT_TRUE(builds("bad").empty());

  const std::string missing = dir_ / "no-such-flake";
  const int flk = flakeJobset("flk", "path:" + missing);
  EXPECT_EQ(evaluate(flk), EvalOutcome::kFetchFailed);
  EXPECT_EQ(column(flk, "fetcherrormsg").rfind("flake path:" + missing + ": ", 0), 0u)
      << column(flk, "fetcherrormsg");
}

}  // namespace
}  // namespace hydrant
