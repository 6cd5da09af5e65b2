// JobsetInputs: turns a jobset's declared inputs into what its Nix expression receives
// (HYDRA.md §5), in two steps. resolve() pins every input to an exact identity cheaply — a git
// input to a commit (fetched into the mirror), a path input to its content's store path, a
// build input to a build id — which is all eval caching needs. materialize() then puts git
// checkouts into the Nix store and builds the arguments, only for evaluations that really run.
// Git checkouts are remembered by (URL, commit), so an unchanged repository is added once.
// Thread-safe: evaluations of different jobsets resolve in parallel.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "controller/db/evals.hh"
#include "controller/nix/nix.hh"
#include "specs/result.hh"

namespace hydrant::db {
class Database;
}
namespace hydrant::git {
class Mirrors;
}

namespace hydrant::reconcilers {

struct ResolvedInput {
  std::string name, type, value;  // as declared ("value" with relative URLs resolved)
  std::string identity;           // what decides the evaluation's hash
  db::EvalInputRecord record;     // as stored with the evaluation
  // git: where to take the tree from once materialized.
  std::string git_url, git_rev;
  int git_rev_count = 0;
  std::optional<std::string> store_path;  // set for path inputs by resolve(), git by materialize()
  nix::EvalArg arg;                       // set by materialize()
};

class JobsetInputs {
 public:
  // `base_url`: what the project's relative declarative URL is resolved against (the root
  // source's URL). `scratch_dir`: where git trees are exported before being added to the store.
  JobsetInputs(git::Mirrors& mirrors, db::Database& db, std::string base_url,
               std::string scratch_dir, std::chrono::milliseconds timeout);

  // The jobset's inputs, plus `declInput` and `projectName` for a generated-mode `.jobsets`,
  // each pinned. Errors name the input: kTransient "input ‘src’: git fetch …: …" for fetch
  // trouble, kStalled for a value that cannot work ("input ‘dep’: no successful build of job
  // …"), either way the evaluator reports them as a fetch error.
  Result<std::vector<ResolvedInput>> resolve(const db::EvalJobset& jobset, std::stop_token stop);

  // Adds git trees to the store and sets every input's `arg` (and the store paths of inputs
  // that have one). Errors as resolve().
  Result<void> materialize(std::vector<ResolvedInput>& inputs, std::stop_token stop);

  // The URL relative input values of `jobset` are resolved against: its project's declarative
  // git URL (itself resolved against the root source), or "" when there is none.
  std::string baseFor(const db::EvalJobset& jobset) const;

 private:
  Result<ResolvedInput> resolveOne(const db::EvalJobset& jobset, const db::InputRow& in,
                                   const std::string& base, std::stop_token stop);
  Result<std::string> checkout(const ResolvedInput& in, std::stop_token stop);

  git::Mirrors& mirrors_;
  db::Database& db_;
  const std::string base_url_;
  const std::string scratch_dir_;
  const std::chrono::milliseconds timeout_;
  std::mutex mu_;
  std::map<std::string, std::string> checkouts_;  // "url\ncommit" → store path; guarded by mu_
};

// The hash of exactly what the evaluator gets (HYDRA.md §4.2 step 6): the expression's place or
// the locked flake, and every input's identity. Same inputs, same hash.
std::string evaluationHash(const db::EvalJobset& jobset, const std::vector<ResolvedInput>& inputs,
                           const std::string& locked_flake);

}  // namespace hydrant::reconcilers
