// Evaluation overhead of nix/eval-jobs.nix: a jobset of 1000 trivial derivations, evaluated by
// nix::evaluate() (nix-instantiate --eval --strict --json --read-write-mode eval-jobs.nix, JSON
// parsed into EvalJobs) against a bare `nix-instantiate jobset.nix` of the same expression.
// Each round uses fresh derivation names, so both write 1000 new .drv files ("cold"); then both
// evaluate already-written derivations again ("warm"). The two alternate, in a private store.
// Usage: build/tests/eval_jobs_bench [rounds]   (default 7; not part of ctest)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "controller/nix/nix.hh"
#include "controller/proc/process.hh"
#include "tests/support/git_repo.hh"
#include "tests/support/nix_store.hh"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace nix = hydrant::nix;

constexpr int kJobs = 1000;

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void must(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "bench failed: %s\n", what.c_str());
    std::exit(1);
  }
}

double bare(const std::string& jobset, const std::string& seed) {
  hydrant::proc::RunOptions o;
  o.argv = {"nix-instantiate", jobset, "--argstr", "seed", seed};
  o.timeout = 600s;
  const auto start = Clock::now();
  auto r = hydrant::proc::run(o);
  const double took = ms(Clock::now() - start);
  must(r && r->ok(), "nix-instantiate: " + (r ? r->err : r.error().message));
  return took;
}

double adapter(const std::string& eval_jobs_nix, const std::string& jobset,
               const std::string& seed) {
  nix::EvalRequest request;
  request.eval_jobs_nix = eval_jobs_nix;
  request.expr_file = jobset;
  request.args = {{"seed", false, seed}};
  request.timeout = 600s;
  const auto start = Clock::now();
  auto result = nix::evaluate(request, {});
  const double took = ms(Clock::now() - start);
  must(result && result->jobs.size() == kJobs, result ? "wrong job count" : result.error().message);
  return took;
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 7;
  hydrant::testing::NixStore store;
  store.apply();
  const std::string jobset = store.root() + "/jobset.nix";
  hydrant::testing::writeFile(
      jobset, "{ seed }:\nwith import " HYDRANT_SOURCE_DIR
              "/tests/fixtures/jobs/config.nix;\n"
              "builtins.listToAttrs (builtins.genList (i: {\n"
              "  name = \"job${toString i}\";\n"
              "  value = mkScript \"job-${seed}-${toString i}\" \"mkdir $out\" { };\n"
              "}) " +
                  std::to_string(kJobs) + ")\n");
  auto installed = nix::installEvalJobsNix(store.root() + "/hydrant");
  must(installed.has_value(), "installEvalJobsNix");
  adapter(*installed, jobset, "warmup");  // the store's database is created on first use

  std::vector<double> bare_cold, ours_cold, bare_warm, ours_warm;
  for (int i = 0; i < rounds; ++i) {
    const std::string n = std::to_string(i);
    bare_cold.push_back(bare(jobset, "bare" + n));
    ours_cold.push_back(adapter(*installed, jobset, "ours" + n));
    bare_warm.push_back(bare(jobset, "bare" + n));
    ours_warm.push_back(adapter(*installed, jobset, "ours" + n));
  }
  std::printf("%d trivial derivations, median of %d rounds\n", kJobs, rounds);
  std::printf("  cold: nix-instantiate %7.1f ms   nix::evaluate %7.1f ms   ratio %.2f\n",
              median(bare_cold), median(ours_cold), median(ours_cold) / median(bare_cold));
  std::printf("  warm: nix-instantiate %7.1f ms   nix::evaluate %7.1f ms   ratio %.2f\n",
              median(bare_warm), median(ours_warm), median(ours_warm) / median(bare_warm));
  return 0;
}
