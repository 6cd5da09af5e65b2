// What one evaluation of a jobset produced, job by job: plain data shared by the Nix adapter
// (which fills it from nix/eval-jobs.nix's JSON) and the database layer (which turns it into
// builds). No behaviour, no dependencies.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hydrant::nix {

struct EvalJob {
  std::string attr;     // the job name; nested attributes joined with '.' ("tests.unit")
  std::string nixname;  // the derivation's name
  std::string system;
  std::string drv_path;
  std::map<std::string, std::string> outputs;  // output name → store path
  // meta, as Hydra stores it: licenses by shortName (else the string) and maintainers by email
  // (else name, else the string), each joined with ", ".
  std::string description, license, homepage, maintainers;
  std::optional<int> scheduling_priority;  // meta.schedulingPriority
  std::optional<int> timeout;              // meta.timeout, seconds
  std::optional<int> max_silent;           // meta.maxSilent, seconds
  bool is_channel = false;                 // meta.isHydraChannel (or meta.isChannel)
  // Aggregates (`_hydraAggregate = true` with `constituents`): the constituents given by job name,
  // and those given as derivations (by drv path). Both empty for an ordinary job.
  bool is_aggregate = false;
  std::vector<std::string> constituent_names;
  std::vector<std::string> constituent_drvs;
  // Set when this job could not be evaluated: the Nix error text. The other fields are then
  // empty, and the job gets no build.
  std::optional<std::string> error;
};

}  // namespace hydrant::nix
