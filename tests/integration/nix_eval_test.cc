// Integration tests for the Nix adapter (controller/nix/nix.hh) against the real nix programs and
// a private store per test. The jobsets are the Hydra-style fixtures in tests/fixtures/jobs.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "controller/nix/nix.hh"
#include "controller/proc/process.hh"
#include "gtest/gtest.h"
#include "tests/support/git_repo.hh"
#include "tests/support/nix_store.hh"
#include "tests/support/wait.hh"

namespace hydrant::nix {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using std::chrono::steady_clock;

const std::string kFixtures = std::string(HYDRANT_SOURCE_DIR) + "/tests/fixtures/jobs";

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> attrsOf(const EvalResult& result) {
  std::vector<std::string> attrs;
  for (const EvalJob& job : result.jobs) attrs.push_back(job.attr);
  return attrs;
}

const EvalJob& jobNamed(const EvalResult& result, const std::string& attr) {
  static const EvalJob kMissing;
  for (const EvalJob& job : result.jobs) {
    if (job.attr == attr) return job;
  }
  ADD_FAILURE() << "no job " << attr;
  return kMissing;
}

// Live processes whose command line contains `needle` (zombies have an empty one).
std::vector<pid_t> processesMentioning(const std::string& needle) {
  std::vector<pid_t> pids;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = readFile(entry.path() / "cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(needle) != std::string::npos) pids.push_back(std::stoi(name));
  }
  return pids;
}

class NixEval : public ::testing::Test {
 protected:
  void SetUp() override {
    store_.apply();
    Result<std::string> installed = installEvalJobsNix(store_.root() + "/hydrant");
    ASSERT_TRUE(installed.has_value()) << installed.error().message;
    eval_jobs_nix_ = *installed;
  }

  EvalRequest legacy(const std::string& fixture) const {
    EvalRequest request;
    request.eval_jobs_nix = eval_jobs_nix_;
    request.expr_file = kFixtures + "/" + fixture;
    request.timeout = 60s;
    return request;
  }

  EvalRequest flake(const std::string& dir) const {
    Result<std::string> locked = lockFlake("path:" + kFixtures + "/" + dir, 60s, {});
    EXPECT_TRUE(locked.has_value()) << locked.error().message;
    EvalRequest request;
    request.eval_jobs_nix = eval_jobs_nix_;
    request.flake = locked ? *locked : "";
    request.timeout = 60s;
    return request;
  }

  static EvalResult evalOk(const EvalRequest& request) {
    Result<EvalResult> result = evaluate(request, {});
    EXPECT_TRUE(result.has_value()) << result.error().message;
    return result ? *result : EvalResult{};
  }

  static Error evalError(const EvalRequest& request, std::stop_token stop = {}) {
    Result<EvalResult> result = evaluate(request, std::move(stop));
    EXPECT_FALSE(result.has_value())
        << "evaluation succeeded with " << result->jobs.size() << " jobs";
    return result ? Error{} : result.error();
  }

  // A legacy request for a copy of the fixture (and config.nix) in this test's directory, so the
  // evaluator's command line names a path that no other test's process does.
  EvalRequest privateCopy(const std::string& fixture) const {
    const std::string dir = store_.root() + "/jobs";
    for (const std::string& file : {std::string("config.nix"), fixture}) {
      testing::writeFile(dir + "/" + file, readFile(kFixtures + "/" + file));
    }
    EvalRequest request = legacy(fixture);
    request.expr_file = dir + "/" + fixture;
    return request;
  }

  // A directory under the test's root with `file` holding `content`.
  std::string sourceDir(const std::string& dir, const std::string& file,
                        const std::string& content) const {
    const std::string path = store_.root() + "/" + dir;
    testing::writeFile(path + "/" + file, content);
    return path;
  }

  testing::NixStore store_;
  std::string eval_jobs_nix_;
};

TEST_F(NixEval, BasicJobsHaveDerivationsAndOutputsInTheStore) {
  const EvalResult result = evalOk(legacy("basic.nix"));
  EXPECT_EQ(attrsOf(result), (std::vector<std::string>{"fail", "succeed", "succeed_with_failed"}));
  for (const EvalJob& job : result.jobs) {
    EXPECT_FALSE(job.error) << job.attr << ": " << *job.error;
    EXPECT_TRUE(job.drv_path.starts_with(store_.storeDir() + "/")) << job.drv_path;
    EXPECT_TRUE(job.drv_path.ends_with("-" + job.nixname + ".drv")) << job.drv_path;
    EXPECT_TRUE(fs::is_regular_file(job.drv_path)) << job.drv_path << " was not written";
    ASSERT_EQ(job.outputs.size(), 1u) << job.attr;
    EXPECT_TRUE(job.outputs.at("out").starts_with(store_.storeDir() + "/")) << job.attr;
    EXPECT_TRUE(job.outputs.at("out").ends_with("-" + job.nixname)) << job.attr;
    EXPECT_FALSE(fs::exists(job.outputs.at("out"))) << "evaluation must not build " << job.attr;
    EXPECT_FALSE(job.system.empty());
    EXPECT_FALSE(job.is_aggregate);
  }
  EXPECT_EQ(jobNamed(result, "succeed_with_failed").nixname, "succeed-with-failed");
  EXPECT_EQ(jobNamed(result, "succeed").maintainers, "alice@example.com");
  EXPECT_EQ(jobNamed(result, "fail").maintainers, "");
}

TEST_F(NixEval, NestedSetsAreWalkedOnlyWithRecurseForDerivations) {
  const EvalResult result = evalOk(legacy("nested-attributes.nix"));
  EXPECT_EQ(attrsOf(result), (std::vector<std::string>{"multi", "packageset.deeper.deepest",
                                                       "packageset.nested", "top"}));
  const EvalJob& multi = jobNamed(result, "multi");
  ASSERT_EQ(multi.outputs.size(), 2u);
  EXPECT_TRUE(multi.outputs.at("out").ends_with("-multi"));
  EXPECT_TRUE(multi.outputs.at("dev").ends_with("-multi-dev"));
  EXPECT_EQ(jobNamed(result, "packageset.deeper.deepest").nixname, "deepest");
}

TEST_F(NixEval, MetaIsKeptLikeHydraKeepsIt) {
  const EvalResult result = evalOk(legacy("meta.nix"));
  ASSERT_EQ(attrsOf(result),
            (std::vector<std::string>{"full-of-meta", "no-meta", "single-license"}));
  const EvalJob& full = jobNamed(result, "full-of-meta");
  EXPECT_EQ(full.description, "This is the description of the job.");
  EXPECT_EQ(full.license, "MIT, BSD");
  EXPECT_EQ(full.homepage, "https://example.com/");
  EXPECT_EQ(full.maintainers, "alice@example.com, bob@not.found");
  EXPECT_EQ(full.scheduling_priority, 42);
  EXPECT_EQ(full.timeout, 600);
  EXPECT_EQ(full.max_silent, 60);
  EXPECT_TRUE(full.is_channel);
  EXPECT_TRUE(full.drv_path.ends_with("-full-of-meta.drv")) << full.drv_path;

  const EvalJob& single = jobNamed(result, "single-license");
  EXPECT_EQ(single.license, "GPL-3.0");
  EXPECT_EQ(single.maintainers, "Carol, dave@example.com");
  EXPECT_TRUE(single.is_channel);

  const EvalJob& none = jobNamed(result, "no-meta");
  EXPECT_EQ(none.description + none.license + none.homepage + none.maintainers, "");
  EXPECT_FALSE(none.scheduling_priority || none.timeout || none.max_silent);
  EXPECT_FALSE(none.is_channel);
}

TEST_F(NixEval, AggregatesNameTheirConstituents) {
  const EvalResult result = evalOk(legacy("aggregate.nix"));
  const std::string job1 = jobNamed(result, "job1").drv_path;
  const std::string job2 = jobNamed(result, "job2").drv_path;
  ASSERT_FALSE(job1.empty() || job2.empty());
  const EvalJob& by_name = jobNamed(result, "by_name");
  EXPECT_TRUE(by_name.is_aggregate);
  EXPECT_EQ(by_name.constituent_names, (std::vector<std::string>{"job1", "job2"}));
  EXPECT_TRUE(by_name.constituent_drvs.empty());
  const EvalJob& by_drv = jobNamed(result, "by_drv");
  EXPECT_TRUE(by_drv.is_aggregate);
  EXPECT_TRUE(by_drv.constituent_names.empty());
  EXPECT_EQ(by_drv.constituent_drvs, (std::vector<std::string>{job1, job2}));
  const EvalJob& mixed = jobNamed(result, "mixed");
  EXPECT_EQ(mixed.constituent_names, std::vector<std::string>{"job2"});
  EXPECT_EQ(mixed.constituent_drvs, std::vector<std::string>{job1});
  EXPECT_FALSE(jobNamed(result, "job1").is_aggregate);
}

TEST_F(NixEval, MissingConstituentIsReportedByName) {
  const EvalResult result = evalOk(legacy("broken-constituent.nix"));
  ASSERT_EQ(attrsOf(result), (std::vector<std::string>{"aggregate", "constituentB"}));
  const EvalJob& aggregate = jobNamed(result, "aggregate");
  EXPECT_TRUE(aggregate.is_aggregate);
  EXPECT_FALSE(aggregate.error);
  EXPECT_EQ(aggregate.constituent_names,
            (std::vector<std::string>{"constituentA", "constituentB"}));
}

TEST_F(NixEval, FailingJobsCarryTheirErrorWhileTheOthersEvaluate) {
  const EvalResult result = evalOk(legacy("throws.nix"));
  ASSERT_EQ(attrsOf(result),
            (std::vector<std::string>{"aborted", "asserted", "missing", "ok", "set.aborted",
                                      "set.bad", "set.fine", "thrown"}));
  for (const char* good : {"ok", "set.fine"}) {
    const EvalJob& job = jobNamed(result, good);
    EXPECT_FALSE(job.error) << good << ": " << job.error.value_or("");
    EXPECT_TRUE(fs::is_regular_file(job.drv_path)) << good;
  }
  // throw and assert are caught by tryEval; abort and a missing attribute are not.
  const std::pair<const char*, const char*> failures[] = {
      {"thrown", "this job is broken on purpose"}, {"asserted", "assertion"},
      {"set.bad", "bad meta on purpose"},          {"aborted", "this job aborts on purpose"},
      {"set.aborted", "nested abort on purpose"},  {"missing", "attribute 'nope' missing"},
  };
  for (const auto& [attr, text] : failures) {
    const EvalJob& job = jobNamed(result, attr);
    ASSERT_TRUE(job.error) << attr;
    EXPECT_NE(job.error->find(text), std::string::npos) << attr << ": " << *job.error;
    EXPECT_NE(job.error->find("error:"), std::string::npos) << attr << ": " << *job.error;
    EXPECT_EQ(job.error->find("--show-trace"), std::string::npos) << *job.error;
    EXPECT_TRUE(job.drv_path.empty() && job.outputs.empty()) << attr;
  }
}

// Finding the one broken job among thousands with long names: more names than fit on one command
// line, so the evaluator must not list them there.
TEST_F(NixEval, OneAbortingJobAmongThousandsIsFound) {
  EvalRequest request = legacy("basic.nix");
  request.expr_file =
      sourceDir("many", "jobs.nix",
                "with import " + kFixtures +
                    "/config.nix;\n"
                    "builtins.listToAttrs (builtins.genList (i: {\n"
                    "  name = \"a-job-name-long-enough-to-fill-a-command-line-${"
                    "toString i}\";\n"
                    "  value = mkScript \"many-${toString i}\" \"mkdir $out\" { };\n"
                    "}) 3000) // { zzz = abort \"one job aborts\"; }\n") +
      "/jobs.nix";
  const EvalResult result = evalOk(request);
  ASSERT_EQ(result.jobs.size(), 3001u);
  size_t failed = 0;
  for (const EvalJob& job : result.jobs) {
    if (!job.error) continue;
    ++failed;
    EXPECT_EQ(job.attr, "zzz");
    EXPECT_NE(job.error->find("one job aborts"), std::string::npos) << *job.error;
  }
  EXPECT_EQ(failed, 1u);
  EXPECT_TRUE(fs::is_regular_file(
      jobNamed(result, "a-job-name-long-enough-to-fill-a-command-line-2999").drv_path));
}

TEST_F(NixEval, SyntaxErrorStallsWithNixsMessage) {
  const Error error = evalError(legacy("syntax-error.nix"));
  EXPECT_EQ(error.cls, ErrorClass::kStalled);
  EXPECT_NE(error.message.find("error: syntax error, unexpected ';'"), std::string::npos)
      << error.message;
  EXPECT_NE(error.message.find("syntax-error.nix:5:12"), std::string::npos) << error.message;
}

TEST_F(NixEval, ExpressionThatIsNoJobSetStalls) {
  EvalRequest request = legacy("basic.nix");
  request.expr_file = sourceDir("expr", "number.nix", "42\n") + "/number.nix";
  const Error error = evalError(request);
  EXPECT_EQ(error.cls, ErrorClass::kStalled);
  EXPECT_NE(error.message.find("does not evaluate to an attribute set of jobs"), std::string::npos)
      << error.message;
}

TEST_F(NixEval, TimeoutKillsTheEvaluator) {
  EvalRequest request = privateCopy("never-ends.nix");
  request.timeout = 2s;
  const auto start = steady_clock::now();
  const Error error = evalError(request);
  const auto elapsed = steady_clock::now() - start;
  EXPECT_EQ(error.cls, ErrorClass::kStalled);
  EXPECT_EQ(error.message, "evaluation timed out after 2 s");
  EXPECT_GE(elapsed, 2s);
  EXPECT_LT(elapsed, 6s);
  EXPECT_TRUE(processesMentioning(request.expr_file).empty());
}

TEST_F(NixEval, StopEndsTheEvaluatorAtOnce) {
  EvalRequest request = privateCopy("never-ends.nix");
  testing::Background<Result<EvalResult>> eval(
      [&](std::stop_token stop) { return evaluate(request, stop); });
  ASSERT_TRUE(testing::eventually([&] { return !processesMentioning(request.expr_file).empty(); }));
  eval.requestStop();
  ASSERT_TRUE(eval.finishedWithin(5s));
  const Result<EvalResult> result = eval.result();
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().cls, ErrorClass::kTransient);
  EXPECT_EQ(result.error().message, "evaluation stopped");
  EXPECT_TRUE(processesMentioning(request.expr_file).empty());
}

TEST_F(NixEval, EvaluatorKilledBySignalIsReported) {
  EvalRequest request = privateCopy("never-ends.nix");
  testing::Background<Result<EvalResult>> eval(
      [&](std::stop_token stop) { return evaluate(request, stop); });
  std::vector<pid_t> evaluators;
  ASSERT_TRUE(testing::eventually([&] {
    evaluators = processesMentioning(request.expr_file);
    return evaluators.size() == 1;
  }));
  ASSERT_EQ(::kill(evaluators[0], SIGKILL), 0);
  ASSERT_TRUE(eval.finishedWithin(5s));
  const Result<EvalResult> result = eval.result();
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().cls, ErrorClass::kStalled);
  EXPECT_EQ(result.error().message, "evaluation failed due to signal 9 (Killed)");
}

TEST_F(NixEval, MemoryLimitEndsAnEvaluationThatAllocatesWithoutEnd) {
  EvalRequest request = legacy("oom.nix");
  request.memory_limit_bytes = size_t{512} << 20;
  const Error error = evalError(request);
  EXPECT_EQ(error.cls, ErrorClass::kStalled);
  EXPECT_EQ(error.message, "evaluation ran out of memory (limit 512 MiB)");
}

TEST_F(NixEval, MemoryLimitLeavesOrdinaryEvaluationsAlone) {
  EvalRequest request = legacy("basic.nix");
  request.memory_limit_bytes = size_t{512} << 20;
  EXPECT_EQ(evalOk(request).jobs.size(), 3u);
}

TEST_F(NixEval, ArgumentsArePassedLikeHydraPassesThem) {
  const std::string src = sourceDir("checkout", "version", "v1.2");
  Result<std::string> stored = addToStore(src, "source", 60s, {});
  ASSERT_TRUE(stored.has_value()) << stored.error().message;
  EvalRequest request = legacy("args.nix");
  const std::string greeting = "say \"hi\" \\ ${not.interpolated} $HOME\nbye";
  request.args = {
      {"greeting", false, greeting},
      {"enabled", true, "true"},
      {"count", true, "1 + 2 # a trailing comment"},
      {"src", true,
       "{ outPath = builtins.storePath " + nixString(*stored) +
           "; rev = \"0123abcd\"; shortRev = \"0123abc\"; revCount = 7; uri = " +
           nixString("file:///srv/repo") + "; }"},
      {"unused", false, "the function does not take it"},
  };
  const EvalResult result = evalOk(request);
  ASSERT_EQ(attrsOf(result), std::vector<std::string>{"job"});
  EXPECT_EQ(result.jobs[0].description,
            greeting + "|enabled|3|0123abcd|0123abc|7|file:///srv/repo|v1.2");
}

TEST_F(NixEval, FunctionWithEllipsisGetsEveryArgumentAndTheSearchPath) {
  EvalRequest request = legacy("args-ellipsis.nix");
  request.search_path = {{"jobs", kFixtures}};
  request.args = {{"greeting", false, "hello"}, {"extra", true, "[ 1 2 ]"}};
  const EvalResult result = evalOk(request);
  ASSERT_EQ(attrsOf(result), std::vector<std::string>{"job"});
  EXPECT_EQ(result.jobs[0].description, "extra,greeting");
}

TEST_F(NixEval, WithoutItsSearchPathTheJobFails) {
  ::setenv("NIX_PATH", ("jobs=" + kFixtures).c_str(), 1);  // the controller's must not leak in
  EvalRequest request = legacy("args-ellipsis.nix");
  request.args = {{"greeting", false, "hello"}};
  const EvalResult result = evalOk(request);
  ::unsetenv("NIX_PATH");
  ASSERT_EQ(attrsOf(result), std::vector<std::string>{"job"});
  ASSERT_TRUE(result.jobs[0].error);
  EXPECT_NE(result.jobs[0].error->find("'jobs/config.nix' was not found in the Nix search path"),
            std::string::npos)
      << *result.jobs[0].error;
}

TEST_F(NixEval, FlakeJobsComeFromHydraJobsWalkedThroughEverySet) {
  const EvalRequest request = flake("flake-hydraJobs");
  ASSERT_TRUE(request.flake->starts_with("path:")) << *request.flake;
  EXPECT_NE(request.flake->find("narHash=sha256-"), std::string::npos) << *request.flake;
  const EvalResult result = evalOk(request);
  EXPECT_EQ(attrsOf(result), (std::vector<std::string>{"fail", "nested.deeper.job", "succeed"}));
  for (const EvalJob& job : result.jobs) {
    EXPECT_TRUE(fs::is_regular_file(job.drv_path)) << job.attr;
  }
}

TEST_F(NixEval, FlakeWithoutHydraJobsUsesItsChecks) {
  const EvalResult result = evalOk(flake("flake-checks"));
  ASSERT_EQ(result.jobs.size(), 2u);
  const std::string system = result.jobs[0].system;
  EXPECT_EQ(attrsOf(result), (std::vector<std::string>{system + ".fail", system + ".succeed"}));
}

TEST_F(NixEval, FlakeWithNeitherStalls) {
  const Error error = evalError(flake("flake-empty"));
  EXPECT_EQ(error.cls, ErrorClass::kStalled);
  EXPECT_NE(error.message.find("does not provide any Hydra jobs or checks"), std::string::npos)
      << error.message;
}

TEST_F(NixEval, LockingAMissingFlakeStallsWithNixsMessage) {
  Result<std::string> locked = lockFlake("path:" + store_.root() + "/no-such-flake", 60s, {});
  ASSERT_FALSE(locked.has_value());
  EXPECT_EQ(locked.error().cls, ErrorClass::kStalled);
  EXPECT_NE(locked.error().message.find("no-such-flake"), std::string::npos)
      << locked.error().message;
}

TEST_F(NixEval, WithoutNixTheEvaluatorCannotStart) {
  const std::string path = ::getenv("PATH");
  ::setenv("PATH", "/nonexistent-hydrant-dir", 1);
  Result<EvalResult> result = evaluate(legacy("basic.nix"), {});
  ::setenv("PATH", path.c_str(), 1);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().cls, ErrorClass::kTransient);
  EXPECT_EQ(result.error().message, "cannot start nix-instantiate: not found on PATH");
}

TEST_F(NixEval, AddToStoreDoesNotDependOnTheDirectoryName) {
  const std::string first = sourceDir("tmp-1234", "file", "same content\n");
  const std::string second = sourceDir("other-tmp-5678", "file", "same content\n");
  Result<std::string> a = addToStore(first, "checkout", 60s, {});
  Result<std::string> b = addToStore(second, "checkout", 60s, {});
  ASSERT_TRUE(a.has_value()) << a.error().message;
  ASSERT_TRUE(b.has_value()) << b.error().message;
  EXPECT_EQ(*a, *b);
  EXPECT_TRUE(a->starts_with(store_.storeDir() + "/")) << *a;
  EXPECT_TRUE(a->ends_with("-checkout")) << *a;
  EXPECT_EQ(readFile(*a + "/file"), "same content\n");
  const std::string changed = sourceDir("tmp-9", "file", "other content\n");
  Result<std::string> c = addToStore(changed, "checkout", 60s, {});
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_NE(*c, *a);
}

TEST_F(NixEval, AddToStoreOfAMissingPathFails) {
  Result<std::string> added = addToStore(store_.root() + "/missing", "x", 60s, {});
  ASSERT_FALSE(added.has_value());
  EXPECT_EQ(added.error().cls, ErrorClass::kTransient);
  EXPECT_NE(added.error().message.find("missing"), std::string::npos) << added.error().message;
}

TEST_F(NixEval, ValidPathsTellsStorePathsThatExist) {
  Result<std::string> added = addToStore(sourceDir("d", "f", "x"), "valid", 60s, {});
  ASSERT_TRUE(added.has_value()) << added.error().message;
  const EvalResult evaluated = evalOk(legacy("basic.nix"));
  std::string unknown = *added;
  const size_t hash = store_.storeDir().size() + 1;
  unknown[hash] = unknown[hash] == '0' ? '1' : '0';
  const std::vector<std::string> paths = {
      *added,
      unknown,                                           // well-formed, not in the store
      jobNamed(evaluated, "succeed").drv_path,           // written by the evaluation
      jobNamed(evaluated, "succeed").outputs.at("out"),  // not built
      *added + "/f",                                     // inside a store path
      "/etc/passwd",
      store_.storeDir() + "/not-a-store-path",
      "relative",
  };
  Result<std::vector<bool>> valid = validPaths(paths, 60s, {});
  ASSERT_TRUE(valid.has_value()) << valid.error().message;
  EXPECT_EQ(*valid, (std::vector<bool>{true, false, true, false, false, false, false, false}));
  Result<std::vector<bool>> none = validPaths({}, 60s, {});
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
}

TEST_F(NixEval, InstallEvalJobsNixWritesTheCompiledInText) {
  EXPECT_EQ(evalJobsNix(), readFile(std::string(HYDRANT_SOURCE_DIR) + "/nix/eval-jobs.nix"));
  EXPECT_EQ(readFile(eval_jobs_nix_), evalJobsNix());
  EXPECT_EQ(eval_jobs_nix_, store_.root() + "/hydrant/eval-jobs.nix");
  testing::writeFile(eval_jobs_nix_, "an older version");
  Result<std::string> again = installEvalJobsNix(store_.root() + "/hydrant");
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(*again, eval_jobs_nix_);
  EXPECT_EQ(readFile(eval_jobs_nix_), evalJobsNix());
}

TEST_F(NixEval, InstallEvalJobsNixNamesTheDirectoryItCannotCreate) {
  testing::writeFile(store_.root() + "/file", "not a directory");
  Result<std::string> installed = installEvalJobsNix(store_.root() + "/file/sub");
  ASSERT_FALSE(installed.has_value());
  EXPECT_EQ(installed.error().cls, ErrorClass::kTransient);
  EXPECT_NE(installed.error().message.find(store_.root() + "/file/sub"), std::string::npos)
      << installed.error().message;
}

// What Nix reads back from nixString(s) is s.
class NixStringRoundTrip : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { store_.apply(); }
  testing::NixStore store_;
};

TEST_P(NixStringRoundTrip, NixReadsBackTheSameString) {
  proc::RunOptions o;
  o.argv = {"nix-instantiate", "--eval", "--json", "--expr", nixString(GetParam())};
  o.timeout = 60s;
  Result<proc::RunResult> r = proc::run(o);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_TRUE(r->ok()) << r->err;
  std::string expected_json;
  for (const char c : GetParam()) {
    if (c == '"' || c == '\\') expected_json += '\\';
    if (c == '\n') {
      expected_json += "\\n";
    } else if (c == '\t') {
      expected_json += "\\t";
    } else {
      expected_json += c;
    }
  }
  EXPECT_EQ(r->out, "\"" + expected_json + "\"");
}

INSTANTIATE_TEST_SUITE_P(Strings, NixStringRoundTrip,
                         ::testing::Values("plain", "", "say \"hi\"", "back\\slash",
                                           "${interpolation}", "$${double}", "ends with $",
                                           "$ {spaced}", "''${indented}", "line\nbreak\ttab",
                                           "\\${escaped}"));

TEST(NixString, EscapesQuotesBackslashesAndInterpolation) {
  EXPECT_EQ(nixString("a\"b\\c${d}$e"), R"("a\"b\\c\${d}$e")");
}

}  // namespace
}  // namespace hydrant::nix
