// Reading build steps (Hydra's BuildSteps) for the CLI and, later, the API: the steps of a set
// of builds, and the latest step of a derivation. The queue writes steps through
// controller/db/queue.hh. Plain rows; times are unix seconds.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "specs/result.hh"

namespace hydrant::db {

class ReadTx;

struct StepView {
  int build = 0, stepnr = 0;
  std::string drvpath;
  std::string machine;        // the builder's URI, "" for a step that did not run (propagated)
  int busy = 0;               // 0 finished; Hydra's StepState (1, 10 … 50) while running
  std::optional<int> status;  // Hydra's step status, null while busy
  std::optional<long long> starttime, stoptime;
  std::optional<std::string> errormsg;
  std::optional<int> propagatedfrom;  // the build whose step this failure was, if not this one
};

// The steps of each of `builds`, in ascending stepnr; a build without steps has no entry. One
// query for all of them.
Result<std::map<int, std::vector<StepView>>> stepsOfBuilds(ReadTx& tx,
                                                           const std::vector<int>& builds);

// The latest step of `drvpath` recorded on a build other than `except_build` (a derivation
// shared by several builds is built once, on one of them), preferring a step that ran over one
// propagated from elsewhere; nullopt when there is none.
Result<std::optional<StepView>> latestStepOfDrv(ReadTx& tx, const std::string& drvpath,
                                                int except_build);

}  // namespace hydrant::db
