// Internal to controller/nix: reads the JSON that nix/eval-jobs.nix prints. Not for use outside
// this folder. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "controller/nix/jobs.hh"
#include "specs/result.hh"

namespace hydrant::nix::detail {

// An attribute path below the jobset's root: {"tests", "unit"} is the job "tests.unit".
using AttrPath = std::vector<std::string>;

// One element of the "jobs" mode's list. For a job that builtins.tryEval caught failing, `job`
// has only its attr and `failed_path` says where it is, to evaluate it alone.
struct ParsedJob {
  EvalJob job;
  std::optional<AttrPath> failed_path;
};

// The "jobs" mode's list. Error (kStalled) when it is not what eval-jobs.nix prints.
Result<std::vector<ParsedJob>> parseJobs(const std::string& json);

// The "children" mode's answer: the names below a path, empty when it is null.
// Error (kStalled) when it is not what eval-jobs.nix prints.
Result<std::vector<std::string>> parseChildren(const std::string& json);

// The path as a job name: its names joined with '.'.
std::string jobName(const AttrPath& path);

}  // namespace hydrant::nix::detail
