// The build queue's database side: every SQL statement the queue reconciler needs to load
// queued builds and scheduling shares, record steps as they start and finish, finish builds
// (with Hydra's notifications and the "notification pending" mark), and remember failed
// output paths. One named function per query, plain rows in and out; times are unix seconds.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "specs/result.hh"

namespace hydrant::db {

class ReadTx;
class WriteTx;

// ---- loading ----------------------------------------------------------------------------------

struct QueuedBuild {
  int id = 0;
  int jobset_id = 0;
  std::string project, jobset, job, drvpath, system;
  int priority = 100;            // meta.schedulingPriority
  long long globalpriority = 0;  // a bump
  long long timestamp = 0;       // when it was queued
  int maxsilent = 3600, timeout = 36000;
};

// Every unfinished build, in no particular order (ids of concurrent evaluations need not grow
// with time, so callers must not assume they do).
Result<std::vector<QueuedBuild>> queuedBuilds(ReadTx& tx);

// Which of `ids` are still unfinished (the others were cancelled, finished or deleted).
Result<std::vector<int>> stillQueued(ReadTx& tx, const std::vector<int>& ids);

struct JobsetShares {
  int id = 0;
  std::string project, name;
  int schedulingshares = 100;
};
// Every jobset's scheduling shares.
Result<std::vector<JobsetShares>> jobsetShares(ReadTx& tx);

// One finished step of the last window, charged to the jobset of the build it was recorded on.
struct StepTime {
  int jobset_id = 0;
  long long starttime = 0;
  long long seconds = 0;
};
Result<std::vector<StepTime>> stepTimesSince(ReadTx& tx, long long since);

// Which of `paths` failed permanently before (Hydra's FailedPaths: the cached-failure cache).
Result<std::vector<std::string>> failedPaths(ReadTx& tx, const std::vector<std::string>& paths);

// ---- steps ------------------------------------------------------------------------------------

// At start: steps left busy by a controller that died are marked aborted (status 3, "the
// controller stopped while it was running"); their builds stay queued and are redone.
// Returns how many.
Result<int> abortBusySteps(WriteTx& tx, long long now);

struct StepStart {
  int build = 0;          // the build the step is recorded on
  std::string drvpath;
  std::string system;
  std::string machine;    // the machine's URI ("localhost")
  long long now = 0;
  bool top_level = false;  // the step is that build's own derivation: NOTIFY build_started too
};
// Inserts a busy step (busy 1) with the next step number of the build, NOTIFY step_started
// "<build>\t<stepnr>" (and build_started "<build>" for a top-level step). Returns the stepnr.
Result<int> startStep(WriteTx& tx, const StepStart& step);

// Updates a running step's busy state (Hydra's StepState: 10 connecting, 20 sending, 30
// building, 40 receiving, 50 post-processing).
Result<void> setStepBusy(WriteTx& tx, int build, int stepnr, int busy);

struct StepEnd {
  int build = 0, stepnr = 0;
  int status = 0;                  // Hydra's step status
  std::string errormsg;            // "" for none
  long long now = 0;
  int overhead_ms = 0;             // copying
  std::map<std::string, std::string> outputs;  // name → path
  std::string log_file;            // where the step's log is, for step_finished
};
// Finishes a step: busy 0, status, stoptime, its outputs in buildstepoutputs, NOTIFY
// step_finished "<build>\t<stepnr>\t<log file>".
Result<void> finishStep(WriteTx& tx, const StepEnd& step);

// ---- builds -----------------------------------------------------------------------------------

struct BuildProduct {
  std::string type, subtype, path, name, defaultpath;
  std::optional<long long> filesize;
  std::optional<std::string> sha256hash;
};
struct BuildMetric {
  std::string name, unit;
  double value = 0;
};

struct BuildDone {
  int id = 0;
  int status = 0;           // 0 success, 6 failed with output, or a failure status
  bool cached = false;      // isCachedBuild: nothing was built for it
  long long starttime = 0, stoptime = 0;
  std::optional<std::string> releasename;
  std::optional<long long> size, closuresize;
  std::vector<BuildProduct> products;
  std::vector<BuildMetric> metrics;
};

// Finishes builds in one statement each kind: finished = 1, buildstatus, times, iscachedbuild,
// notificationpendingsince = stoptime (in the same UPDATE, so a notifier can deliver at least
// once), products and metrics; then NOTIFY build_finished "<id>" per build. Builds already
// finished (cancelled meanwhile) are left as they are and not announced. Returns the ids that
// were finished now.
Result<std::vector<int>> finishBuilds(WriteTx& tx, const std::vector<BuildDone>& builds);

// A step failed: `build` and every build in `same_drv` get `status` (their own derivation
// failed) and every build in `dependents` gets status 2 (dependency failed), all finished at `now`, with a BuildSteps row
// on each dependent pointing back (propagatedfrom) at `build`; NOTIFY build_finished
// "<build>\t<dependent>\t…", split over several notifications so that no payload exceeds
// 7,000 bytes. Builds already finished are skipped. `cached` marks a cached failure.
struct FailedStep {
  int build = 0;
  int status = 1;
  std::vector<int> dependents;
  std::vector<int> same_drv;  // other builds of the failed derivation itself: they get `status`
  std::string drvpath;
  std::string errormsg;
  long long starttime = 0, now = 0;
  bool cached = false;
};
Result<std::vector<int>> failBuilds(WriteTx& tx, const FailedStep& failure);

// Remembers output paths of a permanent failure (duplicates are ignored).
Result<void> addFailedPaths(WriteTx& tx, const std::vector<std::string>& paths);

// The payloads of build_finished for `build` and `dependents`: "<build>\t<dep>\t…", split so
// that none exceeds `limit` bytes; each payload starts with `build`. Pure; exposed for tests.
std::vector<std::string> buildFinishedPayloads(int build, const std::vector<int>& dependents,
                                               size_t limit = 7000);

}  // namespace hydrant::db
