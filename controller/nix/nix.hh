// The Nix adapter: the only code that runs nix programs (through controller/proc). Evaluates a
// jobset's expression with nix/eval-jobs.nix, locks flake references, adds paths to the store
// and asks it which paths are valid. Every call has a timeout, and the child runs in its own
// process group, killed as a whole on timeout or when `stop` is requested; an evaluation's child
// also gets an address-space limit that applies to that child alone. The environment of the
// calling process (NIX_STORE_DIR, NIX_CONFIG, …) is inherited, so a test can point it at a
// private store. Thread-safe: every call is independent.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "controller/nix/jobs.hh"
#include "specs/result.hh"

namespace hydrant::nix {

// The text of nix/eval-jobs.nix, compiled into the binary.
const std::string& evalJobsNix();

// Writes evalJobsNix() to `dir`/eval-jobs.nix (creating `dir`) unless it is already there with
// the same text; returns the file's path. Error (kTransient) naming the file.
Result<std::string> installEvalJobsNix(const std::string& dir);

// One argument of the jobset's function, as `hydrant` passes it: a string (Hydra's --argstr) or
// a Nix expression (Hydra's --arg: booleans, `nix` inputs, the attribute sets of git/path/build
// inputs). Expression text is built by the caller with nixString() for every string inside it.
struct EvalArg {
  std::string name;
  bool is_expr = false;
  std::string value;
};

// `s` as a Nix string literal: quoted, with `"`, `\` and `${` escaped.
std::string nixString(const std::string& s);

struct EvalRequest {
  std::string eval_jobs_nix;  // path returned by installEvalJobsNix()
  // Legacy jobsets: the expression file <nixexprinput store path>/<nixexprpath>, the inputs'
  // search path entries (-I name=path) and the function's arguments.
  std::string expr_file;
  std::vector<std::pair<std::string, std::string>> search_path;
  std::vector<EvalArg> args;
  // Flake jobsets: the locked flake URL (lockFlake()); expr_file is then empty. Jobs come from
  // the flake's `hydraJobs` output, else from `checks`; every attribute set below it is walked.
  std::optional<std::string> flake;
  std::chrono::milliseconds timeout{std::chrono::hours(1)};
  size_t memory_limit_bytes = 0;  // RLIMIT_AS of the evaluator child; 0 = none
};

struct EvalResult {
  std::vector<EvalJob> jobs;  // sorted by attr; jobs that failed carry `error`
};

// Evaluates the jobset. The .drv files are written to the store. A job whose evaluation throws
// is returned with `error` (its own Nix error text, found by evaluating that job alone) while
// the other jobs are returned normally. Legacy jobsets: the top-level attributes that are
// derivations, recursing into attribute sets with `recurseForDerivations = true`.
// Errors (kStalled, the message is what a user reads on the jobset):
//   the Nix error text, for an expression that does not parse or fails as a whole;
//   "evaluation timed out after N s"; "evaluation failed due to signal N (Name)";
//   "evaluation ran out of memory (limit N MiB)" when the address-space limit was hit.
// kTransient "cannot start nix-instantiate: …" when nix is not installed, or when stopped.
Result<EvalResult> evaluate(const EvalRequest& request, std::stop_token stop);

// The locked URL of a flake reference (`nix flake metadata --json`, field "url").
// Error (kStalled) with Nix's error text; kTransient when nix cannot be started.
Result<std::string> lockFlake(const std::string& flake, std::chrono::milliseconds timeout,
                              std::stop_token stop);

// Adds a file or directory to the store under `name` (so the store path does not depend on
// the name of a temporary directory); returns the store path.
// Error (kTransient) with Nix's error text.
Result<std::string> addToStore(const std::string& path, const std::string& name,
                               std::chrono::milliseconds timeout, std::stop_token stop);

// Which of `paths` are valid in the store, in the same order. Paths that are not store paths
// at all count as invalid. Error (kTransient) when nix cannot be run.
Result<std::vector<bool>> validPaths(const std::vector<std::string>& paths,
                                     std::chrono::milliseconds timeout, std::stop_token stop);

}  // namespace hydrant::nix
